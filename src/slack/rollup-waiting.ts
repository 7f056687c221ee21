// What a backlog summary or an "and N more" message still counts as waiting, and in what order: shared by the
// reconciler that renders the message and by its "Show all waiting" button, so the list a person opens is the list
// the message counts.
import type { Flag, Rollup } from '../db/slack-repo.ts';
import { type FlagOutcome, OPEN_FLAG_STATES } from '../domain/flag.ts';
import type { EndedKind, RollupKind } from './render/rollup.ts';
import type { SlackTeam } from './teams.ts';

const OPEN = new Set<string>(OPEN_FLAG_STATES);

/** Worst first: breached before at risk, then the longest overdue (earliest due). */
export function worstFirst(a: Flag, b: Flag): number {
  const severity = (f: Flag) => (f.state === 'breached' || f.state === 'overdue' ? 0 : 1);
  return (
    severity(a) - severity(b) ||
    (a.dueAt?.getTime() ?? Number.POSITIVE_INFINITY) - (b.dueAt?.getTime() ?? Number.POSITIVE_INFINITY) ||
    (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)
  );
}

/** A team channel's overflow names its team; an escalation channel's does not (teams may share it). */
export function rollupKind(rollup: Rollup): RollupKind {
  if (rollup.kind === 'backlog') return 'backlog';
  if (rollup.scope.startsWith('person:')) return 'person';
  return rollup.team ? 'channel' : 'escalation';
}

/** Why a listed flag is no longer waiting here (undefined: still waiting). */
export function endedKind(flag: Flag, rollup: Rollup, teams: readonly SlackTeam[]): EndedKind | undefined {
  if (rollup.kind === 'backlog' && rollup.team && flag.team !== rollup.team) return 'moved';
  // A team channel's "and N more": the ticket moved to a team that posts elsewhere (it has its nudge there now).
  if (rollupKind(rollup) === 'channel' && teams.find((t) => t.name === flag.team)?.channel !== rollup.channel) {
    return 'moved';
  }
  if (flag.handledBy) return 'handled';
  if (OPEN.has(flag.state)) return undefined;
  return ((flag.outcome as FlagOutcome | null) ?? (flag.state === 'handled' ? 'handled' : 'answered')) as EndedKind;
}

/** The flags of a rollup that are still waiting, worst first. */
export function waitingIn(flags: readonly Flag[], rollup: Rollup, teams: readonly SlackTeam[]): Flag[] {
  return flags.filter((flag) => endedKind(flag, rollup, teams) === undefined).sort(worstFirst);
}
