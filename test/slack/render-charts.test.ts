// Charts and tables (Slack's data visualization and data table blocks): the builders keep Slack's limits, the
// extended Block Kit schema refuses what Slack would, and a digest never puts more than two charts in a message.
import { describe, expect, it } from 'vitest';
import { createBusinessCalendar } from '../../src/domain/calendar.ts';
import { computeDigest, type TDigestInput } from '../../src/domain/digest.ts';
import type { TDigestClock, TDigestTicket } from '../../src/domain/digest-stats.ts';
import { type Block, dataTable, tableChars, xyChart } from '../../src/slack/render/blocks.ts';
import { renderDigest } from '../../src/slack/render/digest.ts';
import { renderDigestText } from '../../src/slack/render/digest-text.ts';
import { md } from '../../src/slack/render/mrkdwn.ts';
import { messageProblems } from '../fixtures/digest/block-kit.ts';
import { blockKitProblems } from './support/block-kit.ts';

const message = (...blocks: Block[]) => ({ text: md`Heed`, blocks });
const days = (n: number) => Array.from({ length: n }, (_, i) => `${i + 1} Nov`);

describe('chart and table builders', () => {
  it('draws a valid line chart: one point per category, labelled by it', () => {
    const chart = xyChart('line', 'Waiting', {
      categories: ['1 Nov', '2 Nov'],
      series: [{ name: 'Waiting on us', values: [3, 5] }],
      yLabel: 'tickets',
    });
    expect(chart).toEqual({
      type: 'data_visualization',
      title: 'Waiting',
      chart: {
        type: 'line',
        series: [
          {
            name: 'Waiting on us',
            data: [
              { label: '1 Nov', value: 3 },
              { label: '2 Nov', value: 5 },
            ],
          },
        ],
        axis_config: { categories: ['1 Nov', '2 Nov'], y_label: 'tickets' },
      },
    });
    expect(blockKitProblems(message(chart))).toEqual([]);
  });

  it('keeps Slack’s limits: title 50, labels 20, 6 series, the last 20 points', () => {
    const chart = xyChart('bar', 'A title that is much longer than the fifty characters Slack allows', {
      categories: days(25),
      series: Array.from({ length: 8 }, (_, s) => ({
        name: `Series number ${s} with a long name`,
        values: Array.from({ length: 25 }, (_, i) => i * s),
      })),
      xLabel: 'x'.repeat(80),
    });
    expect(blockKitProblems(message(chart))).toEqual([]);
    if (chart.type !== 'data_visualization' || chart.chart.type === 'pie') throw new Error('not a chart');
    expect(chart.title).toHaveLength(50);
    expect(chart.title.endsWith('…')).toBe(true);
    expect(chart.chart.series).toHaveLength(6);
    expect(chart.chart.axis_config.categories).toEqual(days(25).slice(5));
    expect(chart.chart.series[1]!.data[0]).toEqual({ label: '6 Nov', value: 5 });
    expect(chart.chart.series.every((s) => s.name.length <= 20)).toBe(true);
    expect(chart.chart.axis_config.x_label).toHaveLength(50);
  });

  it.each([
    ['a missing value', { categories: ['a', 'b'], series: [{ name: 's', values: [1] }] }, /one value per category/],
    [
      'a value that is not a number',
      { categories: ['a'], series: [{ name: 's', values: [Number.NaN] }] },
      /not a number/,
    ],
    ['two equal categories', { categories: ['a', 'a'], series: [{ name: 's', values: [1, 2] }] }, /distinct/],
  ])('refuses %s rather than draw a wrong chart', (_, data, error) => {
    expect(() => xyChart('line', 't', data)).toThrow(error);
  });

  it('builds a table within Slack’s limits: 100 rows, 10,000 characters, printable cells', () => {
    const rows = Array.from({ length: 150 }, (_, i) => [
      `Agent\u001b[31m <!channel> ${i}`,
      i,
      { value: i * 10, text: `${i}m` },
    ]);
    const table = dataTable('Per agent', ['Agent', 'Replies', 'Median'], rows, { pageSize: 10 });
    expect(blockKitProblems(message(table))).toEqual([]);
    if (table.type !== 'data_table') throw new Error('not a table');
    expect(table.rows).toHaveLength(101);
    expect(table.rows[0]).toEqual([
      { type: 'raw_text', text: 'Agent' },
      { type: 'raw_text', text: 'Replies' },
      { type: 'raw_text', text: 'Median' },
    ]);
    // Control sequences are gone; the text is shown as written (plain text: Slack parses no mentions in it).
    expect(table.rows[1]).toEqual([
      { type: 'raw_text', text: 'Agent <!channel> 0' },
      { type: 'raw_number', value: 0, text: '0' },
      { type: 'raw_number', value: 0, text: '0m' },
    ]);
    const wide = dataTable(
      'Wide',
      ['Text'],
      Array.from({ length: 100 }, () => ['y'.repeat(200)]),
      { cellChars: 200 },
    );
    expect(tableChars(wide)).toBeLessThanOrEqual(10_000);
    expect(blockKitProblems(message(wide))).toEqual([]);
  });
});

describe('the extended Block Kit schema', () => {
  const chart = xyChart('line', 'Trend', { categories: ['a', 'b'], series: [{ name: 's', values: [1, 2] }] });
  const table = dataTable('T', ['Name', 'Count'], [['x', 1]]);

  it.each<[string, unknown, RegExp]>([
    [
      'a title over 50 characters',
      message({ ...(chart as object), title: 'x'.repeat(51) } as Block),
      /maxLength|must NOT have more than 50/,
    ],
    ['three charts in one message', message(chart, chart, chart), /3 data_visualization blocks > 2/],
    [
      'a series whose labels do not match the categories',
      message({
        type: 'data_visualization',
        title: 'T',
        chart: {
          type: 'line',
          series: [{ name: 's', data: [{ label: 'b', value: 1 }] }],
          axis_config: { categories: ['a'] },
        },
      }),
      /labels do not match the categories/,
    ],
    [
      'seven series',
      message({
        type: 'data_visualization',
        title: 'T',
        chart: {
          type: 'bar',
          series: Array.from({ length: 7 }, (_, i) => ({ name: `s${i}`, data: [{ label: 'a', value: 1 }] })),
          axis_config: { categories: ['a'] },
        },
      }),
      /more than 6/,
    ],
    [
      'a pie slice of 0',
      message({ type: 'data_visualization', title: 'T', chart: { type: 'pie', segments: [{ label: 'a', value: 0 }] } }),
      /must be > 0/,
    ],
    [
      'a table with only its header',
      message({ type: 'data_table', caption: 'T', rows: [[{ type: 'raw_text', text: 'a' }]] }),
      /fewer than 2/,
    ],
    [
      'rows of different widths',
      message({
        type: 'data_table',
        caption: 'T',
        rows: [
          [
            { type: 'raw_text', text: 'a' },
            { type: 'raw_text', text: 'b' },
          ],
          [{ type: 'raw_text', text: 'c' }],
        ],
      }),
      /rows of different widths/,
    ],
    [
      'an empty cell',
      message({
        type: 'data_table',
        caption: 'T',
        rows: [[{ type: 'raw_text', text: 'a' }], [{ type: 'raw_text', text: '' }]],
      }),
      /fewer than 1 characters/,
    ],
    [
      'a table without a caption',
      message({ type: 'data_table', rows: (table as { rows: unknown }).rows } as unknown as Block),
      /caption/,
    ],
    [
      'more than 10,000 characters of cells in one message',
      message(
        ...Array.from({ length: 3 }, () =>
          dataTable(
            'T',
            ['Text'],
            Array.from({ length: 100 }, () => ['z'.repeat(40)]),
            { cellChars: 40 },
          ),
        ),
      ),
      /characters of table cells in one message/,
    ],
  ])('refuses %s', (_, payload, problem) => {
    expect(blockKitProblems(payload).join('\n')).toMatch(problem);
  });

  it('accepts two charts and a table in one message', () => {
    expect(blockKitProblems(message(chart, chart, table))).toEqual([]);
  });
});

describe('charts in the digest', () => {
  const calendar = createBusinessCalendar({
    timezone: 'UTC',
    hours: Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri'].map((d) => [d, [['09:00', '17:00']] as const])),
  });
  const NOW = new Date('2026-11-30T10:00:00Z');
  const owners = Array.from({ length: 30 }, (_, i) => ({
    id: `o${i}`,
    name: `Agent ${i} ${'Z'.repeat(30)}`,
    slackUserId: null,
  }));
  const tickets: TDigestTicket[] = owners.flatMap((o, i) =>
    [17, 18, 24, 25, 26].map((day, k) => ({
      id: `T${i}-${k}`,
      subject: 'Help',
      ownerId: o.id,
      priority: null,
      category: null,
      source: null,
      stageId: null,
      customer: null,
      url: null,
      createdAt: new Date(Date.UTC(2026, 10, day, 9)),
      closedAt: null,
      isClosed: false,
      firstAgentReplyAt: new Date(Date.UTC(2026, 10, day, 10 + (i % 5))),
      lastCustomerMessageAt: null,
      lastAgentMessageAt: null,
    })),
  );
  const clocks: TDigestClock[] = tickets.map((t, i) => ({
    ticketId: t.id,
    clock: 'firstResponse',
    state: i % 4 === 0 ? 'missed' : 'met',
    dueAt: new Date(t.createdAt.getTime() + 2 * 3_600_000),
    completedAt: t.firstAgentReplyAt,
    overdueMinutes: 0,
  }));
  const input: TDigestInput = {
    team: 'support',
    kind: 'weekly',
    tickets,
    clocks,
    feedback: [],
    owners,
    storedStats: [],
    thresholds: { NPS: { atMost: 6 }, CSAT: { atMost: 2 }, CES: { atMost: 3 }, commentsCount: true },
    waitingStageIds: [],
  };

  it('puts at most two charts in a message, splitting the report when a part would hold more', () => {
    const model = computeDigest(input, NOW, calendar);
    expect(model.agents).toHaveLength(30);
    const whole = renderDigest(model);
    expect(whole[0]!.blocks.filter((b) => b.type === 'data_visualization')).toHaveLength(2);
    // With room for one chart per message, the second goes to the next part: every part still valid.
    const split = renderDigest(model, { limits: { maxCharts: 1 } });
    expect(split.length).toBeGreaterThan(whole.length - 1);
    expect(split.map((m) => m.blocks.filter((b) => b.type === 'data_visualization').length)).toContain(1);
    for (const m of [...whole, ...split]) {
      expect(messageProblems(m)).toEqual([]);
      expect(m.blocks.filter((b) => b.type === 'data_visualization').length).toBeLessThanOrEqual(2);
    }
    const table = whole[0]!.blocks.find((b) => b.type === 'data_table');
    expect(table && table.type === 'data_table' && table.rows).toHaveLength(31);
  });

  it('prints the weekly comparison and the agents table in the terminal too', () => {
    const text = renderDigestText(computeDigest(input, NOW, calendar));
    expect(text).toContain('This week (the week before): New 90 (60) · Solved 0 (0)');
    expect(text).toMatch(
      /\n {2}Agent +First replies +Median first reply +First-response SLA met +Closed +Late or at risk now\n/,
    );
    expect(text).toMatch(/\n {2}Agent 0 Z+ +3 +1h +100% of 3 +0 +0\n/);
  });
});
