import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createBusinessCalendar } from '../../src/domain/calendar.ts';
import { computeDigest, type TDigestInput, type TDigestModel } from '../../src/domain/digest.ts';
import type { TDigestClock, TDigestFeedback, TDigestTicket } from '../../src/domain/digest-stats.ts';
import { blockTextLength, DIGEST_MESSAGE_LIMITS, renderDigest } from '../../src/slack/render/digest.ts';
import { renderDigestText } from '../../src/slack/render/digest-text.ts';
import { messageProblems, messageText } from '../fixtures/digest/block-kit.ts';

const calendar = createBusinessCalendar({
  timezone: 'UTC',
  hours: Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri'].map((d) => [d, [['09:00', '17:00']] as const])),
});
// Wednesday 25 Nov 2026, 10:00 UTC: the digest reports Tuesday 24 Nov.
const NOW = new Date('2026-11-25T10:00:00Z');
const THRESHOLDS = { NPS: { atMost: 6 }, CSAT: { atMost: 2 }, CES: { atMost: 3 }, commentsCount: true };

function ticket(id: string, overrides: Partial<TDigestTicket> = {}): TDigestTicket {
  return {
    id,
    subject: `Subject of ${id}`,
    ownerId: 'o1',
    priority: null,
    category: 'Billing',
    source: 'EMAIL',
    stageId: null,
    customer: `Customer ${id}`,
    url: `https://app.hubspot.com/contacts/1/record/0-5/${id}`,
    createdAt: new Date('2026-11-24T10:00:00Z'),
    closedAt: null,
    isClosed: false,
    firstAgentReplyAt: null,
    lastCustomerMessageAt: null,
    lastAgentMessageAt: null,
    ...overrides,
  };
}

function input(overrides: Partial<TDigestInput> = {}): TDigestInput {
  return {
    team: 'support',
    kind: 'daily',
    tickets: [],
    clocks: [],
    feedback: [],
    owners: [{ id: 'o1', name: 'Ada Lovelace', slackUserId: 'U0ADA' }],
    storedStats: [],
    thresholds: THRESHOLDS,
    waitingStageIds: [],
    ...overrides,
  };
}

/** `n` breached tickets with long subjects, and `m` unanswered answers with long comments. */
function busyModel(n: number, m: number, comment = 'x'.repeat(900)): TDigestModel {
  const tickets = Array.from({ length: n }, (_, i) =>
    ticket(`T${i}`, { subject: `${'Very long subject '.repeat(10)}${i}`, customer: 'A & B <Ltd>' }),
  );
  const clocks: TDigestClock[] = tickets.map((t, i) => ({
    ticketId: t.id,
    clock: 'firstResponse',
    state: 'breached',
    dueAt: new Date(Date.UTC(2026, 10, 24, 11, i % 60)),
    completedAt: null,
    overdueMinutes: i,
  }));
  const feedback: TDigestFeedback[] = Array.from({ length: m }, (_, i) => ({
    id: `F${i}`,
    surveyType: 'NPS',
    value: 1,
    content: `${comment} ${i}`,
    submittedAt: new Date(Date.UTC(2026, 10, 24, 9, i % 60)),
    contact: `Contact ${i}`,
    ticketId: null,
    followUp: { state: 'pending', dueAt: new Date('2026-11-25T12:00:00Z') },
  }));
  return computeDigest(input({ tickets, clocks, feedback }), NOW, calendar);
}

describe('renderDigest', () => {
  it('keeps a small digest in one message that validates against the Block Kit schema', () => {
    const messages = renderDigest(busyModel(2, 1, 'Too slow.'));
    expect(messages).toHaveLength(1);
    expect(messageProblems(messages[0]!)).toEqual([]);
    expect(messages[0]!.blocks[0]).toEqual({
      type: 'header',
      text: { type: 'plain_text', text: 'Daily digest — support', emoji: true },
    });
  });

  it('splits a digest with many waiting tickets and long comments into valid messages, nothing lost', () => {
    const model = busyModel(40, 30);
    const messages = renderDigest(model);
    expect(messages.length).toBeGreaterThan(1);
    for (const message of messages) {
      expect(messageProblems(message)).toEqual([]);
      expect(message.blocks.length).toBeLessThanOrEqual(DIGEST_MESSAGE_LIMITS.maxBlocks);
      expect(message.blocks.reduce((n, b) => n + blockTextLength(b), 0)).toBeLessThanOrEqual(
        DIGEST_MESSAGE_LIMITS.maxChars,
      );
      for (const block of message.blocks) {
        if (block.type === 'section' && block.text) expect(block.text.text.length).toBeLessThanOrEqual(3000);
      }
    }
    const all = messages.map(messageText).join('\n');
    // Top 10 waiting, then a pointer to /slow for the other 30.
    expect(all.match(/:rotating_light:/g)).toHaveLength(10);
    expect(all).toContain('…and 30 more — type `/slow` to see them all.');
    // 25 complaints quoted (cut to 500 characters with an ellipsis), the other 5 one command away.
    expect(all.match(/^>x{499}…$/gm)).toHaveLength(25);
    expect(all).toContain('…and 5 more — type `/unanswered` to see them all.');
    expect(messages[1]!.blocks[0]).toEqual({
      type: 'context',
      elements: [{ type: 'mrkdwn', text: `_Daily digest — support (continued, part 2 of ${messages.length})_` }],
    });
    expect(messages[1]!.text).toBe(`Daily digest — support (continued, part 2 of ${messages.length})`);
    // Sections are never split in the middle of a line: each quoted comment stays under its headline.
    for (const message of messages) {
      for (const block of message.blocks) {
        if (block.type === 'section' && block.text?.text.startsWith('>')) throw new Error('a quote lost its headline');
      }
    }
  });

  it.each([
    { maxBlocks: 8, maxChars: 10_000 },
    { maxBlocks: 50, maxChars: 3_500 },
  ])('respects tighter limits too (%o)', (limits) => {
    const messages = renderDigest(busyModel(40, 30), { limits });
    expect(messages.length).toBeGreaterThan(2);
    for (const message of messages) {
      expect(message.blocks.length).toBeLessThanOrEqual(limits.maxBlocks);
      expect(message.blocks.reduce((n, b) => n + blockTextLength(b), 0)).toBeLessThanOrEqual(limits.maxChars);
      expect(messageProblems(message)).toEqual([]);
    }
  });

  it('quotes a comment on one line, escaped, so it cannot pose as Heed or ping anyone', () => {
    const model = busyModel(0, 1, 'Line one\n> fake quote <!channel> & <@U999>\n\nLine two');
    const text = messageText(renderDigest(model)[0]!);
    expect(text).toContain('>Line one &gt; fake quote &lt;!channel&gt; &amp; &lt;@U999&gt; Line two 0');
    expect(text).not.toContain('<!channel>');
  });

  it('stays within limits for hostile text that grows when escaped', () => {
    const nasty = '&<>'.repeat(400);
    const tickets = Array.from({ length: 12 }, (_, i) =>
      ticket(`T${i}`, { subject: nasty, customer: nasty, category: nasty, source: nasty, ownerId: 'o2' }),
    );
    const clocks: TDigestClock[] = tickets.map((t) => ({
      ticketId: t.id,
      clock: 'firstResponse',
      state: 'breached',
      dueAt: new Date('2026-11-24T11:00:00Z'),
      completedAt: null,
      overdueMinutes: 1,
    }));
    const feedback: TDigestFeedback[] = Array.from({ length: 30 }, (_, i) => ({
      id: `F${i}`,
      surveyType: nasty,
      value: 1,
      content: nasty,
      submittedAt: new Date('2026-11-24T09:00:00Z'),
      contact: nasty,
      ticketId: 'T1',
      followUp: { state: 'overdue', dueAt: null },
    }));
    const model = computeDigest(
      input({ tickets, clocks, feedback, owners: [{ id: 'o2', name: nasty, slackUserId: null }] }),
      NOW,
      calendar,
    );
    const messages = renderDigest(model);
    for (const message of messages) {
      expect(messageProblems(message)).toEqual([]);
      for (const block of message.blocks) {
        if (block.type === 'section' && block.text)
          expect(Array.from(block.text.text).length).toBeLessThanOrEqual(3000);
      }
    }
    expect(messages.map(messageText).join('\n')).not.toMatch(/<(?![@!h])/);
  });

  it('always renders messages Slack accepts, whatever the rows (property)', () => {
    const text = fc.string({
      unit: fc.constantFrom('a', ' ', '&', '<', '>', '|', '*', '\n', '😀', 'é'),
      maxLength: 900,
    });
    const minute = fc.integer({ min: 0, max: 3 * 24 * 60 });
    const at = (m: number) => new Date(Date.UTC(2026, 10, 22) + m * 60_000);
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ subject: text, customer: text, category: text, created: minute, breached: fc.boolean() }),
          { maxLength: 60 },
        ),
        fc.array(fc.record({ comment: text, contact: text, submitted: minute, overdue: fc.boolean() }), {
          maxLength: 60,
        }),
        fc.constantFrom<'daily' | 'weekly'>('daily', 'weekly'),
        (ticketRows, feedbackRows, kind) => {
          const tickets = ticketRows.map((r, i) =>
            ticket(`T${i}`, {
              subject: r.subject,
              customer: r.customer,
              category: r.category,
              createdAt: at(r.created),
            }),
          );
          const clocks: TDigestClock[] = ticketRows.map((r, i) => ({
            ticketId: `T${i}`,
            clock: 'firstResponse',
            state: r.breached ? 'breached' : 'at_risk',
            dueAt: r.breached ? at(r.created + 60) : new Date('2026-11-25T12:00:00Z'),
            completedAt: null,
            overdueMinutes: 0,
          }));
          const feedback: TDigestFeedback[] = feedbackRows.map((r, i) => ({
            id: `F${i}`,
            surveyType: 'NPS',
            value: 3,
            content: r.comment,
            submittedAt: at(r.submitted),
            contact: r.contact,
            ticketId: null,
            followUp: { state: r.overdue ? 'overdue' : 'pending', dueAt: null },
          }));
          const messages = renderDigest(computeDigest(input({ kind, tickets, clocks, feedback }), NOW, calendar));
          for (const message of messages) expect(messageProblems(message)).toEqual([]);
        },
      ),
      { numRuns: 40 },
    );
  });

  it.each([
    [true, 'This digest is late: Heed could not send it on time'],
    [{ scheduledFor: new Date('2026-11-25T09:00:00Z') }, 'This digest is late (it was due 2026-11-25 09:00 UTC)'],
  ])('says plainly that a digest is late (%o)', (late, expected) => {
    const busy = renderDigest(busyModel(1, 0), { late });
    expect(messageText(busy[0]!)).toContain(`:hourglass: *Late:* ${expected}`);
    expect(busy[0]!.text.startsWith('(Late) Daily digest — support')).toBe(true);
    const quiet = renderDigest(computeDigest(input(), NOW, calendar), { late });
    expect(quiet).toHaveLength(1);
    expect(messageText(quiet[0]!)).toContain(expected);
    expect(quiet[0]!.text).toMatch(/\(late\)$/);
    expect(renderDigestText(computeDigest(input(), NOW, calendar), { late })).toContain(`Late: ${expected}`);
  });

  it.each([
    ['daily, one day', { periodDays: 1 }, '*Yesterday in numbers (Tue 24 Nov)*'],
    ['daily, after days without a digest', { periodDays: 3 }, '*Sun 22 Nov – Tue 24 Nov in numbers*'],
    ['weekly', { kind: 'weekly' as const }, '*The week in numbers (week of Mon 16 Nov)*'],
  ])('heads the numbers for the period it covers (%s)', (_, overrides, heading) => {
    const model = computeDigest(
      input({ ...overrides, tickets: [ticket('T1', { createdAt: new Date('2026-11-18T10:00:00Z') })] }),
      NOW,
      calendar,
    );
    expect(messageText(renderDigest(model)[0]!)).toContain(heading);
  });

  it.each([
    [{ periodDays: 1 }, 'All clear for support: nothing new yesterday (Tue 24 Nov), nothing waiting on us.'],
    [{ periodDays: 3 }, 'All clear for support: nothing new from Sun 22 Nov to Tue 24 Nov, nothing waiting on us.'],
    [
      { kind: 'weekly' as const },
      'All clear for support: nothing new in the week of Mon 16 Nov, nothing waiting on us.',
    ],
  ])('words the all-clear for its period (%o)', (overrides, line) => {
    const messages = renderDigest(computeDigest(input(overrides), NOW, calendar));
    expect(messages).toEqual([{ text: line, blocks: [expect.objectContaining({ type: 'section' })] }]);
    expect(messageText(messages[0]!)).toBe(`:white_check_mark: ${line}`);
  });

  it('never says late when it is not', () => {
    expect(messageText(renderDigest(busyModel(1, 0))[0]!)).not.toContain('late');
  });

  it('names an owner without a Slack user in plain text and an unassigned ticket as such', () => {
    const tickets = [
      ticket('T1', { ownerId: 'o2' }),
      ticket('T2', { ownerId: null }),
      ticket('T3', { ownerId: 'gone' }),
    ];
    const clocks: TDigestClock[] = tickets.map((t) => ({
      ticketId: t.id,
      clock: 'firstResponse',
      state: 'at_risk',
      dueAt: new Date('2026-11-25T11:00:00Z'),
      completedAt: null,
      overdueMinutes: 0,
    }));
    const model = computeDigest(
      input({ tickets, clocks, owners: [{ id: 'o2', name: 'Bob <b> Stone', slackUserId: null }] }),
      NOW,
      calendar,
    );
    const text = messageText(renderDigest(model)[0]!);
    expect(text).toContain('· Bob &lt;b&gt; Stone');
    expect(text).toContain('· _unassigned_');
    expect(text).toContain('· owner gone');
  });

  it('gives the weekly report its own title and shorter lists', () => {
    const tickets = Array.from({ length: 8 }, (_, i) =>
      ticket(`T${i}`, { createdAt: new Date('2026-11-17T10:00:00Z') }),
    );
    const clocks: TDigestClock[] = tickets.map((t) => ({
      ticketId: t.id,
      clock: 'firstResponse',
      state: 'breached',
      dueAt: new Date('2026-11-17T14:00:00Z'),
      completedAt: null,
      overdueMinutes: 5,
    }));
    const model = computeDigest(input({ kind: 'weekly', tickets, clocks }), NOW, calendar);
    const text = messageText(renderDigest(model)[0]!);
    expect(text).toContain('Weekly report — support');
    expect(text).toContain('compared with the week before');
    expect(text.match(/:rotating_light:/g)).toHaveLength(5);
    expect(text).toContain('…and 3 more');
  });
});
