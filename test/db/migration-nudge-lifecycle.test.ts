// The nudge-lifecycle migration on a database Heed already used: every nudge becomes its flag's current one, in
// the team it was posted for (before a later move: so the new team gets its own nudge), with its own post; the
// messages already sent learn the channel Slack put them in; queued updates, pings and DMs name their parent.
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/client.ts';
import { applyMigrations, readMigrations } from '../../src/db/migrate.ts';
import { sqliteDate } from '../../src/db/sqlite-date.ts';
import { createTestDatabase, type TestDatabase, testProviders } from '../support/db.ts';

const MIGRATION = '20261203115041_nudge_lifecycle';
const T0 = new Date('2026-11-23T09:00:00.000Z');
const T1 = new Date('2026-11-23T10:00:00.000Z');

describe.each(testProviders())('the nudge lifecycle migration on a used database, on %s', (provider) => {
  let database: TestDatabase | undefined;
  afterEach(async () => {
    await database?.drop();
  });

  it('backfills current nudges, their teams and posts, answered channels and parents', async () => {
    database = await createTestDatabase(provider);
    const db = await openDatabase(database.url);
    try {
      const files = readMigrations(provider);
      const at = files.findIndex((f) => f.name === MIGRATION);
      expect(at).toBeGreaterThan(0);
      const target =
        db.provider === 'sqlite' ? { provider: db.provider, sqlite: db.sqlite } : { provider: db.provider, pg: db.pg };
      await applyMigrations(target, files.slice(0, at));

      // Rows as the previous version wrote them.
      const run = async (sql: string, values: (string | Date | number | null)[]) => {
        if (db.provider === 'sqlite') {
          db.sqlite
            .prepare(sql.replace(/\$\d+/g, '?'))
            .run(...values.map((v) => (v instanceof Date ? sqliteDate(v) : v)));
        } else {
          await db.pg.query(
            sql,
            values.map((v) => (v instanceof Date ? v.toISOString() : v)),
          );
        }
      };
      const flag = (key: string, team: string, movedFrom: string | null, movedAt: Date | null) =>
        run(
          `INSERT INTO "Flag" ("key", "kind", "ticketId", "clock", "team", "state", "escalationLevel", "raisedAt", "movedFrom", "movedAt", "updatedAt")
           VALUES ($1, 'ticket', $2, 'firstResponse', $3, 'breached', 3, $4, $5, $6, $7)`,
          [key, key.split(':')[1]!, team, T0, movedFrom, movedAt, T1],
        );
      const nudge = (id: string, flagKey: string, channel: string, ts: string) =>
        run(
          `INSERT INTO "Nudge" ("id", "flagKey", "channel", "ts", "state", "level", "createdAt", "updatedAt")
           VALUES ($1, $2, $3, $4, 'breached', 3, $5, $6)`,
          [id, flagKey, channel, ts, T0, T0],
        );
      const row = (
        id: string,
        kind: string,
        channel: string,
        state: string,
        resultTs: string | null,
        nudgeId: string,
      ) =>
        run(
          `INSERT INTO "OutboxMessage" ("id", "idempotencyKey", "kind", "channel", "payload", "state", "attempts", "nextAttemptAt", "resultTs", "nudgeId", "createdAt")
           VALUES ($1, $2, $3, $4, '{}', $5, 0, $6, $7, $8, $9)`,
          [id, `key:${id}`, kind, channel, state, T0, resultTs, nudgeId, T0],
        );
      await flag('ticket:1:firstResponse:0', 'support', null, null);
      await flag('ticket:2:firstResponse:0', 'billing', 'support', T1);
      await nudge('n1', 'ticket:1:firstResponse:0', 'CSUPPORT', '1.000001');
      await nudge('n2', 'ticket:2:firstResponse:0', 'CSUPPORT', '1.000009');
      await row('o1-post', 'post', '#support', 'sent', '1.000001', 'n1');
      await row('o2-reply', 'reply', '#support', 'sent', '1.000002', 'n1');
      await row('o3-esc', 'escalate', 'CLEADS', 'sent', '1.000003', 'n1');
      await row('o4-dm', 'dm', 'UCAROL', 'sent', '1.000004', 'n1');
      await row('o5-update', 'update', 'CSUPPORT', 'pending', null, 'n1');
      await row('o9-post', 'post', 'CSUPPORT', 'sent', '1.000009', 'n2');

      await applyMigrations(target as Parameters<typeof applyMigrations>[0], files);

      const nudges = await db.prisma.nudge.findMany({ orderBy: { id: 'asc' } });
      expect(nudges.map((n) => [n.id, n.activeKey, n.team, n.postId])).toEqual([
        ['n1', 'ticket:1:firstResponse:0', 'support', 'o1-post'],
        // Posted for support before the ticket moved to billing: the reconciler retires it and nudges billing.
        ['n2', 'ticket:2:firstResponse:0', 'support', 'o9-post'],
      ]);
      const rows = await db.prisma.outboxMessage.findMany({ orderBy: { id: 'asc' } });
      expect(rows.map((r) => [r.id, r.resultChannel, r.parentId])).toEqual([
        ['o1-post', 'CSUPPORT', null],
        ['o2-reply', 'CSUPPORT', null],
        ['o3-esc', 'CLEADS', null],
        ['o4-dm', null, null],
        ['o5-update', null, 'o1-post'],
        ['o9-post', 'CSUPPORT', null],
      ]);
    } finally {
      await db.close();
    }
  });
});
