// Summaries and "and N more" messages: valid Block Kit within Slack's limits for every kind, with ordinary and
// hostile ticket text; the words a person reads; every outcome of a ticket said truthfully in every message
// about it (nudge, thread ping, DM, escalation).
import { describe, expect, it } from 'vitest';
import type { FlagOutcome } from '../../src/domain/flag.ts';
import {
  type NudgeView,
  renderEscalationPost,
  renderEscalationReply,
  renderNudge,
  renderOwnerDm,
} from '../../src/slack/render/nudge.ts';
import { type RollupKind, type RollupModel, renderRollup } from '../../src/slack/render/rollup.ts';
import { blockKitProblems } from './support/block-kit.ts';

const AT = new Date('2026-03-02T10:00:00.000Z');
const view = (i: number, over: Partial<NudgeView> = {}): NudgeView => ({
  flagKey: `ticket:${i}:firstResponse:0`,
  kind: 'ticket',
  state: 'breached',
  clock: 'firstResponse',
  customer: `Customer ${i}`,
  subject: `Order ${i} never arrived`,
  hubspotUrl: `https://app.hubspot.com/contacts/4242/record/0-5/${i}`,
  owner: { name: 'Carol Agent', slackUserId: 'UCAROL' },
  waitedBusinessMinutes: 600,
  waitedWallMinutes: 900,
  asOf: AT,
  dueAt: new Date(AT.getTime() - 3_600_000),
  overdueBusinessMinutes: 60 + i,
  ...over,
});
const model = (kind: RollupKind, over: Partial<RollupModel> = {}): RollupModel => ({
  kind,
  team: kind === 'backlog' || kind === 'channel' ? 'support' : undefined,
  wave: 1,
  tickets: 40,
  feedback: 0,
  waiting: 37,
  ended: { answered: 3 },
  lines: Array.from({ length: 10 }, (_, i) => ({ view: view(1000 + i) })),
  budget: kind === 'backlog' ? undefined : { limit: 10, windowMinutes: 15, setting: 'nudges.perChannel' },
  seeAll: { command: '/unanswered support', value: '{"s":{"kind":"team","team":"support"}}' },
  asOf: AT,
  ...over,
});
const huge = '🔥<!channel>&|'.repeat(400);

describe('summary and "and N more" renderers', () => {
  it.each(['backlog', 'channel', 'person', 'escalation'] as const)(
    '%s: valid within limits, hostile text too',
    (kind) => {
      for (const m of [
        model(kind),
        model(kind, { waiting: 0, lines: [], ended: { answered: 30, closed_unanswered: 5, moved: 5 } }),
        model(kind, {
          lines: Array.from({ length: 10 }, (_, i) => ({
            view: view(i, { subject: huge, customer: huge, owner: { name: huge } }),
            team: huge,
            alsoLate: ['next response', 'resolution'],
          })),
        }),
      ]) {
        const rendered = renderRollup(m);
        expect(blockKitProblems(rendered)).toEqual([]);
        expect(JSON.stringify(rendered)).not.toContain('<!channel>');
      }
    },
  );

  it.each([
    ['backlog', {}, ':inbox_tray: *40 tickets were already late when Heed started watching* — support'],
    ['backlog', { wave: 2, tickets: 1 }, ':inbox_tray: *1 ticket was found already late* — support'],
    [
      'backlog',
      { tickets: 3, feedback: 2 },
      '*3 tickets and 2 negative feedback answers were already late when Heed started watching*',
    ],
    ['channel', {}, ':bell: *…and 40 more tickets need attention* — support'],
    ['channel', { tickets: 1 }, ':bell: *…and 1 more ticket needs attention* — support'],
    ['person', {}, ':bell: *…and 40 more of your tickets need you*'],
    ['escalation', {}, ':rotating_light: *…and 40 more escalations*'],
  ] as const)('%s %j reads %j', (kind, over, title) => {
    expect(JSON.stringify(renderRollup(model(kind, over)).blocks)).toContain(JSON.stringify(title).slice(1, -1));
  });

  it('lists the waiting ones with links, clocks and owners, then offers the whole list', () => {
    const rendered = renderRollup(
      model('backlog', {
        lines: [{ view: view(7), alsoLate: ['resolution'] }],
        waiting: 12,
      }),
    );
    const text = JSON.stringify(rendered.blocks);
    expect(text).toContain(
      ':rotating_light: *<https://app.hubspot.com/contacts/4242/record/0-5/7|Order 7 never arrived>* — Customer 7 · first response + resolution · *overdue by 1h 7m* · <@UCAROL>',
    );
    expect(text).toContain('*12 still waiting* · since: 3 answered');
    expect(text).toContain('…and 11 more: `/unanswered support` lists every one.');
    expect(text).toContain('rollup_show_all');
    expect(rendered.text).toBe('support: 40 tickets were already late when Heed started watching — 12 still waiting.');
  });

  it('says when nothing is waiting any more, without a button', () => {
    const rendered = renderRollup(model('backlog', { waiting: 0, lines: [], ended: { answered: 38, deleted: 2 } }));
    const text = JSON.stringify(rendered.blocks);
    expect(text).toContain(
      ':white_check_mark: *None of them is waiting any more.* 38 answered · 2 deleted in HubSpot.',
    );
    expect(text).not.toContain('rollup_show_all');
  });
});

describe('every message about a ticket says how it ended', () => {
  const done = (outcome: FlagOutcome, over: Partial<NudgeView> = {}) =>
    view(1, { state: 'resolved', outcome, resolvedAt: AT, ...over });
  it.each([
    ['answered', done('answered'), 'Answered — first response'],
    ['answered (next response)', done('answered', { clock: 'nextResponse' }), 'Answered — next response'],
    ['resolved', done('resolved', { clock: 'resolution' }), 'Resolved'],
    ['closed without a reply', done('closed_unanswered'), 'Closed without a reply'],
    [
      'closed without answering the last message',
      done('closed_unanswered', { clock: 'nextResponse' }),
      "Closed without answering the customer's last message",
    ],
    ['deleted', done('deleted'), 'Deleted in HubSpot'],
    ['no longer late', done('recovered'), 'No longer late — first response'],
    ['handled', view(1, { state: 'handled', handledBy: 'UBOB', handledAt: AT }), 'Handled'],
    ['moved', view(1, { movedTo: { team: 'billing', channel: 'CBILLING' } }), 'Moved to billing — see <#CBILLING>'],
  ])('%s: the nudge, thread ping, DM and escalation all say %j', (_name, v, label) => {
    const messages = [
      renderNudge(v),
      renderEscalationReply(v, 'UCAROL'),
      renderOwnerDm(v, 'UCAROL'),
      renderEscalationPost(v, 'support'),
    ];
    for (const m of messages) {
      expect(m.text).toContain(label);
      expect(`${m.text}${JSON.stringify(m.blocks)}`).not.toMatch(/Breached|breached its|is breached/);
      expect(blockKitProblems(m)).toEqual([]);
    }
    // Never "Answered" for a ticket that was not answered.
    if (!label.startsWith('Answered'))
      for (const m of messages) expect(`${m.text}${JSON.stringify(m.blocks)}`).not.toContain('Answered');
  });
});
