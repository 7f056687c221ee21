import { describe, expect, it } from 'vitest';
import { decidePermission, type PermissionRequest } from '../../src/domain/permissions.ts';

// Anna owns the ticket; Bob and Dave are colleagues; Lead is on the team's list when it has one.
const free = { claimedBy: null, handledBy: null, snoozedBy: null };
const base: PermissionRequest = {
  actor: 'UBOB',
  action: 'handle',
  team: 'emea',
  membership: 'open',
  ownerSlackId: 'UANNA',
  item: 'ticket',
  flag: free,
};

type Case = [string, Partial<PermissionRequest>, string];

describe('decidePermission', () => {
  it.each<Case>([
    // An open team: anyone may act; what someone did is theirs or the owner's to undo.
    ['open team: a colleague claims', { action: 'claim' }, 'open_team'],
    ['open team: a colleague marks handled', { action: 'handle' }, 'open_team'],
    ['open team: a colleague snoozes', { action: 'snooze' }, 'open_team'],
    [
      'open team: taking over a claim is an act',
      { action: 'claim', flag: { ...free, claimedBy: 'UDAVE' } },
      'open_team',
    ],
    ['open team: snoozing again is an act', { action: 'snooze', flag: { ...free, snoozedBy: 'UDAVE' } }, 'open_team'],
    ['undoing your own "handled"', { action: 'unhandle', flag: { ...free, handledBy: 'UBOB' } }, 'own_act'],
    ['releasing your own claim', { action: 'unclaim', flag: { ...free, claimedBy: 'UBOB' } }, 'own_act'],
    ['ending your own snooze', { action: 'unsnooze', flag: { ...free, snoozedBy: 'UBOB' } }, 'own_act'],
    [
      'the owner undoes what Bob did to her ticket',
      { actor: 'UANNA', action: 'unhandle', flag: { ...free, handledBy: 'UBOB' } },
      'owner',
    ],
    [
      'the owner releases a claim on her ticket',
      { actor: 'UANNA', action: 'unclaim', flag: { ...free, claimedBy: 'UBOB' } },
      'owner',
    ],
    [
      'the owner ends a snooze on her ticket',
      { actor: 'UANNA', action: 'unsnooze', flag: { ...free, snoozedBy: 'UBOB' } },
      'owner',
    ],
    ['undoing what nobody did changes nothing and needs no one', { action: 'unhandle' }, 'nothing_to_undo'],
    // A team with a list.
    ['listed: acts on anyone’s ticket', { actor: 'ULEAD', membership: 'listed' }, 'listed'],
    [
      'listed: undoes anyone’s act',
      { actor: 'ULEAD', membership: 'listed', action: 'unhandle', flag: { ...free, handledBy: 'UBOB' } },
      'listed',
    ],
    ['not listed: acts on their own ticket', { actor: 'UANNA', membership: 'not_listed' }, 'owner'],
    ['not listed: snoozes their own ticket', { actor: 'UANNA', membership: 'not_listed', action: 'snooze' }, 'owner'],
    [
      'not listed: the owner undoes a lead’s act on her ticket',
      { actor: 'UANNA', membership: 'not_listed', action: 'unhandle', flag: { ...free, handledBy: 'ULEAD' } },
      'owner',
    ],
    [
      'not listed any more: still undoes their own act',
      { membership: 'not_listed', action: 'unclaim', flag: { ...free, claimedBy: 'UBOB' } },
      'own_act',
    ],
    ['digest of an open team', { action: 'post_digest', flag: undefined }, 'open_team'],
    ['digest by a listed person', { action: 'post_digest', membership: 'listed', flag: undefined }, 'listed'],
  ])('allows: %s', (_name, change, because) => {
    expect(decidePermission({ ...base, ...change })).toEqual({ allowed: true, because });
  });

  it.each<Case>([
    [
      'not listed: marking someone else’s ticket handled',
      { membership: 'not_listed' },
      'Only its owner <@UANNA> or the people listed for team emea can mark this ticket handled.',
    ],
    [
      'not listed: claiming',
      { membership: 'not_listed', action: 'claim' },
      'Only its owner <@UANNA> or the people listed for team emea can claim this ticket.',
    ],
    [
      'not listed: snoozing a feedback follow-up with no known owner',
      { membership: 'not_listed', action: 'snooze', item: 'feedback', ownerSlackId: undefined },
      'Only its owner or the people listed for team emea can snooze this feedback follow-up.',
    ],
    [
      'open team: undoing a colleague’s "handled"',
      { actor: 'UDAVE', action: 'unhandle', flag: { ...free, handledBy: 'UBOB' } },
      'Only <@UBOB> or the ticket\'s owner <@UANNA> can undo <@UBOB>\'s "handled" on this ticket.',
    ],
    [
      'open team: releasing a colleague’s claim on an unmapped owner’s ticket',
      { actor: 'UDAVE', action: 'unclaim', ownerSlackId: undefined, flag: { ...free, claimedBy: 'UBOB' } },
      "Only <@UBOB> can release <@UBOB>'s claim on this ticket.",
    ],
    [
      'not listed: ending a lead’s snooze',
      { membership: 'not_listed', action: 'unsnooze', flag: { ...free, snoozedBy: 'ULEAD' } },
      "Only <@ULEAD>, the ticket's owner <@UANNA> or the people listed for team emea can end <@ULEAD>'s snooze on this ticket.",
    ],
    [
      'the owner’s own act is not listed twice',
      { actor: 'UDAVE', membership: 'not_listed', action: 'unhandle', flag: { ...free, handledBy: 'UANNA' } },
      'Only <@UANNA> or the people listed for team emea can undo <@UANNA>\'s "handled" on this ticket.',
    ],
    [
      'the digest of a listed team',
      { action: 'post_digest', membership: 'not_listed', flag: undefined },
      'Only the people listed for team emea can post its digest.',
    ],
    [
      'the owner is no one special for the digest',
      { actor: 'UANNA', action: 'post_digest', membership: 'not_listed', flag: undefined },
      'Only the people listed for team emea can post its digest.',
    ],
  ])('refuses: %s', (_name, change, reason) => {
    expect(decidePermission({ ...base, ...change })).toEqual({ allowed: false, reason });
  });
});
