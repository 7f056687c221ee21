// What the SLA engine reads (tickets, stage history, messages, feedback, its own previous results) and writes
// (ClockState and Flag rows). Raw SQL on purpose: an evaluation reads 20,000 open tickets and writes whatever
// changed within a second, which Prisma's per-row runtime cannot do (see docs/prisma-offline.md). The same
// SQL runs on SQLite (the connection Prisma's adapter uses) and PostgreSQL (its pool); writes are a prepared
// statement in one transaction on SQLite and UNNEST multi-row upserts on PostgreSQL.
import pg from 'pg';
import type { ClockName, ClockStateName, EscalationLevel, FlagKind, FlagState } from '../domain/flag.ts';
import type { TStagePeriod, TTicketFacts, TTicketMessage } from '../domain/sla-clocks.ts';
import { type Db, sqliteDate, sqliteWrite } from './client.ts';

export interface SlaTicketRow extends TTicketFacts {
  readonly subject: string | null;
  readonly pipelineId: string | null;
  readonly priority: string | null;
  readonly ownerId: string | null;
  readonly hubspotTeamId: string | null;
  readonly category: string | null;
  readonly source: string | null;
  readonly archived: boolean;
}

export interface StoredClock {
  readonly ticketId: string;
  readonly clock: ClockName;
  readonly cycle: number;
  readonly policy: string;
  readonly team: string;
  readonly state: ClockStateName;
  readonly startedAt: Date;
  readonly dueAt: Date | null;
  readonly completedAt: Date | null;
  readonly targetMinutes: number;
  readonly usedMinutes: number;
  readonly overdueMinutes: number;
  readonly evaluatedAt: Date;
}

/** The Flag columns the engine owns. The Slack side's columns (claimed/handled/snoozed) are read, never written. */
export interface EngineFlag {
  readonly key: string;
  readonly kind: FlagKind;
  readonly ticketId: string | null;
  readonly feedbackId: string | null;
  readonly clock: ClockName | null;
  readonly team: string;
  readonly state: FlagState;
  readonly escalationLevel: EscalationLevel;
  readonly raisedAt: Date;
  readonly dueAt: Date | null;
  readonly breachedAt: Date | null;
  readonly resolvedAt: Date | null;
  readonly updatedAt: Date;
}

export interface StoredFlag extends EngineFlag {
  readonly claimedAt: Date | null;
  readonly handledAt: Date | null;
  readonly snoozedUntil: Date | null;
}

export interface FeedbackCandidate {
  readonly id: string;
  readonly surveyType: string;
  readonly value: number | null;
  readonly content: string | null;
  readonly submittedAt: Date;
  readonly contactId: string | null;
  readonly contactName: string | null;
  readonly ticketId: string | null;
  readonly archived: boolean;
  /** The associated ticket, for team assignment and follow-up detection. */
  readonly ticketHubspotTeamId: string | null;
  readonly ticketPipelineId: string | null;
  readonly ticketOwnerId: string | null;
  readonly ticketLastAgentMessageAt: Date | null;
  /** First agent message on the associated ticket after submission, when messages are known. */
  readonly firstReplyAfter: Date | null;
  /** First ticket created for the same contact after submission. */
  readonly contactTicketAfter: Date | null;
  readonly flag: StoredFlag | null;
}

export interface FeedbackQuery {
  readonly npsAtMost: number;
  readonly csatAtMost: number;
  readonly cesAtLeast: number;
  readonly commentsCount: boolean;
  /** Feedback without a flag is considered only when submitted after this (older answers are history). */
  readonly since: Date;
}

type Row = Record<string, unknown>;

// node-postgres reads `timestamp` (without zone) columns in the process's local zone; Heed stores UTC.
const PG_TYPES = {
  getTypeParser: (oid: number, format?: 'text' | 'binary') =>
    oid === 1114
      ? (value: string) => new Date(`${value.replace(' ', 'T')}Z`)
      : pg.types.getTypeParser(oid, format ?? 'text'),
} as pg.CustomTypesConfig;

const date = (value: unknown): Date | null =>
  value === null || value === undefined ? null : value instanceof Date ? value : new Date(String(value));
const str = (value: unknown): string | null => (value === null || value === undefined ? null : String(value));
const bool = (value: unknown): boolean => value === true || value === 1 || value === '1' || value === 't';
const num = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));

const OPEN_TICKET_FLAG = `'at_risk', 'breached'`;

/** Tickets an evaluation looks at: open ones, and closed/archived ones still holding open flags or clocks. */
const EVAL_TICKETS = `
  SELECT "id" FROM "Ticket" WHERE "archived" = false AND "isClosed" = false
  UNION SELECT "ticketId" FROM "Flag" WHERE "kind" = 'ticket' AND "state" IN (${OPEN_TICKET_FLAG}) AND "ticketId" IS NOT NULL
  UNION SELECT "ticketId" FROM "ClockState" WHERE "completedAt" IS NULL`;

const CHUNK = 5000;

export class SlaRepo {
  readonly #db: Pick<Db, 'provider' | 'sqlite' | 'pg'>;

  constructor(db: Pick<Db, 'provider' | 'sqlite' | 'pg'>) {
    this.#db = db;
  }

  async #all(sql: string, params: readonly unknown[] = []): Promise<Row[]> {
    const sqlite = this.#db.sqlite;
    if (sqlite) {
      const values = params.map((p) => (p instanceof Date ? sqliteDate(p) : typeof p === 'boolean' ? Number(p) : p));
      return sqlite
        .prepare(sql)
        .safeIntegers(false)
        .all(...values) as Row[];
    }
    let index = 0;
    const text = sql.replace(/\?/g, () => `$${++index}`);
    const values = params.map((p) => (p instanceof Date ? p.toISOString() : p));
    const result = await this.#db.pg!.query({ text, values, types: PG_TYPES });
    return result.rows as Row[];
  }

  async closedStageIds(): Promise<Set<string>> {
    const rows = await this.#all(`SELECT "id" FROM "Stage" WHERE "isClosed" = true`);
    return new Set(rows.map((r) => String(r['id'])));
  }

  async ownerEmails(): Promise<Map<string, string | null>> {
    const rows = await this.#all(`SELECT "id", "email" FROM "Owner"`);
    return new Map(rows.map((r) => [String(r['id']), str(r['email'])]));
  }

  async tickets(): Promise<SlaTicketRow[]> {
    const rows = await this.#all(
      `SELECT "id", "subject", "pipelineId", "stageId", "priority", "ownerId", "hubspotTeamId", "category", "source",
              "createdAt", "closedAt", "reopenedAt", "firstAgentReplyAt", "lastCustomerMessageAt", "lastAgentMessageAt",
              "stageEnteredAt", "hsFirstResponseDueAt", "hsNextResponseDueAt", "hsCloseDueAt", "isClosed", "archived"
         FROM "Ticket" WHERE "id" IN (${EVAL_TICKETS})`,
    );
    return rows.map((r) => ({
      id: String(r['id']),
      subject: str(r['subject']),
      pipelineId: str(r['pipelineId']),
      stageId: str(r['stageId']),
      priority: str(r['priority']),
      ownerId: str(r['ownerId']),
      hubspotTeamId: str(r['hubspotTeamId']),
      category: str(r['category']),
      source: str(r['source']),
      createdAt: date(r['createdAt'])!,
      closedAt: date(r['closedAt']),
      reopenedAt: date(r['reopenedAt']),
      firstAgentReplyAt: date(r['firstAgentReplyAt']),
      lastCustomerMessageAt: date(r['lastCustomerMessageAt']),
      lastAgentMessageAt: date(r['lastAgentMessageAt']),
      stageEnteredAt: date(r['stageEnteredAt']),
      hsFirstResponseDueAt: date(r['hsFirstResponseDueAt']),
      hsNextResponseDueAt: date(r['hsNextResponseDueAt']),
      hsCloseDueAt: date(r['hsCloseDueAt']),
      isClosed: bool(r['isClosed']),
      archived: bool(r['archived']),
    }));
  }

  /** Ticket ids named by open flags whose ticket row no longer exists (deleted before Heed saw it archived). */
  async orphanFlagTicketIds(): Promise<string[]> {
    const rows = await this.#all(
      `SELECT DISTINCT f."ticketId" FROM "Flag" f LEFT JOIN "Ticket" t ON t."id" = f."ticketId"
        WHERE f."kind" = 'ticket' AND f."state" IN (${OPEN_TICKET_FLAG}) AND t."id" IS NULL`,
    );
    return rows.map((r) => String(r['ticketId']));
  }

  /** Periods in the given stages (waiting-on-customer and closed ones: the only ones that pause clocks). */
  async stagePeriods(stageIds: readonly string[]): Promise<Map<string, TStagePeriod[]>> {
    const out = new Map<string, TStagePeriod[]>();
    if (stageIds.length === 0) return out;
    const rows = await this.#all(
      `SELECT "ticketId", "stageId", "enteredAt", "exitedAt" FROM "TicketStagePeriod"
        WHERE "stageId" IN (${stageIds.map(() => '?').join(', ')}) AND "ticketId" IN (${EVAL_TICKETS})`,
      stageIds,
    );
    for (const r of rows) {
      const id = String(r['ticketId']);
      pushTo(out, id, {
        stageId: String(r['stageId']),
        enteredAt: date(r['enteredAt'])!,
        exitedAt: date(r['exitedAt']),
      });
    }
    return out;
  }

  /**
   * Messages that can matter to the next-response clock: from the start of a still-open cycle (or the last
   * agent message) on. Text is cut to 2,000 characters: enough to tell a real question from a thank-you.
   */
  async recentMessages(): Promise<Map<string, TTicketMessage[]>> {
    const rows = await this.#all(
      `SELECT m."ticketId", m."direction", m."createdAt", SUBSTR(m."text", 1, 2000) AS "text"
         FROM "TicketMessage" m
         JOIN "Ticket" t ON t."id" = m."ticketId"
         LEFT JOIN "ClockState" cs ON cs."ticketId" = m."ticketId" AND cs."clock" = 'nextResponse'
        WHERE t."id" IN (${EVAL_TICKETS})
          AND m."createdAt" >= CASE
                WHEN cs."completedAt" IS NULL AND cs."startedAt" IS NOT NULL
                     AND (t."lastAgentMessageAt" IS NULL OR cs."startedAt" < t."lastAgentMessageAt") THEN cs."startedAt"
                ELSE COALESCE(t."lastAgentMessageAt", t."createdAt") END`,
    );
    const out = new Map<string, TTicketMessage[]>();
    for (const r of rows) {
      const id = String(r['ticketId']);
      pushTo(out, id, { direction: String(r['direction']), createdAt: date(r['createdAt'])!, text: str(r['text']) });
    }
    return out;
  }

  async clockStates(): Promise<Map<string, StoredClock[]>> {
    const rows = await this.#all(`SELECT * FROM "ClockState" WHERE "ticketId" IN (${EVAL_TICKETS})`);
    const out = new Map<string, StoredClock[]>();
    for (const r of rows) {
      const clock = toStoredClock(r);
      pushTo(out, clock.ticketId, clock);
    }
    return out;
  }

  /** Ticket flags that are open, or belong to a ticket under evaluation (earlier cycles included). */
  async ticketFlags(): Promise<Map<string, StoredFlag>> {
    const rows = await this.#all(
      `SELECT * FROM "Flag" WHERE "kind" = 'ticket'
          AND ("state" IN (${OPEN_TICKET_FLAG}) OR "ticketId" IN (${EVAL_TICKETS}))`,
    );
    return new Map(rows.map((r) => [String(r['key']), toStoredFlag(r)]));
  }

  /** Negative-looking feedback without a flag yet, and feedback whose flag is still open. */
  async feedbackCandidates(query: FeedbackQuery): Promise<FeedbackCandidate[]> {
    const negative = [
      `(UPPER(f."surveyType") = 'NPS' AND f."value" <= ?)`,
      `(UPPER(f."surveyType") = 'CSAT' AND f."value" <= ?)`,
      `(UPPER(f."surveyType") = 'CES' AND f."value" >= ?)`,
      ...(query.commentsCount ? [`(f."content" IS NOT NULL AND TRIM(f."content") <> '')`] : []),
    ].join(' OR ');
    const rows = await this.#all(
      `SELECT f."id", f."surveyType", f."value", f."content", f."submittedAt", f."contactId", f."contactName",
              f."ticketId", f."archived",
              t."hubspotTeamId" AS "tHubspotTeamId", t."pipelineId" AS "tPipelineId", t."ownerId" AS "tOwnerId",
              t."lastAgentMessageAt" AS "tLastAgentMessageAt",
              (SELECT MIN(m."createdAt") FROM "TicketMessage" m
                WHERE m."ticketId" = f."ticketId" AND UPPER(m."direction") LIKE 'OUT%'
                  AND m."createdAt" > f."submittedAt") AS "firstReplyAfter",
              (SELECT MIN(c."createdAt") FROM "Ticket" c
                WHERE f."contactId" IS NOT NULL AND c."contactId" = f."contactId"
                  AND c."createdAt" > f."submittedAt") AS "contactTicketAfter",
              fl."key" AS "flagKey", fl."kind" AS "flagKind", fl."ticketId" AS "flagTicketId",
              fl."feedbackId" AS "flagFeedbackId", fl."clock" AS "flagClock", fl."team" AS "flagTeam",
              fl."state" AS "flagState", fl."escalationLevel" AS "flagEscalationLevel", fl."raisedAt" AS "flagRaisedAt",
              fl."dueAt" AS "flagDueAt", fl."breachedAt" AS "flagBreachedAt", fl."resolvedAt" AS "flagResolvedAt",
              fl."updatedAt" AS "flagUpdatedAt", fl."claimedAt" AS "flagClaimedAt", fl."handledAt" AS "flagHandledAt",
              fl."snoozedUntil" AS "flagSnoozedUntil"
         FROM "FeedbackSubmission" f
         LEFT JOIN "Ticket" t ON t."id" = f."ticketId"
         LEFT JOIN "Flag" fl ON fl."key" = 'feedback:' || f."id"
        WHERE (fl."key" IS NULL AND f."archived" = false AND f."submittedAt" >= ? AND (${negative}))
           OR fl."state" IN ('pending', 'overdue')`,
      [query.since, query.npsAtMost, query.csatAtMost, query.cesAtLeast],
    );
    return rows.map((r) => ({
      id: String(r['id']),
      surveyType: String(r['surveyType']),
      value: num(r['value']),
      content: str(r['content']),
      submittedAt: date(r['submittedAt'])!,
      contactId: str(r['contactId']),
      contactName: str(r['contactName']),
      ticketId: str(r['ticketId']),
      archived: bool(r['archived']),
      ticketHubspotTeamId: str(r['tHubspotTeamId']),
      ticketPipelineId: str(r['tPipelineId']),
      ticketOwnerId: str(r['tOwnerId']),
      ticketLastAgentMessageAt: date(r['tLastAgentMessageAt']),
      firstReplyAfter: date(r['firstReplyAfter']),
      contactTicketAfter: date(r['contactTicketAfter']),
      flag:
        r['flagKey'] === null || r['flagKey'] === undefined
          ? null
          : toStoredFlag(
              Object.fromEntries(
                Object.entries(r)
                  .filter(([k]) => k.startsWith('flag'))
                  .map(([k, v]) => [k.charAt(4).toLowerCase() + k.slice(5), v]),
              ),
            ),
    }));
  }

  /** Upserts and deletes ClockState rows in one transaction. */
  async writeClockStates(
    upserts: readonly StoredClock[],
    deletes: readonly { ticketId: string; clock: string }[],
  ): Promise<void> {
    if (upserts.length === 0 && deletes.length === 0) return;
    const columns = [
      'ticketId',
      'clock',
      'cycle',
      'policy',
      'team',
      'state',
      'startedAt',
      'dueAt',
      'completedAt',
      'targetMinutes',
      'usedMinutes',
      'overdueMinutes',
      'evaluatedAt',
    ] as const;
    const updates = columns.slice(2).map((c) => `"${c}" = excluded."${c}"`);
    const sqlite = this.#db.sqlite;
    if (sqlite) {
      const upsert = sqlite.prepare(
        `INSERT INTO "ClockState" (${columns.map((c) => `"${c}"`).join(', ')}) VALUES (${columns.map(() => '?').join(', ')})
         ON CONFLICT ("ticketId", "clock") DO UPDATE SET ${updates.join(', ')}`,
      );
      const remove = sqlite.prepare(`DELETE FROM "ClockState" WHERE "ticketId" = ? AND "clock" = ?`);
      await sqliteWrite(sqlite, () => {
        for (const row of upserts) {
          upsert.run(
            columns.map((c) => {
              const value = row[c];
              return value instanceof Date ? sqliteDate(value) : value;
            }),
          );
        }
        for (const row of deletes) remove.run(row.ticketId, row.clock);
      });
      return;
    }
    const types = [
      'text',
      'text',
      'int',
      'text',
      'text',
      'text',
      'timestamp(3)',
      'timestamp(3)',
      'timestamp(3)',
      'int',
      'int',
      'int',
      'timestamp(3)',
    ];
    await this.#pgTransaction(async (client) => {
      for (let i = 0; i < upserts.length; i += CHUNK) {
        const chunk = upserts.slice(i, i + CHUNK);
        await client.query(
          `INSERT INTO "ClockState" (${columns.map((c) => `"${c}"`).join(', ')})
           SELECT * FROM UNNEST(${types.map((t, n) => `$${n + 1}::${t}[]`).join(', ')})
           ON CONFLICT ("ticketId", "clock") DO UPDATE SET ${updates.join(', ')}`,
          columns.map((c) => chunk.map((row) => pgValue(row[c]))),
        );
      }
      for (let i = 0; i < deletes.length; i += CHUNK) {
        const chunk = deletes.slice(i, i + CHUNK);
        await client.query(
          `DELETE FROM "ClockState" WHERE ("ticketId", "clock") IN (SELECT * FROM UNNEST($1::text[], $2::text[]))`,
          [chunk.map((d) => d.ticketId), chunk.map((d) => d.clock)],
        );
      }
    });
  }

  /**
   * Upserts the engine's columns of Flag rows. A flag someone marked handled in Slack meanwhile is left
   * alone (the WHERE on the conflict update), so a concurrent "handled" click is never overwritten.
   */
  async writeFlags(flags: readonly EngineFlag[]): Promise<void> {
    if (flags.length === 0) return;
    const columns = [
      'key',
      'kind',
      'ticketId',
      'feedbackId',
      'clock',
      'team',
      'state',
      'escalationLevel',
      'raisedAt',
      'dueAt',
      'breachedAt',
      'resolvedAt',
      'updatedAt',
    ] as const;
    const updates = columns.slice(1).map((c) => `"${c}" = excluded."${c}"`);
    const sqlite = this.#db.sqlite;
    if (sqlite) {
      const upsert = sqlite.prepare(
        `INSERT INTO "Flag" (${columns.map((c) => `"${c}"`).join(', ')}) VALUES (${columns.map(() => '?').join(', ')})
         ON CONFLICT ("key") DO UPDATE SET ${updates.join(', ')} WHERE "Flag"."state" <> 'handled'`,
      );
      await sqliteWrite(sqlite, () => {
        for (const row of flags) {
          upsert.run(
            columns.map((c) => {
              const value = row[c];
              return value instanceof Date ? sqliteDate(value) : value;
            }),
          );
        }
      });
      return;
    }
    const types = [
      'text',
      'text',
      'text',
      'text',
      'text',
      'text',
      'text',
      'int',
      'timestamp(3)',
      'timestamp(3)',
      'timestamp(3)',
      'timestamp(3)',
      'timestamp(3)',
    ];
    await this.#pgTransaction(async (client) => {
      for (let i = 0; i < flags.length; i += CHUNK) {
        const chunk = flags.slice(i, i + CHUNK);
        await client.query(
          `INSERT INTO "Flag" (${columns.map((c) => `"${c}"`).join(', ')})
           SELECT * FROM UNNEST(${types.map((t, n) => `$${n + 1}::${t}[]`).join(', ')})
           ON CONFLICT ("key") DO UPDATE SET ${updates.join(', ')} WHERE "Flag"."state" <> 'handled'`,
          columns.map((c) => chunk.map((row) => pgValue(row[c]))),
        );
      }
    });
  }

  async #pgTransaction(block: (client: pg.PoolClient) => Promise<void>): Promise<void> {
    const client = await this.#db.pg!.connect();
    try {
      await client.query('BEGIN');
      await block(client);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }
}

function pgValue(value: unknown): unknown {
  return value instanceof Date ? value.toISOString() : value;
}

function toStoredClock(r: Row): StoredClock {
  return {
    ticketId: String(r['ticketId']),
    clock: String(r['clock']) as ClockName,
    cycle: Number(r['cycle']),
    policy: String(r['policy']),
    team: String(r['team']),
    state: String(r['state']) as ClockStateName,
    startedAt: date(r['startedAt'])!,
    dueAt: date(r['dueAt']),
    completedAt: date(r['completedAt']),
    targetMinutes: Number(r['targetMinutes']),
    usedMinutes: Number(r['usedMinutes']),
    overdueMinutes: Number(r['overdueMinutes']),
    evaluatedAt: date(r['evaluatedAt'])!,
  };
}

function toStoredFlag(r: Row): StoredFlag {
  return {
    key: String(r['key']),
    kind: String(r['kind']) as FlagKind,
    ticketId: str(r['ticketId']),
    feedbackId: str(r['feedbackId']),
    clock: str(r['clock']) as ClockName | null,
    team: String(r['team']),
    state: String(r['state']) as FlagState,
    escalationLevel: Number(r['escalationLevel'] ?? 0) as EscalationLevel,
    raisedAt: date(r['raisedAt'])!,
    dueAt: date(r['dueAt']),
    breachedAt: date(r['breachedAt']),
    resolvedAt: date(r['resolvedAt']),
    updatedAt: date(r['updatedAt'])!,
    claimedAt: date(r['claimedAt']),
    handledAt: date(r['handledAt']),
    snoozedUntil: date(r['snoozedUntil']),
  };
}

function pushTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
