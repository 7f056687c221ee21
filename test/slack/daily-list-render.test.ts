// The morning list's words, pure: the DM (order kept, times in the person's zone, capped with "…and N more", the
// nudge buttons with the nudges' action ids, every hostile string escaped, within Block Kit's limits), the answers
// to `/heed daily`, and the command's arguments.
import { describe, expect, it } from 'vitest';
import { createTimeZone } from '../../src/domain/time-zone.ts';
import { workWeek } from '../../src/domain/working-day.ts';
import { parseHeed } from '../../src/slack/command-args.ts';
import {
  DAILY_LIST_CAP,
  type DailyListView,
  renderDailyList,
  renderDailyStatus,
} from '../../src/slack/render/daily-list.ts';
import { NUDGE_ACTIONS } from '../../src/slack/render/nudge.ts';
import { blockKitProblems } from './support/block-kit.ts';
import { HOSTILE, payloadProblems } from './support/hostile.ts';

const NOW = new Date('2026-03-09T13:00:00Z');
const NY = createTimeZone('America/New_York');
const URL = 'https://app.hubspot.com/contacts/4242/record/0-5/';

type Item = DailyListView['items'][number];
const item = (n: number, over: Partial<Item> = {}): Item => ({
  flagKey: `ticket:${n}:firstResponse:0`,
  kind: 'ticket',
  clock: 'firstResponse',
  state: 'at_risk',
  subject: `Ticket ${n}`,
  customer: `Customer ${n}`,
  hubspotUrl: `${URL}${n}`,
  dueAt: new Date(NOW.getTime() + n * 60_000),
  overdueBusinessMinutes: 0,
  workdayMinutes: 480,
  ...over,
});

const view = (items: Item[], over: Partial<DailyListView> = {}): DailyListView => ({
  userId: 'UNORA',
  zone: NY,
  now: NOW,
  items,
  total: items.length,
  ...over,
});

const actionBlocks = (blocks: unknown[]) =>
  (blocks as { type: string; elements?: { action_id: string; value?: string; text: { text: string } }[] }[]).filter(
    (b) => b.type === 'actions',
  );

describe('renderDailyList', () => {
  it('keeps the order, writes times in the zone, offers ✅ 👀 💤 with the nudge action ids', () => {
    const rendered = renderDailyList(
      view([
        item(1, { state: 'breached', dueAt: new Date('2026-03-06T21:50:00Z'), overdueBusinessMinutes: 250 }),
        item(2, { dueAt: new Date('2026-03-09T18:20:00Z'), claimedBy: 'UNORA' }),
        item(3, { dueAt: new Date('2026-03-09T13:00:00Z'), state: 'breached' }),
        item(4, { dueAt: undefined, kind: 'feedback', clock: undefined, state: 'pending' }),
      ]),
    );
    expect(rendered.text).toBe(
      'Good morning — 4 open items waiting on you, most overdue first (times in America/New_York): ' +
        '“Ticket 1” (Customer 1) — 4h 10m overdue (was due Fri 16:50); “Ticket 2” (Customer 2) — due 14:20; ' +
        '“Ticket 3” (Customer 3) — overdue since 09:00; “Ticket 4” (Customer 4) — no due time',
    );
    const actions = actionBlocks(rendered.blocks);
    expect(actions).toHaveLength(4);
    expect(actions[0]!.elements!.map((e) => [e.action_id, e.value, e.text.text])).toEqual([
      [NUDGE_ACTIONS.handled, 'ticket:1:firstResponse:0', '✅ Handled'],
      [NUDGE_ACTIONS.claim, 'ticket:1:firstResponse:0', "👀 I'm on it"],
      [NUDGE_ACTIONS.snooze, 'ticket:1:firstResponse:0', '💤 Snooze'],
    ]);
    // Their own claim can be released from here.
    expect(actions[1]!.elements!.map((e) => e.action_id)).toContain(NUDGE_ACTIONS.unclaim);
    expect(JSON.stringify(rendered.blocks)).toContain('feedback follow-up');
    expect(blockKitProblems(rendered)).toEqual([]);
  });

  it(`shows ${DAILY_LIST_CAP} and says how many more, within Slack's limits`, () => {
    const items = Array.from({ length: DAILY_LIST_CAP }, (_, i) => item(i + 1, { subject: 'S'.repeat(300) }));
    const rendered = renderDailyList(view(items, { total: 42 }));
    expect(actionBlocks(rendered.blocks)).toHaveLength(DAILY_LIST_CAP);
    expect(rendered.blocks.length).toBeLessThanOrEqual(50);
    expect(JSON.stringify(rendered.blocks)).toContain('…and 27 more — `/unanswered me` lists them all.');
    expect(rendered.text).toContain('…and 27 more (/unanswered me)');
    expect(rendered.text.length).toBeLessThanOrEqual(4000);
    expect(blockKitProblems(rendered)).toEqual([]);
  });

  it('says when it is late and why; an empty list is one line', () => {
    const late = renderDailyList(
      view([item(1)], { lateFor: new Date('2026-03-09T13:00:00Z'), now: new Date('2026-03-09T15:30:00Z') }),
    );
    expect(JSON.stringify(late.blocks)).toContain(
      'Later than the start of your day (09:00): Heed was not running then.',
    );
    const empty = renderDailyList(view([]));
    expect(empty.text).toBe(':sunrise: Good morning! Nothing waiting on you this morning.');
    expect(blockKitProblems(empty)).toEqual([]);
  });

  it.each(Object.entries(HOSTILE))('escapes %s in subject and customer, in text and blocks', (_name, hostile) => {
    const rendered = renderDailyList(view([item(1, { subject: hostile, customer: hostile, state: 'breached' })]));
    expect(
      payloadProblems(rendered as unknown as Record<string, unknown>, 'daily', {
        users: new Set(['UNORA']),
        urls: [URL],
      }),
    ).toEqual([]);
  });
});

describe('renderDailyStatus', () => {
  const team = {
    name: 'support',
    timezone: 'Europe/Berlin',
    hours: Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri'].map((d) => [d, [['09:00', '17:00']] as const])),
  };
  const hubspotWeek = workWeek({
    hubspot: {
      timeZone: 'Europe/Berlin',
      slots: [1, 2, 3, 4, 5].map((weekday) => ({ weekday, startMinute: 540, endMinute: 1020 })),
    },
    team,
  });

  it.each<[string, Parameters<typeof renderDailyStatus>[0], string[]]>([
    [
      'on, from HubSpot',
      { action: 'on', on: true, now: NOW, week: hubspotWeek, next: new Date('2026-03-10T08:00:00Z'), matched: true },
      [
        ":sunrise: You'll get your list at the start of your working day, 09:00 Mon–Fri (Europe/Berlin) — from your HubSpot working hours.",
        'Next: Tue 09:00 (Europe/Berlin).',
      ],
    ],
    [
      'no HubSpot hours, Slack zone',
      { action: 'status', on: true, now: NOW, week: workWeek({ team, slackTimeZone: 'Europe/Lisbon' }), matched: true },
      [
        "09:00 Mon–Fri (Europe/Lisbon) — HubSpot has no working hours for you, so the support team's calendar, in your Slack time zone.",
      ],
    ],
    [
      'no HubSpot hours, no Slack zone',
      {
        action: 'status',
        on: true,
        now: NOW,
        week: workWeek({ team }),
        matched: false,
        mutedUntil: new Date('2026-03-09T20:00:00Z'),
      },
      [
        "in the team's time zone",
        "I can't match you to a HubSpot owner by your email",
        ":mute: You muted Heed's DMs until 21:00: no list before then.",
      ],
    ],
    [
      'off',
      { action: 'off', on: false, now: NOW, week: hubspotWeek, matched: true },
      [':no_bell: Morning list off. `/heed daily on` to get it again.'],
    ],
    [
      'status while off',
      { action: 'status', on: false, now: NOW, week: hubspotWeek, matched: true },
      ["Your morning list is off. With `/heed daily on` you'd get it at the start"],
    ],
  ])('%s', (_name, input, lines) => {
    const rendered = renderDailyStatus(input);
    for (const line of lines) expect(rendered.text).toContain(line);
    expect(blockKitProblems(rendered)).toEqual([]);
  });
});

describe('parseHeed daily', () => {
  it.each<[string, string]>([
    ['daily', 'status'],
    ['daily on', 'on'],
    ['DAILY Off', 'off'],
    ['daily status', 'status'],
  ])('%j → %s', (text, action) => {
    expect(parseHeed(text)).toEqual({ ok: true, value: { name: 'daily', action } });
  });

  it.each(['daily sometimes', 'daily on now', 'daily 9am'])('%j is refused with the usage', (text) => {
    expect(parseHeed(text)).toEqual({
      ok: false,
      problem: '`daily` takes `on`, `off` or `status`, e.g. `/heed daily on`.',
    });
  });
});
