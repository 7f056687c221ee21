// Permissions that hold everywhere: a team's allow-list applies to reactions and buttons as to commands, the
// ticket's owner can always act on her ticket and undo what others did to it, and a refused act changes
// nothing, is audited as refused and tells the person why. Real Bolt app over HTTP, fake Slack, real databases.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { reconcileNudges } from '../../src/slack/reconcile-nudges.ts';
import { testProviders } from '../support/db.ts';
import { type Harness, MONDAY_10, startHarness, TEST_POLICY } from './support/harness.ts';
import { seedOwner, seedPortal, seedTicketFlag } from './support/seed.ts';
import { sendSigned } from './support/slack-requests.ts';

const HOUR = 3_600_000;

/** billing: allowedUsers ULEAD, and the members of user group S0LEADS (UGROUPLEAD). support: open to all. */
const POLICY = {
  ...TEST_POLICY,
  teams: [TEST_POLICY.teams[0]!, { ...TEST_POLICY.teams[1]!, allowedUserGroup: 'S0LEADS' }],
};

describe.each(testProviders())('permissions on %s', (provider) => {
  let h: Harness;
  let eventTs = 1772445600;

  beforeEach(async () => {
    h = await startHarness(provider, { policy: POLICY });
    h.slack.addUserGroup('S0LEADS', ['UGROUPLEAD']);
    await seedPortal(h.db.prisma);
    // Carol owns the tickets (mapped by the policy's `people`); Bob is a colleague (mapped by email).
    await seedOwner(h.db.prisma, 'o-carol', 'carol@example.com', 'Carol');
    await seedOwner(h.db.prisma, 'o-bob', 'bob@example.com', 'Bob');
    h.slack.addUser('bob@example.com', 'UBOB');
  });

  afterEach(async () => {
    const problems = h.sentProblems();
    await h.close();
    expect(problems).toEqual([]);
  });

  /** Carol's at-risk ticket with its nudge posted in the team's channel. */
  async function nudgeOf(team: 'support' | 'billing', id = '201') {
    const key = await seedTicketFlag(
      h.db.prisma,
      {
        id,
        subject: `Subject ${id}`,
        ownerId: 'o-carol',
        team,
        startedAt: new Date(MONDAY_10.getTime() - 3 * HOUR),
        dueAt: new Date(MONDAY_10.getTime() + HOUR),
      },
      MONDAY_10,
    );
    await reconcileNudges(h.nudgeDeps, h.clock.now(), [key]);
    await h.outbox.drainUntilIdle();
    const nudge = (await h.repo.nudgeByFlagKey(key))!;
    return { key, channel: nudge.channel, ts: nudge.ts! };
  }

  // Each act a second after the one before (the audit log lists them in that order).
  function react(user: string, name: string, n: { channel: string; ts: string }, added = true) {
    eventTs += 1;
    h.clock.advance(1000);
    return h.event({
      type: added ? 'reaction_added' : 'reaction_removed',
      user,
      reaction: name,
      item_user: 'UHEEDBOT',
      item: { type: 'message', channel: n.channel, ts: n.ts },
      event_ts: `${eventTs}.000100`,
    });
  }

  function press(user: string, actionId: string, n: { key: string; channel: string; ts: string }) {
    eventTs += 1;
    h.clock.advance(1000);
    return h.action({
      user,
      channel: n.channel,
      messageTs: n.ts,
      actionId,
      value: n.key,
      actionTs: `${eventTs}.000200`,
    });
  }

  async function outcomes(key: string) {
    return (await h.repo.auditFor(key)).map((a) => {
      const detail = JSON.parse(a.detail) as { outcome?: string };
      return [a.actor, a.action, a.source, detail.outcome];
    });
  }

  /** Ephemeral notes arrive after the event is acknowledged (they never hold it up). */
  async function notesTo(user: string, count: number) {
    await expect.poll(() => h.slack.ephemeral.filter((e) => e.user === user).length).toBe(count);
    return h.slack.ephemeral.filter((e) => e.user === user).map((e) => ({ channel: e.channel, text: e.text }));
  }

  describe('reactions', () => {
    it("someone not on the list: ✅ 👀 💤 on another person's ticket change nothing, are audited as refused, and each gets a note", async () => {
      const n = await nudgeOf('billing');
      const rowsBefore = await h.db.prisma.outboxMessage.count();
      for (const name of ['white_check_mark', 'eyes', 'zzz']) expect((await react('UBOB', name, n)).status).toBe(200);

      expect(await h.repo.flag(n.key)).toMatchObject({
        state: 'at_risk',
        handledBy: null,
        claimedBy: null,
        snoozedBy: null,
        snoozedUntil: null,
      });
      expect(await outcomes(n.key)).toEqual([
        ['UBOB', 'handle', 'reaction', 'refused'],
        ['UBOB', 'claim', 'reaction', 'refused'],
        ['UBOB', 'snooze', 'reaction', 'refused'],
      ]);
      // Nothing queued for Slack and the nudge untouched.
      expect(await h.db.prisma.outboxMessage.count()).toBe(rowsBefore);
      await h.outbox.drainUntilIdle();
      expect(h.slack.messagesIn('CBILLING')[0]!.updates).toBe(0);
      expect(await notesTo('UBOB', 3)).toEqual([
        {
          channel: 'CBILLING',
          text: 'Your :white_check_mark: changed nothing. Only its owner <@UCAROL> or the people listed for team billing can mark this ticket handled.',
        },
        {
          channel: 'CBILLING',
          text: 'Your :eyes: changed nothing. Only its owner <@UCAROL> or the people listed for team billing can claim this ticket.',
        },
        {
          channel: 'CBILLING',
          text: 'Your :zzz: changed nothing. Only its owner <@UCAROL> or the people listed for team billing can snooze this ticket.',
        },
      ]);
    });

    it('listed people act on anyone’s ticket, by name and through the user group', async () => {
      const n = await nudgeOf('billing');
      await react('ULEAD', 'white_check_mark', n);
      await react('UGROUPLEAD', 'eyes', n);
      expect(await h.repo.flag(n.key)).toMatchObject({ state: 'handled', handledBy: 'ULEAD', claimedBy: 'UGROUPLEAD' });
      expect(await outcomes(n.key)).toEqual([
        ['ULEAD', 'handle', 'reaction', 'changed'],
        ['UGROUPLEAD', 'claim', 'reaction', 'changed'],
      ]);
      expect(h.slack.ephemeral).toEqual([]);
    });

    it('the owner, not on the list, acts on her own ticket', async () => {
      const n = await nudgeOf('billing');
      await react('UCAROL', 'eyes', n);
      await react('UCAROL', 'zzz', n);
      await react('UCAROL', 'white_check_mark', n);
      expect(await h.repo.flag(n.key)).toMatchObject({
        claimedBy: 'UCAROL',
        snoozedBy: 'UCAROL',
        snoozedUntil: new Date(MONDAY_10.getTime() + 2000 + HOUR),
        handledBy: 'UCAROL',
        state: 'handled',
      });
      await h.outbox.drainUntilIdle();
      expect(JSON.stringify(h.slack.messagesIn('CBILLING')[0]!.blocks)).toContain('Handled by <@UCAROL>');
    });

    it("removing a ✅ does not undo a lead's “handled” for someone who is neither owner nor listed", async () => {
      const n = await nudgeOf('billing');
      await react('UBOB', 'white_check_mark', n); // refused: not his ticket
      await react('ULEAD', 'white_check_mark', n); // handled by the lead
      await react('UBOB', 'white_check_mark', n, false); // Bob takes his ✅ away: that is no undo of the lead's
      expect(await h.repo.flag(n.key)).toMatchObject({ state: 'handled', handledBy: 'ULEAD' });
      expect(await outcomes(n.key)).toEqual([
        ['UBOB', 'handle', 'reaction', 'refused'],
        ['ULEAD', 'handle', 'reaction', 'changed'],
        ['UBOB', 'unhandle', 'reaction', 'refused'],
      ]);
      expect((await notesTo('UBOB', 2))[1]!.text).toBe(
        `Removing your :white_check_mark: changed nothing. Only <@ULEAD>, the ticket's owner <@UCAROL> or the people listed for team billing can undo <@ULEAD>'s "handled" on this ticket.`,
      );
    });
  });

  describe('buttons', () => {
    it('someone not on the list presses Handled, I’m on it, Snooze: nothing changes, each is told why', async () => {
      const n = await nudgeOf('billing');
      const rowsBefore = await h.db.prisma.outboxMessage.count();
      for (const actionId of ['nudge_handled', 'nudge_claim', 'nudge_snooze']) {
        expect((await press('UBOB', actionId, n)).status).toBe(200);
      }
      expect(await h.repo.flag(n.key)).toMatchObject({ state: 'at_risk', handledBy: null, claimedBy: null });
      expect(await outcomes(n.key)).toEqual([
        ['UBOB', 'handle', 'button', 'refused'],
        ['UBOB', 'claim', 'button', 'refused'],
        ['UBOB', 'snooze', 'button', 'refused'],
      ]);
      expect(await h.db.prisma.outboxMessage.count()).toBe(rowsBefore);
      expect(
        h.slack.responses.map((r) => [r.body['response_type'], r.body['replace_original'], r.body['text']]),
      ).toEqual([
        [
          'ephemeral',
          false,
          'That changed nothing. Only its owner <@UCAROL> or the people listed for team billing can mark this ticket handled.',
        ],
        [
          'ephemeral',
          false,
          'That changed nothing. Only its owner <@UCAROL> or the people listed for team billing can claim this ticket.',
        ],
        [
          'ephemeral',
          false,
          'That changed nothing. Only its owner <@UCAROL> or the people listed for team billing can snooze this ticket.',
        ],
      ]);
    });

    it('when Bob marks Anna’s ticket handled, Anna (the owner) can undo it; a passer-by cannot', async () => {
      // The open team: anyone may mark handled; only Bob, the owner (Carol here) or a lead may take it back.
      const n = await nudgeOf('support');
      await press('UBOB', 'nudge_handled', n);
      expect(await h.repo.flag(n.key)).toMatchObject({ state: 'handled', handledBy: 'UBOB' });
      await press('UDAVE', 'nudge_unhandled', n);
      expect(await h.repo.flag(n.key)).toMatchObject({ state: 'handled', handledBy: 'UBOB' });
      expect(String(h.slack.responses.at(-1)?.body['text'])).toBe(
        `That changed nothing. Only <@UBOB> or the ticket's owner <@UCAROL> can undo <@UBOB>'s "handled" on this ticket.`,
      );
      await press('UCAROL', 'nudge_unhandled', n);
      expect(await h.repo.flag(n.key)).toMatchObject({ state: 'at_risk', handledBy: null });
      expect(await outcomes(n.key)).toEqual([
        ['UBOB', 'handle', 'button', 'changed'],
        ['UDAVE', 'unhandle', 'button', 'refused'],
        ['UCAROL', 'unhandle', 'button', 'changed'],
      ]);
      await h.outbox.drainUntilIdle();
      const shown = JSON.stringify(h.slack.messagesIn('CSUPPORT')[0]!.blocks);
      expect(shown).toContain('nudge_handled');
      expect(shown).not.toContain('Handled by');
    });
    it('a press from a view (no response_url, as on the App Home) goes through the same rule and answers 200', async () => {
      const n = await nudgeOf('billing');
      const press = (user: string, actionTs: string) => {
        h.clock.advance(1000);
        const payload = {
          type: 'block_actions',
          user: { id: user, username: 'someone', team_id: 'T0HEED' },
          api_app_id: 'A0HEED',
          token: 'verification-token-unused',
          container: { type: 'view', view_id: 'V0HOME' },
          trigger_id: '1234.5678.abcdef',
          team: { id: 'T0HEED', domain: 'heed-test' },
          view: { id: 'V0HOME', type: 'home', blocks: [] },
          actions: [
            {
              type: 'button',
              action_id: 'nudge_handled',
              block_id: 'home_queue',
              value: n.key,
              text: { type: 'plain_text', text: 'Handled' },
              action_ts: actionTs,
            },
          ],
        };
        const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
        return sendSigned(h.baseUrl, body, 'application/x-www-form-urlencoded');
      };
      expect((await press('UBOB', '1772449000.000100')).status).toBe(200);
      expect((await h.repo.flag(n.key))?.handledBy).toBeNull();
      expect((await press('ULEAD', '1772449001.000100')).status).toBe(200);
      expect((await h.repo.flag(n.key))?.handledBy).toBe('ULEAD');
      expect(await outcomes(n.key)).toEqual([
        ['UBOB', 'handle', 'button', 'refused'],
        ['ULEAD', 'handle', 'button', 'changed'],
      ]);
    });
  });

  describe('commands', () => {
    it('/heed snooze goes through the same rule: refused for a colleague, allowed for the owner and a lead', async () => {
      const n = await nudgeOf('billing', '301');
      const refused = await h.command('/heed', 'snooze 301 2h', { user: 'UBOB' });
      h.clock.advance(1000);
      expect(refused.json?.['text']).toBe(
        'Only its owner <@UCAROL> or the people listed for team billing can snooze this ticket.',
      );
      expect((await h.repo.flag(n.key))?.snoozedBy).toBeNull();
      const owner = await h.command('/heed', 'snooze 301 2h', { user: 'UCAROL' });
      expect(String(owner.json?.['text'])).toContain('Ticket 301 snoozed until');
      expect(await h.repo.flag(n.key)).toMatchObject({
        snoozedBy: 'UCAROL',
        snoozedUntil: new Date(MONDAY_10.getTime() + 1000 + 2 * HOUR),
      });
      h.clock.advance(1000);
      await h.command('/heed', 'snooze 301 3h', { user: 'UGROUPLEAD' });
      expect((await h.repo.flag(n.key))?.snoozedBy).toBe('UGROUPLEAD');
      expect(await outcomes(n.key)).toEqual([
        ['UBOB', 'snooze', 'command', 'refused'],
        ['UCAROL', 'snooze', 'command', 'changed'],
        ['UGROUPLEAD', 'snooze', 'command', 'changed'],
      ]);
    });
  });
});
