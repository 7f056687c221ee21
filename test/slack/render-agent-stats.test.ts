// `/heed stats` rendered from its model: Slack's limits kept however many agents there are (the table's 100 rows
// and 10,000 characters, a section's 3,000), the Block Kit subset schema satisfied, and nothing decided shown as
// "—", never "0%".
import { describe, expect, it } from 'vitest';
import { agentStats, type TAgentClock } from '../../src/domain/agent-stats.ts';
import { type AgentStatsView, renderAgentStats } from '../../src/slack/render/agent-stats.ts';
import { blockKitProblems } from './support/block-kit.ts';

const d = (iso: string) => new Date(iso);
const WINDOW = { start: d('2026-03-02T00:00:00Z'), end: d('2026-03-09T00:00:00Z') };

function view(agents: number, extra: Partial<AgentStatsView> = {}): AgentStatsView {
  const clocks: TAgentClock[] = Array.from({ length: agents }, (_, i) => ({
    ticketId: String(i),
    clock: 'firstResponse',
    team: 'support',
    state: 'met',
    dueAt: d('2026-03-03T13:00:00Z'),
    completedAt: d('2026-03-03T10:00:00Z'),
    usedMinutes: 10 + i,
    targetMinutes: 240,
    ownerId: `o${i}`,
    ticketClosedAt: null,
  }));
  const stats = agentStats(
    {
      clocks,
      handled: [],
      // Long HubSpot names with markup, so the limits are reached by real-looking text.
      agent: (id) => ({ ownerId: id, name: `Agent ${id} <@U123> *bold* ${'x'.repeat(60)}`, slackUserId: null }),
      ownerOfSlackUser: () => undefined,
    },
    WINDOW,
  );
  return {
    teams: ['support'],
    allTeams: false,
    periodLabel: 'the last 7 days',
    datesLabel: 'Mon 2 Mar – Sun 8 Mar',
    stats,
    ...extra,
  };
}

describe('renderAgentStats', () => {
  it.each([1, 12, 150])('%i agents: a valid message within Slack’s limits', (n) => {
    const message = renderAgentStats(view(n));
    expect(blockKitProblems(message)).toEqual([]);
    const table = message.blocks.find((b) => b.type === 'data_table');
    expect(table?.type === 'data_table' && table.rows.length).toBeLessThanOrEqual(101);
    expect(table?.type === 'data_table' && table.rows.length).toBeGreaterThanOrEqual(2);
    for (const block of message.blocks) {
      if (block.type === 'section') expect(block.text!.text.length).toBeLessThanOrEqual(3000);
    }
    const words = JSON.stringify(message.blocks.filter((b) => b.type === 'section'));
    expect(words).not.toContain('<@U123>');
    expect(words).toContain('&lt;@U123&gt;');
    // Every agent is either named in words or counted in the "and N more" line.
    const named = (words.match(/• Agent o\d+/g) ?? []).length;
    const more = Number(/…and (\d+) more\./.exec(words)?.[1] ?? 0);
    expect(named + more).toBe(n);
    expect(named).toBeLessThanOrEqual(15);
  });

  it('nothing decided: no table (Slack wants a row under the header), "—" in words, never 0%', () => {
    const message = renderAgentStats(view(0));
    expect(blockKitProblems(message)).toEqual([]);
    expect(message.blocks.some((b) => b.type === 'data_table')).toBe(false);
    expect(message.text).toContain('first response — met · next response — · resolution — · no first responses');
    expect(message.text).not.toContain('0%');
    expect(JSON.stringify(message.blocks)).toContain(
      'No clock was decided and nothing was handled in the last 7 days.',
    );
  });

  it('a person with one day of figures: no chart (a line needs two points), the text has the day', () => {
    const base = view(1);
    const message = renderAgentStats({
      ...base,
      person: {
        agent: { ownerId: 'o0', name: 'Ada <!here>', slackUserId: null },
        daily: [
          { day: '2026-03-02', metPct: null },
          { day: '2026-03-03', metPct: 100 },
        ],
      },
    });
    expect(blockKitProblems(message)).toEqual([]);
    expect(message.blocks.some((b) => b.type === 'data_visualization')).toBe(false);
    expect(message.text).toMatch(/By day: ·▁$/);
    expect(JSON.stringify(message.blocks.filter((b) => b.type === 'section'))).toContain('Ada &lt;!here&gt;');
  });
});
