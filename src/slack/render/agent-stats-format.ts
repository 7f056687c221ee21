// Wording of the per-agent SLA figures, shared by `/heed stats`, the weekly report and its terminal rendering, so
// they say the same thing in the same words. Pure and free of markup: callers escape (Slack) or print it.
import type { TAgentFigures, TAgentStats, TClockFigures } from '../../domain/agent-stats.ts';
import { formatBusinessMinutes } from '../../domain/duration.ts';
import type { CellValue } from './blocks.ts';

export const AGENT_SLA_COLUMNS = [
  'Agent',
  'First response met',
  'Next response met',
  'Resolution met',
  'Median first response',
  'p90 first response',
  'Handled',
] as const;

const trim = (value: number) => (Number.isInteger(value) ? String(value) : value.toFixed(1));

/** "83.3% of 12", or "—" when nothing was decided (never "0%"). */
export function metText(figures: TClockFigures): string {
  return figures.metPct === null ? '—' : `${trim(figures.metPct)}% of ${figures.decided}`;
}

export function minutesText(minutes: number | null): string {
  return minutes === null ? '—' : formatBusinessMinutes(minutes);
}

const metCell = (f: TClockFigures): CellValue => (f.metPct === null ? '—' : { value: f.metPct, text: metText(f) });
const minutesCell = (m: number | null): CellValue => (m === null ? '—' : { value: m, text: formatBusinessMinutes(m) });

/** The table's rows: numbers as numbers (Slack sorts them so) with the text people read; names as given. */
export function agentSlaRows(stats: Pick<TAgentStats, 'agents'>): CellValue[][] {
  return stats.agents.map((a) => [
    a.agent.name,
    metCell(a.clocks.firstResponse),
    metCell(a.clocks.nextResponse),
    metCell(a.clocks.resolution),
    minutesCell(a.frMedian),
    minutesCell(a.frP90),
    a.handled,
  ]);
}

/** One agent's (or the team's) figures in words, after their name. */
export function figuresText(f: TAgentFigures): string {
  const times =
    f.frMedian === null
      ? 'no first responses'
      : `first response median ${minutesText(f.frMedian)}, p90 ${minutesText(f.frP90)} (${f.firstResponses})`;
  return (
    `first response ${metText(f.clocks.firstResponse)} met · next response ${metText(f.clocks.nextResponse)} · ` +
    `resolution ${metText(f.clocks.resolution)} · ${times} · handled ${f.handled}`
  );
}

/** What "handled" is made of, for a person's own figures. */
export function handledText(f: TAgentFigures): string {
  return `${f.handled} handled: ${f.answered} ticket${f.answered === 1 ? '' : 's'} answered, ${f.resolved} closed, ${f.markedHandled} nudge${f.markedHandled === 1 ? '' : 's'} marked ✅`;
}

/** The definitions, in one line under the figures. */
export const AGENT_SLA_NOTE =
  'Met % of the clocks decided in the period (an unanswered ticket is a miss once late); times are business time; ' +
  'handled = tickets answered or closed, plus nudges marked ✅. A ticket counts for its current owner.';

/** Plain-text table (the terminal's weekly report). */
export function agentSlaTextRows(stats: Pick<TAgentStats, 'agents'>): string[][] {
  return stats.agents.map((a) => [
    a.agent.name,
    metText(a.clocks.firstResponse),
    metText(a.clocks.nextResponse),
    metText(a.clocks.resolution),
    minutesText(a.frMedian),
    minutesText(a.frP90),
    String(a.handled),
  ]);
}

/** The table in words for a message's text, the busiest five: "Per agent (SLA): Ada Lovelace first response …". */
export function agentSlaFallback(stats: Pick<TAgentStats, 'agents'>): string | undefined {
  if (stats.agents.length === 0) return undefined;
  const shown = stats.agents.slice(0, 5).map((a) => `${a.agent.name}: ${figuresText(a)}`);
  const more = stats.agents.length > 5 ? ` · and ${stats.agents.length - 5} more` : '';
  return `SLA by agent: ${shown.join(' · ')}${more}`;
}
