// Silent tickets by stage, end to end: rows in a real database (the fixed digest week, plus tickets nobody has
// moved) → buildDigest with the policy's per-stage limits → the Slack message and the terminal text a lead reads.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Config, parsePolicy } from '../../src/config.ts';
import { buildDigest } from '../../src/services/digest.ts';
import { renderDigest } from '../../src/slack/render/digest.ts';
import { renderDigestText } from '../../src/slack/render/digest-text.ts';
import { messageProblems, messageText } from '../fixtures/digest/block-kit.ts';
import { berlin, NOW, POLICY_INPUT, seedDigestDataset } from '../fixtures/digest/dataset.ts';
import { type OpenTestDb, openTestDb, testProviders } from '../support/db.ts';

// Monday-to-Friday Berlin hours; the digest is built on Tuesday 24 Nov at 10:30 and counts days that ended.
const policy = (silent?: unknown) =>
  ({
    policy: parsePolicy({ ...POLICY_INPUT, ...(silent ? { silent } : {}) }, 'silent fixture'),
  }) as Pick<Config, 'policy'>;

describe.each(testProviders())('silent tickets in the digest on %s', (provider) => {
  let db: OpenTestDb;
  beforeEach(async () => {
    db = await openTestDb(provider);
    await seedDigestDataset(db);
    await db.prisma.stage.createMany({
      data: [
        ['open', 'In progress <b>', 1],
        ['escalated', 'Escalated to engineering', 2],
        ['waiting-stage', 'Waiting on customer', 3],
        ['closed', 'Closed', 4],
      ].map(([id, label, order]) => ({
        pipelineId: 'support-pipe',
        id: String(id),
        label: String(label),
        displayOrder: Number(order),
        isClosed: id === 'closed',
        updatedAt: NOW,
      })),
    });
  });
  afterEach(async () => {
    await db.dispose();
  });

  const ticket = (id: string, over: Record<string, unknown>) => ({
    id,
    subject: `Ticket ${id}`,
    pipelineId: 'support-pipe',
    stageId: 'open',
    priority: 'MEDIUM',
    ownerId: 'o2',
    createdAt: berlin('2026-11-16 10:00'),
    modifiedAt: NOW,
    firstAgentReplyAt: berlin('2026-11-16 10:20'),
    lastAgentMessageAt: berlin('2026-11-16 10:20'),
    contactName: `Customer of ${id}`,
    syncedAt: NOW,
    ...over,
  });

  it('says "nothing silent" when every open ticket moved recently', async () => {
    const model = await buildDigest({ db, config: policy() }, 'support', NOW);
    expect(model.silent).toEqual({ items: [], byStage: [], afterDays: 3 });
    const text = messageText(renderDigest(model)[0]!);
    expect(text).toContain(
      ':white_check_mark: Silent tickets — nothing silent: no open ticket has gone 3 business days without a move.',
    );
    expect(renderDigestText(model)).toContain(
      'Silent tickets — nothing silent: no open ticket has gone 3 business days without a move.',
    );
  });

  it('lists tickets nobody moved for their stage’s business days, by stage, with escaped customer text', async () => {
    await db.prisma.ticket.createMany({
      data: [
        // Last move Wednesday 18 Nov (an agent reply): Thu, Fri, Mon passed → 3 business days, the default.
        ticket('S1', {
          subject: 'Export <broken> & *slow*',
          contactName: 'Zoë <script> & Co',
          lastAgentMessageAt: berlin('2026-11-18 15:00'),
        }),
        // Entered "Escalated" on Friday: only Monday passed, but that stage's limit is 1 business day.
        ticket('S2', { stageId: 'escalated', stageEnteredAt: berlin('2026-11-20 16:00'), ownerId: 'o3' }),
        // Waiting on the customer since Thursday: 2 days, under that stage's limit of 5.
        ticket('S3', { stageId: 'waiting-stage', stageEnteredAt: berlin('2026-11-19 09:00') }),
        // A stage set to 0 is never listed, however old.
        ticket('S4', { stageId: 'on-hold', createdAt: berlin('2026-10-01 10:00'), lastAgentMessageAt: null }),
        // A customer wrote on Monday: moved, not silent, however old the ticket.
        ticket('S5', { lastCustomerMessageAt: berlin('2026-11-23 09:00') }),
        // Another team's ticket (billing's pipeline) is not in support's digest.
        ticket('S6', { pipelineId: 'billing-pipe' }),
        // Closed long ago: never silent.
        ticket('S7', { isClosed: true, stageId: 'closed', closedAt: berlin('2026-11-16 11:00') }),
      ],
    });
    const config = policy({ afterDays: 3, stages: { escalated: 1, 'waiting-stage': 5, 'on-hold': 0 } });
    const model = await buildDigest({ db, config }, 'support', NOW);
    expect(model.silent.items.map((s) => [s.ticketId, s.stage, s.silentDays, s.afterDays])).toEqual([
      ['S1', 'In progress <b>', 3, 3],
      ['S2', 'Escalated to engineering', 1, 1],
    ]);
    expect(model.silent.byStage).toEqual([
      { stage: 'Escalated to engineering', count: 1, afterDays: 1 },
      { stage: 'In progress <b>', count: 1, afterDays: 3 },
    ]);

    const [message] = renderDigest(model);
    expect(messageProblems(message!)).toEqual([]);
    const text = messageText(message!);
    expect(text).toContain(
      ":zzz: Silent tickets — 2 open tickets nobody has moved (no stage change or message) for their stage's limit: Escalated to engineering 1, In progress &lt;b&gt; 1",
    );
    // What a person reads, customer text escaped (no tag, no broken link), the owner mentioned.
    expect(text).toContain(
      ':zzz: *<https://app-eu1.hubspot.com/contacts/4242/record/0-5/S1|Export &lt;broken&gt; &amp; *slow*>* — Zoë &lt;script&gt; &amp; Co · In progress &lt;b&gt; · silent 3 business days (last move <!date^1795010400^{date_short_pretty} {time}|2026-11-18 14:00 UTC>) · <@U0BOB>',
    );
    expect(text).toMatch(
      /S2\|Ticket S2>\* — Customer of S2 · Escalated to engineering · silent 1 business day \(last move .*\) · Cy Twombly/,
    );
    // S5 is waiting on us (the customer wrote last) and listed there, not as silent.
    const silentLines = text.split('\n').filter((line) => line.startsWith(':zzz: *<'));
    expect(silentLines.map((line) => /record\/0-5\/(\w+)\|/.exec(line)?.[1])).toEqual(['S1', 'S2']);

    const terminal = renderDigestText(model);
    expect(terminal).toContain(
      '  zz #S1 Export <broken> & *slow* — Zoë <script> & Co · In progress <b> · silent 3 business days (last move Wed 18 Nov, 15:00) · Bob Stone (@U0BOB)',
    );
  });
});
