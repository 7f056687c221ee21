// Pure Block Kit rendering of `/heed stats` (a team's per-agent SLA table, or one person's figures by clock with
// their daily chart) and of the weekly report's per-agent section. Tables and charts are what a person would
// rather look at; a section and the message's `text` say the same in words where they do not render.
import type { TAgentRef, TAgentStats, TClockFigures } from '../../domain/agent-stats.ts';
import { sparkline } from '../../domain/digest-stats.ts';
import {
  AGENT_SLA_COLUMNS,
  AGENT_SLA_NOTE,
  agentSlaRows,
  figuresText,
  handledText,
  metText,
  minutesText,
} from './agent-stats-format.ts';
import { type Block, context, dataTable, fallback, header, type RenderedMessage, section, xyChart } from './blocks.ts';
import { trendDayLabel } from './digest-format.ts';
import { cut, joinMd, type Mrkdwn, md, mention, safe } from './mrkdwn.ts';

/** Agents named line by line in the words under the table before "and N more". */
export const STATS_TEXT_AGENTS = 15;
/**
 * Characters of the table's cells and of the words under it: with the header, the team's line and the note, a
 * reply stays under the ~11k characters of block text Slack takes in one message (digest.ts DIGEST_MESSAGE_LIMITS).
 */
export const STATS_TABLE_CHARS = 6000;
export const STATS_TEXT_CHARS = 2000;

export interface AgentStatsView {
  /** The teams the figures cover, by name (all of them for "all"). */
  readonly teams: readonly string[];
  readonly allTeams: boolean;
  /** "the last 7 days". */
  readonly periodLabel: string;
  /** "Thu 26 Nov – Wed 2 Dec". */
  readonly datesLabel: string;
  readonly stats: TAgentStats;
  /** One person's figures: who, and their daily met % (oldest first). */
  readonly person?:
    | {
        readonly agent: TAgentRef;
        readonly daily: readonly { readonly day: string; readonly metPct: number | null }[];
      }
    | undefined;
  /** Something the reader should know about the scope Heed chose (plain text). */
  readonly note?: string | undefined;
}

export function agentLabel(agent: TAgentRef): Mrkdwn {
  return agent.slackUserId ? mention(agent.slackUserId) : safe(agent.name, 80);
}

function scopeText(view: Pick<AgentStatsView, 'teams' | 'allTeams'>): string {
  if (view.allTeams) return 'all teams';
  return view.teams.join(', ');
}

/** The per-agent data table; undefined without agents (Slack wants at least one row under the header). */
export function agentSlaTable(
  stats: TAgentStats,
  caption: string,
  blockId: string,
  maxChars: number = STATS_TABLE_CHARS,
): Block | undefined {
  if (stats.agents.length === 0) return undefined;
  return dataTable(caption, AGENT_SLA_COLUMNS, agentSlaRows(stats), { blockId, pageSize: 10, maxChars });
}

/**
 * The agents in words (mentions where Heed knows their Slack user), the busiest first: at most `limit`, and no
 * more than fit in `maxChars` with the "and N more" line, so the section is never cut mid-line.
 */
export function agentSlaLines(stats: TAgentStats, limit = STATS_TEXT_AGENTS, maxChars = STATS_TEXT_CHARS): Mrkdwn[] {
  const lines: Mrkdwn[] = [];
  let used = 0;
  for (const a of stats.agents.slice(0, limit)) {
    const line = md`• ${agentLabel(a.agent)} — ${safe(figuresText(a))}`;
    // Room kept for the last line ("…and N more in the table.").
    if (used + line.length + 1 > maxChars - 40) break;
    lines.push(line);
    used += line.length + 1;
  }
  if (stats.agents.length > lines.length) lines.push(md`…and ${stats.agents.length - lines.length} more.`);
  return lines;
}

function agentsCount(n: number): string {
  return `${n} ${n === 1 ? 'agent' : 'agents'}`;
}

export function renderAgentStats(view: AgentStatsView): RenderedMessage {
  return view.person ? renderPerson(view, view.person) : renderTeam(view);
}

function renderTeam(view: AgentStatsView): RenderedMessage {
  const scope = scopeText(view);
  const title = `SLA by agent — ${scope}, ${view.periodLabel}`;
  const { stats } = view;
  const teamLine = md`*${safe(scope, 200)}* (${safe(view.datesLabel)}): ${safe(figuresText(stats.total))}`;
  const blocks: Block[] = [header(title), section(teamLine, 'stats_team')];
  const table = agentSlaTable(
    stats,
    `Per agent, ${view.datesLabel} (${agentsCount(stats.agents.length)})`,
    'stats_agents',
  );
  if (table) blocks.push(table);
  const lines = agentSlaLines(stats);
  blocks.push(
    section(
      lines.length > 0
        ? cut(md`*Per agent*\n${joinMd(lines, '\n')}`, 2950)
        : md`No clock was decided and nothing was handled in ${safe(view.periodLabel)}.`,
      'stats_agents_text',
    ),
  );
  blocks.push(context(...(view.note ? [safe(view.note)] : []), safe(AGENT_SLA_NOTE)));
  const top = stats.agents.slice(0, 5).map((a) => md`${agentLabel(a.agent)} ${safe(metText(a.clocks.firstResponse))}`);
  const text = md`${safe(title)}: ${safe(figuresText(stats.total))}${
    top.length > 0 ? md`. First response met by agent: ${joinMd(top, ', ')}` : md``
  }${stats.agents.length > 5 ? md` and ${stats.agents.length - 5} more` : md``}.`;
  return { text: fallback(text), blocks };
}

function renderPerson(view: AgentStatsView, person: NonNullable<AgentStatsView['person']>): RenderedMessage {
  // The total of a person's view is theirs: every owner record they have in HubSpot, and their ✅.
  const f = view.stats.total;
  const who = agentLabel(person.agent);
  const title = `SLA — ${person.agent.name}, ${view.periodLabel}`;
  const met = (c: TClockFigures) => (c.metPct === null ? md`— (none decided)` : md`${safe(metText(c))} met`);
  const lines = [
    md`*First response:* ${met(f.clocks.firstResponse)}`,
    md`*Next response:* ${met(f.clocks.nextResponse)}`,
    md`*Resolution:* ${met(f.clocks.resolution)}`,
    f.frMedian === null
      ? md`*First response time:* none measured`
      : md`*First response time:* median ${safe(minutesText(f.frMedian))} · p90 ${safe(minutesText(f.frP90))} (${f.firstResponses} ${f.firstResponses === 1 ? md`reply` : md`replies`})`,
    md`*Handled:* ${safe(handledText(f))}`,
  ];
  const blocks: Block[] = [
    header(title),
    section(
      md`${who} in ${safe(scopeText(view), 200)}, ${safe(view.datesLabel)}\n${joinMd(lines, '\n')}`,
      'stats_person',
    ),
  ];
  // Days with nothing decided have no percentage: left out rather than drawn as 0 %.
  const days = person.daily.filter((d): d is { day: string; metPct: number } => d.metPct !== null);
  if (days.length > 1) {
    blocks.push(
      xyChart(
        'line',
        'SLA met (%) by day, all three clocks',
        {
          categories: days.map((d) => trendDayLabel(d.day)),
          series: [{ name: 'SLA met', values: days.map((d) => d.metPct) }],
          yLabel: '% met',
        },
        'stats_person_daily',
      ),
    );
  }
  const trend = person.daily.length > 0 ? md` By day: ${safe(sparkline(person.daily.map((d) => d.metPct)))}` : md``;
  blocks.push(context(...(view.note ? [safe(view.note)] : []), safe(AGENT_SLA_NOTE)));
  const text = md`${safe(title)}: ${safe(figuresText(f))}.${trend}`;
  return { text: fallback(text), blocks };
}
