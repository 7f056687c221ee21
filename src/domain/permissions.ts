// Who may do what to Heed's state from Slack. One decision for reactions, buttons and slash commands, so
// a ✅ on the thread ping, the Handled button on the nudge and `/heed snooze` can never disagree.
//
// The rules, as a support lead expects them:
// 1. A ticket's owner may always act on their own ticket — claim, mark handled, snooze it — and undo whatever
//    anyone else did to it. It is their customer; no list can lock them out of their own work.
// 2. Anyone may undo their own act (release their claim, undo their "handled", end their snooze), even after
//    leaving the team's list: taking back one's own mistake never needs permission.
// 3. A team without `allowedUsers` / `allowedUserGroup` is open: anyone may claim, handle and snooze its tickets
//    and post its digest. What someone did stays theirs (or the owner's) to undo: a colleague's "handled" is not
//    reversed by a passer-by. Teams that want leads who can undo anyone's act list them.
// 4. A team with a list: only the listed people (its leads) may act on tickets that are not their own and post
//    the team's digest, and a listed person may undo anyone's act on the team's tickets.
// 5. Taking over someone's claim (👀 on a ticket another person claimed) and snoozing again are acts, not undos:
//    rules 3 and 4 decide them. Undoing what nobody did (removing ✅ from a nudge that is not handled) is allowed
//    and changes nothing.
// Pure: the caller resolves the owner's Slack id and the actor's list membership (a user group is read from
// Slack) beforehand, and reads the flag's current state in the same transaction that applies the decision.

export type SlackAction = 'claim' | 'unclaim' | 'handle' | 'unhandle' | 'snooze' | 'unsnooze' | 'post_digest';

/** Where the actor stands on the team's allow-list: `open` when the team has none. */
export type ListMembership = 'open' | 'listed' | 'not_listed';

export interface PermissionRequest {
  actor: string;
  action: SlackAction;
  team: string;
  membership: ListMembership;
  /** The ticket owner's Slack user id, when Heed can map the HubSpot owner to one. */
  ownerSlackId?: string | undefined;
  /** What the item is, for the reason a person reads. */
  item?: 'ticket' | 'feedback' | undefined;
  /** The flag's Slack-owned state now (flag actions only): who would lose their act to an undo. */
  flag?: { claimedBy: string | null; handledBy: string | null; snoozedBy: string | null } | undefined;
}

export type PermissionDecision =
  | { allowed: true; because: 'owner' | 'own_act' | 'listed' | 'open_team' | 'nothing_to_undo' }
  | { allowed: false; reason: string };

const UNDO_OF: Partial<Record<SlackAction, 'claimedBy' | 'handledBy' | 'snoozedBy'>> = {
  unclaim: 'claimedBy',
  unhandle: 'handledBy',
  unsnooze: 'snoozedBy',
};

const DOING: Record<'claim' | 'handle' | 'snooze', (thing: string) => string> = {
  claim: (thing) => `claim ${thing}`,
  handle: (thing) => `mark ${thing} handled`,
  snooze: (thing) => `snooze ${thing}`,
};

const UNDOING: Record<'unclaim' | 'unhandle' | 'unsnooze', (holder: string) => string> = {
  unclaim: (holder) => `release ${holder}'s claim`,
  unhandle: (holder) => `undo ${holder}'s "handled"`,
  unsnooze: (holder) => `end ${holder}'s snooze`,
};

function mention(userId: string): string {
  return `<@${userId}>`;
}

/** "A", "A or B", "A, B or C". */
function either(people: string[]): string {
  return people.length <= 1 ? (people[0] ?? '') : `${people.slice(0, -1).join(', ')} or ${people.at(-1)}`;
}

export function decidePermission(req: PermissionRequest): PermissionDecision {
  const isOwner = req.ownerSlackId !== undefined && req.ownerSlackId === req.actor;
  const thing = req.item === 'feedback' ? 'this feedback follow-up' : 'this ticket';
  const listPhrase = `the people listed for team ${req.team}`;

  if (req.action === 'post_digest') {
    if (req.membership === 'open') return { allowed: true, because: 'open_team' };
    if (req.membership === 'listed') return { allowed: true, because: 'listed' };
    return { allowed: false, reason: `Only ${listPhrase} can post its digest.` };
  }

  const undone = UNDO_OF[req.action];
  if (undone) {
    const holder = req.flag?.[undone] ?? null;
    if (holder === null) return { allowed: true, because: 'nothing_to_undo' };
    if (holder === req.actor) return { allowed: true, because: 'own_act' };
    if (isOwner) return { allowed: true, because: 'owner' };
    if (req.membership === 'listed') return { allowed: true, because: 'listed' };
    const who = [mention(holder)];
    if (req.ownerSlackId && req.ownerSlackId !== holder) who.push(`the ticket's owner ${mention(req.ownerSlackId)}`);
    if (req.membership === 'not_listed') who.push(listPhrase);
    const verb = UNDOING[req.action as keyof typeof UNDOING](mention(holder));
    return { allowed: false, reason: `Only ${either(who)} can ${verb} on ${thing}.` };
  }

  if (isOwner) return { allowed: true, because: 'owner' };
  if (req.membership === 'open') return { allowed: true, because: 'open_team' };
  if (req.membership === 'listed') return { allowed: true, because: 'listed' };
  const owner = req.ownerSlackId ? `its owner ${mention(req.ownerSlackId)}` : 'its owner';
  const verb = DOING[req.action as keyof typeof DOING](thing);
  return { allowed: false, reason: `Only ${owner} or ${listPhrase} can ${verb}.` };
}
