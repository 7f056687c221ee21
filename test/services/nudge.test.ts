import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { reconcileNudges } from '../../src/services/nudge.ts';
import { blockKitProblems } from '../slack/support/block-kit.ts';
import { type Harness, MONDAY_10, startHarness } from '../slack/support/harness.ts';
import { seedOwner, seedPortal, seedTicketFlag } from '../slack/support/seed.ts';
import { testProviders } from '../support/db.ts';

const HOUR = 3_600_000;

describe.each(testProviders())('nudge reconciler on %s', (provider) => {
  let h: Harness;

  beforeEach(async () => {
    h = await startHarness(provider);
    await seedPortal(h.db.prisma);
    await seedOwner(h.db.prisma, 'o-carol', 'carol@example.com', 'Carol');
    await seedOwner(h.db.prisma, 'o-bob', 'bob@example.com', 'Bob');
  });

  afterEach(async () => {
    // Whatever a test did, everything Heed sent must be valid Block Kit within Slack's limits.
    const problems = h.sentProblems();
    await h.close();
    expect(problems).toEqual([]);
  });

  const allSent = () => [...h.slack.channels.values()].flatMap((c) => c.messages);

  it('posts one nudge, updates it in place through breach, escalates, and shows it done', async () => {
    const key = await seedTicketFlag(
      h.db.prisma,
      {
        id: '101',
        subject: 'Printer <on> fire & smoke',
        ownerId: 'o-carol',
        startedAt: new Date(MONDAY_10.getTime() - 3 * HOUR),
        dueAt: new Date(MONDAY_10.getTime() + HOUR),
      },
      MONDAY_10,
    );
    expect(await reconcileNudges(h.nudgeDeps, MONDAY_10)).toMatchObject({ posted: 1, updated: 0 });
    await h.outbox.drainUntilIdle();
    const [nudge] = h.slack.messagesIn('CSUPPORT');
    expect(nudge).toBeDefined();
    const stored = await h.repo.nudgeByFlagKey(key);
    expect(nudge!.metadata).toEqual({ event_type: 'heed_nudge', event_payload: { key: `nudge:${stored!.id}:post` } });
    const json = JSON.stringify(nudge!.blocks);
    expect(json).toContain('<@UCAROL>');
    expect(json).toContain('Printer &lt;on&gt; fire &amp; smoke');
    expect(json).toContain('https://app.hubspot.com/contacts/4242/record/0-5/101');
    expect(json).toContain('first response');
    for (const id of ['nudge_open', 'nudge_claim', 'nudge_snooze', 'nudge_handled']) expect(json).toContain(id);
    expect(nudge!.text.length).toBeGreaterThan(10);
    expect(blockKitProblems({ text: nudge!.text, blocks: nudge!.blocks, metadata: nudge!.metadata })).toEqual([]);
    expect((await h.repo.nudgeByFlagKey(key))?.ts).toBe(nudge!.ts);

    // Nothing changed: nothing is sent.
    h.clock.advance(5 * 60_000);
    expect(await reconcileNudges(h.nudgeDeps, h.clock.now())).toMatchObject({ posted: 0, updated: 0 });

    // Breached, level 2: the same message is updated; the owner is pinged in its thread and by DM.
    h.clock.advance(HOUR);
    await h.db.prisma.flag.update({
      where: { key },
      data: { state: 'breached', escalationLevel: 2, breachedAt: h.clock.now() },
    });
    await h.db.prisma.clockState.update({
      where: { ticketId_clock: { ticketId: '101', clock: 'firstResponse' } },
      data: { state: 'breached', overdueMinutes: 5 },
    });
    expect(await reconcileNudges(h.nudgeDeps, h.clock.now())).toMatchObject({
      posted: 0,
      updated: 1,
      replies: 1,
      dms: 1,
    });
    await h.outbox.drainUntilIdle();
    expect(h.slack.messagesIn('CSUPPORT')).toHaveLength(1);
    expect(nudge!.updates).toBe(1);
    expect(JSON.stringify(nudge!.blocks)).toContain('Breached');
    const [reply] = h.slack.repliesTo('CSUPPORT', nudge!.ts);
    expect(JSON.stringify(reply!.blocks)).toContain('<@UCAROL>');
    expect(h.slack.messagesIn('UCAROL')).toHaveLength(1);

    // Level 3: a post in the escalation channel linking back to the nudge.
    await h.db.prisma.flag.update({ where: { key }, data: { escalationLevel: 3 } });
    expect(await reconcileNudges(h.nudgeDeps, h.clock.now())).toMatchObject({ escalations: 1 });
    await h.outbox.drainUntilIdle();
    const [escalation] = h.slack.messagesIn('CESCALATE');
    expect(JSON.stringify(escalation!.blocks)).toContain(
      `https://fake.slack.test/archives/CSUPPORT/p${nudge!.ts.replace('.', '')}`,
    );

    // Answered: shown as done, buttons removed — on the nudge, its thread ping, the DM and the escalation.
    await h.db.prisma.flag.update({
      where: { key },
      data: { state: 'resolved', outcome: 'answered', resolvedAt: h.clock.now() },
    });
    expect(await reconcileNudges(h.nudgeDeps, h.clock.now())).toMatchObject({ updated: 4, replies: 0, escalations: 0 });
    await h.outbox.drainUntilIdle();
    expect(JSON.stringify(nudge!.blocks)).toContain('Answered');
    expect(nudge!.blocks.some((b) => (b as { type: string }).type === 'actions')).toBe(false);
    for (const m of allSent()) expect(blockKitProblems({ text: m.text, blocks: m.blocks })).toEqual([]);
    // Resolved nudges are left alone afterwards.
    expect(await reconcileNudges(h.nudgeDeps, h.clock.now())).toMatchObject({ posted: 0, updated: 0 });
  });

  it('does not DM an owner who muted Heed, but still pings them in the thread', async () => {
    const key = await seedTicketFlag(
      h.db.prisma,
      { id: '150', ownerId: 'o-carol', state: 'breached', escalationLevel: 2, startedAt: MONDAY_10, dueAt: MONDAY_10 },
      MONDAY_10,
    );
    await h.repo.setMutedUntil('UCAROL', new Date(MONDAY_10.getTime() + HOUR), MONDAY_10);
    expect(await reconcileNudges(h.nudgeDeps, MONDAY_10)).toMatchObject({ posted: 1, replies: 1, dms: 0 });
    await h.outbox.drainUntilIdle();
    expect(h.slack.messagesIn('UCAROL')).toHaveLength(0);
    const nudge = await h.repo.nudgeByFlagKey(key);
    expect(nudge?.level).toBe(2);
    expect(JSON.stringify(h.slack.repliesTo('CSUPPORT', nudge!.ts!)[0]!.blocks)).toContain('<@UCAROL>');
  });

  it('never posts two nudges for the same ticket clock, even when reconciled concurrently', async () => {
    await seedTicketFlag(
      h.db.prisma,
      { id: '102', ownerId: 'o-carol', startedAt: MONDAY_10, dueAt: new Date(MONDAY_10.getTime() + HOUR) },
      MONDAY_10,
    );
    await Promise.all([reconcileNudges(h.nudgeDeps, MONDAY_10), reconcileNudges(h.nudgeDeps, MONDAY_10)]);
    await reconcileNudges(h.nudgeDeps, MONDAY_10);
    await h.outbox.drainUntilIdle();
    expect(h.slack.messagesIn('CSUPPORT')).toHaveLength(1);
    expect(await h.db.prisma.nudge.count()).toBe(1);
  });

  it('a nudge created by two processes at once: one wins, the other is told "already exists" (no error)', async () => {
    // Without a budget the creates are not serialized by a lock: the database's unique index decides.
    const create = (id: string) =>
      h.repo.applyNudgeChange(
        {
          nudge: {
            create: {
              id,
              flagKey: 'ticket:9:firstResponse:0',
              channel: 'CSUPPORT',
              state: 'at_risk',
              level: 1,
              renderHash: 'h',
            },
          },
          intents: [{ idempotencyKey: `nudge:${id}:post`, kind: 'post', channel: 'CSUPPORT', payload: { text: id } }],
        },
        MONDAY_10,
      );
    const results = await Promise.all(['n1', 'n2', 'n3', 'n4'].map(create));
    expect(results.filter((r) => r.applied)).toHaveLength(1);
    const winner = results.find((r) => r.applied)!.nudgeId;
    for (const r of results) expect(r.nudgeId).toBe(winner);
    expect(await h.db.prisma.nudge.count()).toBe(1);
    expect(await h.db.prisma.outboxMessage.count()).toBe(1);
  });

  it('holds nudges outside working hours, except for urgent tickets', async () => {
    const saturday = new Date('2026-03-07T11:00:00.000Z');
    h.clock.set(saturday);
    await seedTicketFlag(
      h.db.prisma,
      {
        id: '201',
        priority: 'MEDIUM',
        ownerId: 'o-carol',
        startedAt: saturday,
        dueAt: new Date(saturday.getTime() + HOUR),
      },
      saturday,
    );
    await seedTicketFlag(
      h.db.prisma,
      {
        id: '202',
        priority: 'URGENT',
        subject: 'Site down',
        ownerId: 'o-carol',
        startedAt: saturday,
        dueAt: new Date(saturday.getTime() + HOUR),
      },
      saturday,
    );
    expect(await reconcileNudges(h.nudgeDeps, saturday)).toMatchObject({ posted: 1, deferred: 1 });
    await h.outbox.drainUntilIdle();
    expect(h.slack.messagesIn('CSUPPORT').map((m) => m.text.includes('Site down'))).toEqual([true]);
    // Monday morning the held nudge goes out.
    const monday = new Date('2026-03-09T09:00:00.000Z');
    h.clock.set(monday);
    expect(await reconcileNudges(h.nudgeDeps, monday)).toMatchObject({ posted: 1, deferred: 0 });
  });

  it('names an owner without a Slack account in plain text, and caches the failed lookup', async () => {
    await seedTicketFlag(
      h.db.prisma,
      { id: '301', ownerId: 'o-bob', startedAt: MONDAY_10, dueAt: new Date(MONDAY_10.getTime() + HOUR) },
      MONDAY_10,
    );
    await seedTicketFlag(
      h.db.prisma,
      { id: '302', ownerId: 'o-bob', startedAt: MONDAY_10, dueAt: new Date(MONDAY_10.getTime() + HOUR) },
      MONDAY_10,
    );
    await reconcileNudges(h.nudgeDeps, MONDAY_10);
    await h.outbox.drainUntilIdle();
    const texts = h.slack.messagesIn('CSUPPORT').map((m) => JSON.stringify(m.blocks));
    expect(texts).toHaveLength(2);
    for (const t of texts) expect(t).toContain('Bob Agent');
    expect(h.slack.callsOf('users.lookupByEmail')).toHaveLength(1);
    // A day later the cache is refreshed: Bob has joined Slack.
    h.slack.addUser('bob@example.com', 'UBOB');
    h.clock.advance(25 * HOUR);
    await h.db.prisma.flag.updateMany({ data: { state: 'breached', updatedAt: h.clock.now() } });
    await reconcileNudges(h.nudgeDeps, h.clock.now());
    await h.outbox.drainUntilIdle();
    expect(JSON.stringify(h.slack.messagesIn('CSUPPORT')[0]!.blocks)).toContain('<@UBOB>');
  });
});

describe.each(testProviders())('nudge reconciler paging on %s', (provider) => {
  it('reaches every open flag however many there are, and skips nudges already up to date', async () => {
    const h = await startHarness(provider);
    try {
      await seedPortal(h.db.prisma);
      await seedOwner(h.db.prisma, 'o-carol', 'carol@example.com', 'Carol');
      for (let i = 0; i < 1205; i++) {
        await seedTicketFlag(
          h.db.prisma,
          {
            id: String(10_000 + i),
            ownerId: 'o-carol',
            escalationLevel: i < 1200 ? 0 : 1,
            startedAt: MONDAY_10,
            dueAt: new Date(MONDAY_10.getTime() + HOUR),
          },
          MONDAY_10,
        );
      }
      // The five due flags sort after the first 1,000-row page.
      expect(await reconcileNudges(h.nudgeDeps, MONDAY_10)).toMatchObject({ posted: 5 });
      const contextCalls: number[] = [];
      const reads = new Proxy(h.reads, {
        get(target, prop) {
          const value = Reflect.get(target, prop, target);
          if (prop === 'contextFor')
            return (flags: unknown[]) => {
              contextCalls.push(flags.length);
              return value.call(target, flags);
            };
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
      expect(await reconcileNudges({ ...h.nudgeDeps, reads }, MONDAY_10)).toMatchObject({ posted: 0, updated: 0 });
      expect(contextCalls).toEqual([]);
    } finally {
      await h.close();
    }
  });
});
