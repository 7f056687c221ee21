// Slack messages as terminal text: mrkdwn tokens, Block Kit blocks, colour only when asked, and user text that
// cannot reach the terminal as control sequences.
import { describe, expect, it } from 'vitest';
import { renderNudge } from '../../src/slack/render/nudge.ts';
import { renderQueuePage } from '../../src/slack/render/queue.ts';
import {
  formatSlackDate,
  mrkdwnToTerminal,
  renderMessageLines,
  stripControl,
  terminalStyle,
} from '../../src/slack/render/terminal.ts';

const plain = terminalStyle(false);
const colour = terminalStyle(true);
const people = new Map([['U0ADA', 'Ada Okafor']]);
const channels = new Map([['C0LEADS', 'support-leads']]);
// Tuesday 17 November 2026, 09:45 UTC.
const AT = Date.parse('2026-11-17T09:45:00Z') / 1000;

describe('mrkdwnToTerminal', () => {
  it.each([
    ['a link shows its label', '<https://example.com/t/1|Export fails>', 'Export fails'],
    ['a bare link shows the URL', '<https://example.com/x>', 'https://example.com/x'],
    ['a mention names the person', 'ping <@U0ADA>', 'ping @Ada Okafor'],
    ['an unknown mention keeps the id', 'ping <@U0NOBODY>', 'ping @U0NOBODY'],
    ['a channel link names the channel', 'see <#C0LEADS>', 'see #support-leads'],
    ['a labelled channel link uses its label', 'see <#C0LEADS|leads>', 'see #leads'],
    ['a special mention', '<!here> look', '@here look'],
    ['bold loses its markers', '*Breached — first response*', 'Breached — first response'],
    ['italic and strike lose theirs', '_unassigned_ and ~old~', 'unassigned and old'],
    ['code loses its backticks', 'try `/unanswered me`', 'try /unanswered me'],
    ['emoji codes become emoji', ':rotating_light: :hourglass_flowing_sand: :white_check_mark:', '🚨 ⏳ ✅'],
    ['unknown emoji codes stay', ':not_an_emoji:', ':not_an_emoji:'],
    ['entities are decoded last', 'A &amp; B &lt;Ltd&gt;', 'A & B <Ltd>'],
    ['escaped angle brackets are not tokens', '&lt;@U0ADA&gt;', '<@U0ADA>'],
    ['stars inside words stay', '2*3*4', '2*3*4'],
  ])('%s', (_name, input, expected) => {
    expect(mrkdwnToTerminal(input, { style: plain, people, channels })).toBe(expected);
  });

  it.each([
    ['Europe/London', '{date_short_pretty} {time}', 'Tue 17 Nov 09:45 GMT'],
    ['Europe/Berlin', '{date_short_pretty} {time}', 'Tue 17 Nov 10:45 CET'],
    ['Europe/Helsinki', '{time}', '11:45 EET'],
    ['UTC', '{date_long}', 'Tuesday, 17 November 2026'],
  ])('dates read in the reader’s zone (%s, %s)', (zone, format, expected) => {
    expect(formatSlackDate(AT, format, zone)).toBe(expected);
    expect(mrkdwnToTerminal(`due <!date^${AT}^${format}|2026-11-17 09:45 UTC>`, { style: plain, timeZone: zone })).toBe(
      `due ${expected}`,
    );
  });

  it('falls back to the fallback text of a date token it cannot read', () => {
    expect(mrkdwnToTerminal('<!date^soon^{time}|whenever>', { style: plain })).toBe('whenever');
  });

  it('styles with ANSI only when colour is on', () => {
    const text = '*Bold* <https://x.test|link> <@U0ADA>';
    expect(mrkdwnToTerminal(text, { style: plain, people }).includes('\x1b')).toBe(false);
    const styled = mrkdwnToTerminal(text, { style: colour, people });
    expect(styled).toContain('\x1b[1mBold\x1b[22m');
    expect(styled).toContain('\x1b[4mlink\x1b[24m');
    expect(styled).toContain('\x1b[36m@Ada Okafor\x1b[39m');
  });

  it('never lets user text carry control sequences to the terminal', () => {
    const hostile = 'Subject \x1b[2J\x1b]0;pwned\x07 end\r\u009b';
    const out = mrkdwnToTerminal(hostile, { style: colour });
    const controls = Array.from(out).filter((c) => {
      const code = c.codePointAt(0)!;
      return c !== '\n' && (code < 32 || (code >= 127 && code <= 159));
    });
    // Whole escape sequences go (no "[2J" left behind); a carriage return is a line break, not a rewind.
    expect(out).toBe('Subject  end\n');
    expect(controls.length).toBe(0);
    expect(stripControl('a\nb\tc')).toBe('a\nb c');
  });
});

const nudgeView = {
  flagKey: 'ticket:3000000062:firstResponse:0',
  kind: 'ticket' as const,
  state: 'breached' as const,
  clock: 'firstResponse' as const,
  priority: 'HIGH',
  customer: 'Goran Okafor (Acme & Co)',
  subject: 'Invoice shows the <wrong> VAT number',
  hubspotUrl: 'https://app.hubspot.com/contacts/1/record/0-5/3000000062',
  owner: { name: 'Ada Okafor', slackUserId: 'U0ADA' },
  waitedBusinessMinutes: 330,
  waitedWallMinutes: 1290,
  asOf: new Date(AT * 1000),
  dueAt: new Date('2026-11-16T16:00:00Z'),
  overdueBusinessMinutes: 90,
};

describe('renderMessageLines', () => {
  it('shows a nudge as a channel would: headline, title, fields, context and buttons', () => {
    const lines = renderMessageLines(renderNudge(nudgeView), { style: plain, people, timeZone: 'Europe/London' });
    expect(lines).toEqual([
      '🚨 Breached — first response',
      'Invoice shows the <wrong> VAT number',
      'from Goran Okafor (Acme & Co)',
      'Owner     @Ada Okafor',
      'Priority  🟠 High',
      'Waiting   5h 30m business · 21h 30m wall',
      'Due       overdue by 1h 30m (was due Mon 16 Nov 16:00 GMT)',
      'Waiting time as of 09:45 GMT',
      "[Open in HubSpot] [I'm on it] [Snooze] [Handled]",
      'Open in HubSpot: https://app.hubspot.com/contacts/1/record/0-5/3000000062',
    ]);
  });

  it('colours a breached headline red and the primary button green when colour is on', () => {
    const lines = renderMessageLines(renderNudge(nudgeView), { style: colour, people });
    expect(lines[0]).toBe('\x1b[31m🚨 \x1b[1mBreached — first response\x1b[22m\x1b[39m');
    expect(lines.find((l) => l.includes('Handled'))).toContain('\x1b[32m[Handled]\x1b[39m');
  });

  it('shows a list with its header, items and the More button', () => {
    const items = Array.from({ length: 21 }, (_, i) => ({
      flagKey: `ticket:${i}:firstResponse:0`,
      kind: 'ticket' as const,
      state: i === 0 ? ('breached' as const) : ('running' as const),
      clock: 'firstResponse' as const,
      subject: `Ticket ${i}`,
      customer: 'Kai',
      waitedBusinessMinutes: 60,
      dueAt: new Date(AT * 1000 + 3_600_000),
      overdueBusinessMinutes: i === 0 ? 15 : 0,
    }));
    const message = renderQueuePage({
      title: 'Waiting for our reply — support',
      items: items.slice(0, 20),
      total: 21,
      offset: 0,
      emptyText: 'Nothing.',
      moreValue: '{}',
    });
    const lines = renderMessageLines(message, { style: plain, timeZone: 'UTC' });
    expect(lines[0]).toBe('Waiting for our reply — support');
    expect(lines[1]).toBe('Showing 1–20 of 21, most urgent first');
    expect(lines[2]).toBe('🚨 Ticket 0 — Kai');
    expect(lines[3]).toBe('first response · waiting 1h business · overdue by 15m · unassigned');
    expect(lines[4]).toBe('🔵 Ticket 1 — Kai');
    expect(lines[5]).toBe('first response · waiting 1h business · due Tue 17 Nov 10:45 UTC · unassigned');
    expect(lines.at(-1)).toBe('[More (1 left)]');
  });

  it.each([
    ['quotes', [{ type: 'section', text: { type: 'mrkdwn', text: 'CSAT 1\n> too slow' } }], ['CSAT 1', '▎ too slow']],
    ['dividers', [{ type: 'divider' }], ['─'.repeat(40)]],
    ['fields without labels', [{ type: 'section', fields: [{ type: 'mrkdwn', text: 'just text' }] }], ['just text']],
    [
      'context elements on one line',
      [
        {
          type: 'context',
          elements: [
            { type: 'mrkdwn', text: 'a' },
            { type: 'plain_text', text: 'b' },
          ],
        },
      ],
      ['a · b'],
    ],
    ['unknown blocks by their text', [{ type: 'rich_text', text: { type: 'mrkdwn', text: '*x*' } }], ['x']],
    ['headers with emoji codes', [{ type: 'header', text: { type: 'plain_text', text: ':tada: Done' } }], ['🎉 Done']],
  ])('renders %s', (_name, blocks, expected) => {
    expect(renderMessageLines({ text: 'fallback', blocks }, { style: plain })).toEqual(expected);
  });

  it('uses the fallback text of a message without blocks', () => {
    expect(renderMessageLines({ text: 'Hello *there*\nsecond', blocks: [] }, { style: plain })).toEqual([
      'Hello there',
      'second',
    ]);
  });
});
