// Pure renderers: every message and view Heed sends validates against the Block Kit subset schema and
// stays inside Slack's limits, for ordinary and hostile inputs alike.
import { describe, expect, it } from 'vitest';
import {
  type NudgeView,
  renderEscalationPost,
  renderEscalationReply,
  renderNudge,
  renderOwnerDm,
} from '../../src/slack/render/nudge.ts';
import { type QueueItem, renderHome, renderQueuePage, renderSlow } from '../../src/slack/render/queue.ts';
import { renderStatus, renderUsage, renderWhois, USAGE } from '../../src/slack/render/replies.ts';
import { blockKitProblems } from './support/block-kit.ts';

const AT = new Date('2026-03-02T10:00:00.000Z');
const base: NudgeView = {
  flagKey: 'ticket:101:firstResponse:0',
  kind: 'ticket',
  state: 'at_risk',
  clock: 'firstResponse',
  priority: 'HIGH',
  customer: 'Dana (Acme)',
  subject: 'Cannot log in',
  hubspotUrl: 'https://app.hubspot.com/contacts/4242/record/0-5/101',
  owner: { name: 'Carol Agent', slackUserId: 'UCAROL' },
  waitedBusinessMinutes: 185,
  waitedWallMinutes: 200,
  asOf: AT,
  dueAt: new Date(AT.getTime() + 3_600_000),
  overdueBusinessMinutes: 0,
};
const huge = '🔥<&>|'.repeat(3000);

const views: [string, NudgeView][] = [
  ['at risk', base],
  ['breached', { ...base, state: 'breached', overdueBusinessMinutes: 95 }],
  ['answered', { ...base, state: 'resolved', outcome: 'answered', resolvedAt: AT }],
  ['closed without a reply', { ...base, state: 'resolved', outcome: 'closed_unanswered', resolvedAt: AT }],
  ['moved', { ...base, state: 'breached', movedTo: { team: 'billing', channel: 'CBILLING' } }],
  ['handled', { ...base, handledBy: 'UBOB', handledAt: AT }],
  ['claimed and snoozed', { ...base, claimedBy: 'UBOB', snoozedBy: 'UBOB', snoozedUntil: AT }],
  ['unmapped owner, no link', { ...base, owner: { name: 'Bob <script>' }, hubspotUrl: undefined }],
  ['no owner, no due', { ...base, owner: undefined, dueAt: undefined, priority: undefined }],
  [
    'feedback pending',
    {
      ...base,
      kind: 'feedback',
      clock: undefined,
      state: 'pending',
      feedback: { surveyType: 'NPS', score: 2, comment: 'Terrible <support>' },
    },
  ],
  [
    'feedback overdue',
    {
      ...base,
      kind: 'feedback',
      clock: undefined,
      state: 'overdue',
      overdueBusinessMinutes: 30,
      feedback: { surveyType: 'CSAT', score: 1 },
    },
  ],
  [
    'hostile and huge text',
    { ...base, subject: huge, customer: huge, owner: { name: huge }, feedback: { surveyType: huge, comment: huge } },
  ],
];

describe('nudge renderers', () => {
  it.each(views)('%s: nudge, thread reply, escalation post and DM are valid Block Kit within limits', (_name, view) => {
    for (const message of [
      renderNudge(view),
      renderEscalationReply(view),
      renderEscalationPost(view, 'support'),
      renderOwnerDm(view),
    ]) {
      expect(blockKitProblems(message)).toEqual([]);
      expect(message.text.trim().length).toBeGreaterThan(0);
    }
  });

  it('a nudge handled by a person offers only "Undo"', () => {
    const { blocks } = renderNudge({ ...base, state: 'handled', handledBy: 'UBOB', handledAt: AT });
    const actions = blocks.filter((b) => b.type === 'actions');
    expect(JSON.stringify(actions)).toContain('nudge_unhandled');
    expect(JSON.stringify(actions)).not.toContain('nudge_claim');
  });

  it('escapes user text and names an unmapped owner in plain text', () => {
    const json = JSON.stringify(renderNudge({ ...base, subject: 'A <b> & c', owner: { name: 'Bob <x>' } }).blocks);
    expect(json).toContain('A &lt;b&gt; &amp; c');
    expect(json).toContain('Bob &lt;x&gt;');
    expect(json).not.toContain('<@');
  });

  it.each([
    ['at risk', base, true, 'At risk — first response'],
    ['breached', { ...base, state: 'breached' as const, overdueBusinessMinutes: 95 }, true, 'overdue by 1h 35m'],
    [
      'answered',
      { ...base, state: 'resolved' as const, outcome: 'answered' as const },
      false,
      'Answered — first response',
    ],
    [
      'answered after being handled',
      { ...base, state: 'resolved' as const, handledBy: 'UBOB' },
      false,
      'Handled by <@UBOB>',
    ],
  ])('%s: buttons shown %s, says %j', (_n, view, buttons, says) => {
    const { blocks } = renderNudge(view);
    expect(blocks.some((b) => b.type === 'actions')).toBe(buttons);
    expect(JSON.stringify(blocks)).toContain(says);
  });
});

describe('how durations read in a nudge', () => {
  it('a clock breached less than a business minute ago says since when, not "overdue by 0m"', () => {
    // Due at 17:00 Friday, read at 20:00: zero business minutes overdue, three hours late.
    const due = new Date('2026-03-06T17:00:00Z');
    const message = renderNudge({ ...base, state: 'breached', dueAt: due, overdueBusinessMinutes: 0 });
    const shown = JSON.stringify(message.blocks);
    expect(shown).toContain(`overdue since <!date^${due.getTime() / 1000}^`);
    expect(shown).not.toContain('overdue by 0m');
    expect(message.text).toContain('overdue since 2026-03-06 17:00 UTC');
  });

  it('a year-long wait reads in working days of the team calendar and wall days', () => {
    const message = renderNudge({
      ...base,
      state: 'breached',
      waitedBusinessMinutes: 1937 * 60 + 7,
      waitedWallMinutes: (344 * 24 + 17) * 60,
      overdueBusinessMinutes: 1933 * 60,
      workdayMinutes: 450,
    });
    const shown = JSON.stringify(message.blocks);
    expect(shown).toContain('258 working days · 344d wall');
    expect(shown).toContain('overdue by 257 working days');
    expect(message.text).toContain('waiting 258 working days, overdue by 257 working days');
    expect(shown).not.toMatch(/1937h|344d 17h/);
  });
});

const item = (i: number, over: Partial<QueueItem> = {}): QueueItem => ({
  flagKey: `ticket:${i}:firstResponse:0`,
  kind: 'ticket',
  state: 'breached',
  clock: 'firstResponse',
  subject: `Ticket ${i}`,
  customer: 'Dana',
  hubspotUrl: `https://app.hubspot.com/contacts/4242/record/0-5/${i}`,
  owner: { name: 'Carol', slackUserId: 'UCAROL' },
  waitedBusinessMinutes: 100 + i,
  dueAt: AT,
  overdueBusinessMinutes: i,
  ...over,
});

describe('list, home and reply renderers', () => {
  it.each([
    ['empty', [], 0],
    ['one page', Array.from({ length: 20 }, (_, i) => item(i)), 20],
    [
      'more to come, hostile text',
      Array.from({ length: 20 }, (_, i) => item(i, { subject: huge, customer: huge, owner: { name: huge } })),
      500,
    ],
  ])('queue page %s is valid', (_n, items, total) => {
    const message = renderQueuePage({
      title: 'Waiting',
      items,
      total,
      offset: 0,
      emptyText: 'Nothing.',
      moreValue: '{"s":{"kind":"all"},"o":20}',
    });
    expect(blockKitProblems(message)).toEqual([]);
    expect(JSON.stringify(message.blocks).includes('list_more')).toBe(total > 20);
  });

  it('shows a clock marked handled in Slack as such', () => {
    const { blocks } = renderQueuePage({
      title: 'Waiting',
      items: [item(1, { state: 'handled' })],
      total: 1,
      offset: 0,
      emptyText: '',
    });
    expect(JSON.stringify(blocks)).toContain(
      ':white_check_mark: *<https://app.hubspot.com/contacts/4242/record/0-5/1|Ticket 1>*',
    );
    expect(JSON.stringify(blocks)).toContain('marked handled in Slack');
  });

  it('/slow and the Home tab stay valid with many items and teams', () => {
    const groups = (['firstResponse', 'nextResponse', 'resolution'] as const).map((clock) => ({
      clock,
      items: Array.from({ length: 10 }, (_, i) => item(i, { clock })),
      total: 40,
      breached: 30,
    }));
    expect(blockKitProblems(renderSlow('Slow', groups, 'none'))).toEqual([]);
    const teams = Array.from({ length: 80 }, (_, i) => ({
      team: `team-${i}`,
      open: i,
      atRisk: 1,
      breached: 2,
      metToday: 3,
      missedToday: 1,
    }));
    const home = renderHome({
      myQueue: Array.from({ length: 30 }, (_, i) => item(i)),
      myQueueTotal: 30,
      mapped: true,
      teams,
      asOf: AT,
    });
    expect(blockKitProblems(home)).toEqual([]);
    expect(blockKitProblems(renderHome({ myQueue: [], myQueueTotal: 0, mapped: false, teams: [], asOf: AT }))).toEqual(
      [],
    );
  });

  it('usage, status and whois are valid', () => {
    for (const command of Object.keys(USAGE))
      expect(blockKitProblems(renderUsage(command, `bad "${huge}"`))).toEqual([]);
    const status = renderStatus({
      pendingWebhooks: 3,
      outboxPending: 1,
      teams: Array.from({ length: 200 }, (_, i) => ({ team: `t${i}`, open: 1, atRisk: 1, breached: 0, feedback: 0 })),
    });
    expect(blockKitProblems(status)).toEqual([]);
    const whois = renderWhois({
      ticketId: '1',
      subject: huge,
      customer: huge,
      state: { kind: 'open' },
      flags: [{ kind: 'ticket', clock: 'firstResponse', state: 'breached', overdueBusinessMinutes: 5 }],
    });
    expect(blockKitProblems(whois)).toEqual([]);
  });
});
