// In what order people's acts on one flag apply. Slack may deliver ✅ added and ✅ removed to two replicas at
// the same instant, or redeliver an old event after a newer one; the flag must end as Slack's own order says.
// Each kind of act (handled, claimed, snoozed) keeps the Slack timestamp of the last one applied to the flag
// (`event_ts` of a reaction, `action_ts` of a button): an act no later than that one is superseded and changes
// nothing. The kinds are independent: a 👀 never overtakes a ✅. The mark is per flag and kind, not per person,
// because acts of different people on one flag race too (a ✅ by Bob and Anna's Undo). Slash commands carry no
// Slack timestamp and apply in arrival order.

export type ActionGroup = 'handled' | 'claimed' | 'snoozed';

export type FlagActionName = 'claim' | 'unclaim' | 'handle' | 'unhandle' | 'snooze' | 'unsnooze';

const GROUP: Record<FlagActionName, ActionGroup> = {
  claim: 'claimed',
  unclaim: 'claimed',
  handle: 'handled',
  unhandle: 'handled',
  snooze: 'snoozed',
  unsnooze: 'snoozed',
};

export function actionGroup(action: FlagActionName): ActionGroup {
  return GROUP[action];
}

/** A Slack timestamp, seconds.microseconds ("1772445600.000100"), as exact integers (no float rounding). */
function parseSlackTs(ts: string): { seconds: bigint; micros: bigint } | undefined {
  const match = /^(\d{1,15})(?:\.(\d{1,6}))?$/.exec(ts.trim());
  if (!match) return undefined;
  return { seconds: BigInt(match[1]!), micros: BigInt((match[2] ?? '').padEnd(6, '0')) };
}

/**
 * Orders two Slack timestamps: negative when `a` is earlier. Compared as integers, not as Numbers: 16
 * significant digits is past a double's precision, so two events a microsecond apart would compare equal.
 * Undefined when either is not a Slack timestamp.
 */
export function compareSlackTs(a: string, b: string): number | undefined {
  const x = parseSlackTs(a);
  const y = parseSlackTs(b);
  if (!x || !y) return undefined;
  if (x.seconds !== y.seconds) return x.seconds < y.seconds ? -1 : 1;
  if (x.micros !== y.micros) return x.micros < y.micros ? -1 : 1;
  return 0;
}

export interface OrderedAct {
  /** Slack's timestamp of the act. */
  slackTs: string;
  actor: string;
}

/**
 * Whether `act` comes after the last act applied in its group, so it applies. Equal timestamps by different
 * people (Slack's clock cannot tell them apart) are ordered by user id, so every replica decides the same;
 * the same person at the same timestamp is the same act seen twice. A timestamp that is not Slack's shape
 * cannot be ordered: it applies in arrival order rather than being lost.
 */
export function comesAfter(act: OrderedAct, last: OrderedAct | undefined): boolean {
  if (!last) return true;
  const order = compareSlackTs(act.slackTs, last.slackTs);
  if (order === undefined) return true;
  if (order !== 0) return order > 0;
  return act.actor !== last.actor && act.actor > last.actor;
}
