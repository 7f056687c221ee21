// Drives the real running Bolt app over HTTP with signed requests; Slack's Web API is the local fake.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { reconcileNudges } from '../../src/slack/reconcile-nudges.ts';
import { testProviders } from '../support/db.ts';
import { blockKitProblems } from './support/block-kit.ts';
import { type Harness, MONDAY_10, startHarness } from './support/harness.ts';
import { seedOwner, seedPortal, seedTicketFlag } from './support/seed.ts';
import { eventBody, sendSigned, sign, TEST_SIGNING_SECRET } from './support/slack-requests.ts';

const HOUR = 3_600_000;

function blocksText(response: { json?: Record<string, unknown> | undefined }): string {
  return JSON.stringify(response.json?.['blocks'] ?? []);
}

describe.each(testProviders())('Slack app over HTTP on %s', (provider) => {
  let h: Harness;

  beforeEach(async () => {
    h = await startHarness(provider);
    await seedPortal(h.db.prisma);
    await seedOwner(h.db.prisma, 'o-carol', 'carol@example.com', 'Carol');
    await seedOwner(h.db.prisma, 'o-bob', 'bob@example.com', 'Bob');
    h.slack.addUser('bob@example.com', 'UBOB');
  });

  afterEach(async () => {
    // Whatever a test did, everything Heed sent must be valid Block Kit within Slack's limits.
    const problems = h.sentProblems();
    await h.close();
    expect(problems).toEqual([]);
  });

  /** Seeds one at-risk ticket, posts its nudge, returns its key and message ts. */
  async function postedNudge(id = '101', extra: Partial<Parameters<typeof seedTicketFlag>[1]> = {}) {
    const key = await seedTicketFlag(
      h.db.prisma,
      {
        id,
        subject: `Subject ${id}`,
        ownerId: 'o-carol',
        startedAt: new Date(MONDAY_10.getTime() - 3 * HOUR),
        dueAt: new Date(MONDAY_10.getTime() + HOUR),
        ...extra,
      },
      MONDAY_10,
    );
    await reconcileNudges(h.nudgeDeps, h.clock.now(), [key]);
    await h.outbox.drainUntilIdle();
    const nudge = await h.repo.nudgeByFlagKey(key);
    return { key, ts: nudge!.ts!, channel: nudge!.channel };
  }

  describe('requests', () => {
    it('rejects a bad signature and a stale or future timestamp with 401, and serves custom routes', async () => {
      const body = new URLSearchParams({
        command: '/heed',
        text: 'help',
        user_id: 'UALICE',
        channel_id: 'COTHER',
      }).toString();
      const bad = await sendSigned(h.baseUrl, body, 'application/x-www-form-urlencoded', {
        secret: 'wrong-secret-123456',
      });
      expect(bad.status).toBe(401);
      const stale = Math.floor(Date.now() / 1000) - 301;
      const old = await sendSigned(h.baseUrl, body, 'application/x-www-form-urlencoded', {
        timestamp: stale,
        signature: sign(TEST_SIGNING_SECRET, stale, body),
      });
      expect(old.status).toBe(401);
      // Correctly signed but dated more than five minutes ahead: refused too (it could be replayed until then).
      // Well past the limit: a second of floor() and a slow machine must not bring it back inside five minutes.
      const ahead = Math.floor(Date.now() / 1000) + 330;
      const future = await sendSigned(h.baseUrl, body, 'application/x-www-form-urlencoded', {
        timestamp: ahead,
        signature: sign(TEST_SIGNING_SECRET, ahead, body),
      });
      expect(future.status).toBe(401);
      // A clock a little ahead of ours is fine.
      const near = Math.floor(Date.now() / 1000) + 60;
      const fine = await sendSigned(h.baseUrl, body, 'application/x-www-form-urlencoded', {
        timestamp: near,
        signature: sign(TEST_SIGNING_SECRET, near, body),
      });
      expect(fine.status).toBe(200);
      const health = await fetch(`${h.baseUrl}/healthz`);
      expect(health.status).toBe(200);
    });

    it('answers url_verification', async () => {
      const body = JSON.stringify({ type: 'url_verification', token: 't', challenge: 'abc123' });
      const res = await sendSigned(h.baseUrl, body, 'application/json');
      expect(res.json).toEqual({ challenge: 'abc123' });
    });
  });

  describe('slash commands', () => {
    beforeEach(async () => {
      // Carol: one breached and one running; Bob: one at risk in billing.
      await seedTicketFlag(
        h.db.prisma,
        {
          id: '11',
          subject: 'Breached one',
          ownerId: 'o-carol',
          state: 'breached',
          startedAt: new Date(MONDAY_10.getTime() - 6 * HOUR),
          dueAt: new Date(MONDAY_10.getTime() - 2 * HOUR),
        },
        MONDAY_10,
      );
      await seedTicketFlag(
        h.db.prisma,
        {
          id: '12',
          subject: 'Fresh one',
          ownerId: 'o-carol',
          clockState: 'running',
          startedAt: MONDAY_10,
          dueAt: new Date(MONDAY_10.getTime() + 4 * HOUR),
        },
        MONDAY_10,
      );
      await seedTicketFlag(
        h.db.prisma,
        {
          id: '13',
          subject: 'Billing one',
          ownerId: 'o-bob',
          team: 'billing',
          startedAt: new Date(MONDAY_10.getTime() - 3 * HOUR),
          dueAt: new Date(MONDAY_10.getTime() + HOUR),
        },
        MONDAY_10,
      );
    });

    it.each([
      ['', 'UCAROL', 'COTHER', ['Breached one', 'Fresh one'], ['Billing one']],
      ['me', 'UCAROL', 'CSUPPORT', ['Breached one', 'Fresh one'], ['Billing one']],
      ['<@UBOB|bob>', 'UCAROL', 'COTHER', ['Billing one'], ['Breached one']],
      ['billing', 'UCAROL', 'COTHER', ['Billing one'], ['Fresh one']],
      ['SUPPORT', 'UCAROL', 'COTHER', ['Breached one', 'Fresh one'], ['Billing one']],
      ['all', 'UCAROL', 'COTHER', ['Breached one', 'Fresh one', 'Billing one'], []],
      ['', 'UALICE', 'CBILLING', ['Billing one'], ['Fresh one']],
    ])('/unanswered %j by %s in %s lists the right tickets', async (text, user, channel, present, absent) => {
      const res = await h.command('/unanswered', text, { user, channel });
      expect(res.status).toBe(200);
      expect(res.json?.['response_type']).toBe('ephemeral');
      const shown = blocksText(res);
      for (const s of present) expect(shown).toContain(s);
      for (const s of absent) expect(shown).not.toContain(s);
      expect(blockKitProblems(res.json)).toEqual([]);
    });

    it('lists overdue feedback next to tickets, linked to the contact when there is no ticket', async () => {
      await h.db.prisma.feedbackSubmission.create({
        data: {
          id: 'fb1',
          surveyType: 'NPS',
          value: 2,
          content: 'Slow answers',
          submittedAt: new Date(MONDAY_10.getTime() - 30 * HOUR),
          contactId: 'c77',
          contactName: 'Erin Angry',
          modifiedAt: MONDAY_10,
          syncedAt: MONDAY_10,
        },
      });
      await h.db.prisma.flag.create({
        data: {
          key: 'feedback:fb1',
          kind: 'feedback',
          feedbackId: 'fb1',
          team: 'support',
          state: 'overdue',
          escalationLevel: 1,
          raisedAt: MONDAY_10,
          dueAt: new Date(MONDAY_10.getTime() - 3 * HOUR),
          updatedAt: MONDAY_10,
        },
      });
      const res = await h.command('/unanswered', 'support');
      const shown = blocksText(res);
      expect(shown).toContain('feedback follow-up');
      expect(shown).toContain('Erin Angry');
      expect(shown).toContain('https://app.hubspot.com/contacts/4242/record/0-1/c77');
      // Overdue since 07:00, it outranks the ticket breached at 08:00.
      expect(shown.indexOf('Erin Angry')).toBeLessThan(shown.indexOf('Breached one'));
    });

    it('lists the most urgent first', async () => {
      const res = await h.command('/unanswered', 'all');
      const shown = blocksText(res);
      expect(shown.indexOf('Breached one')).toBeLessThan(shown.indexOf('Billing one'));
      expect(shown.indexOf('Billing one')).toBeLessThan(shown.indexOf('Fresh one'));
    });

    it.each([['bogus-team'], ['@someone'], ['me too']])('/unanswered %j gets the usage text', async (text) => {
      const res = await h.command('/unanswered', text);
      expect(res.status).toBe(200);
      expect(res.json?.['text']).toContain('Usage');
      expect(blockKitProblems(res.json)).toEqual([]);
    });

    it('says so when someone cannot be matched to a HubSpot owner, and is friendly when empty', async () => {
      const unmatched = await h.command('/unanswered', 'me', { user: 'UNOBODY' });
      expect(unmatched.json?.['text']).toContain("couldn't match");
      await h.db.prisma.clockState.deleteMany({ where: { team: 'billing' } });
      const empty = await h.command('/unanswered', 'billing');
      expect(empty.json?.['text']).toContain('Nothing is waiting');
    });

    it('pages past 20 items with a More button answered through response_url', async () => {
      for (let i = 0; i < 25; i++) {
        await seedTicketFlag(
          h.db.prisma,
          {
            id: `50${String(i).padStart(2, '0')}`,
            subject: `Bulk ${i}`,
            ownerId: 'o-bob',
            team: 'billing',
            clockState: 'running',
            startedAt: MONDAY_10,
            dueAt: new Date(MONDAY_10.getTime() + (i + 2) * HOUR),
          },
          MONDAY_10,
        );
      }
      const first = await h.command('/unanswered', 'billing');
      const blocks = first.json?.['blocks'] as { type: string; elements?: { action_id: string; value: string }[] }[];
      expect(blocks.filter((b) => b.type === 'section')).toHaveLength(20);
      const more = blocks.find((b) => b.type === 'actions')!.elements![0]!;
      expect(more.action_id).toBe('list_more');
      const click = await h.action({
        user: 'UCAROL',
        channel: 'COTHER',
        messageTs: '1.2',
        actionId: 'list_more',
        value: more.value,
      });
      expect(click.status).toBe(200);
      const page2 = h.slack.responses.at(-1)!.body;
      expect(page2['replace_original']).toBe(true);
      expect(JSON.stringify(page2['blocks'])).toContain('Showing 21–26 of 26');
      expect(blockKitProblems({ text: page2['text'], blocks: page2['blocks'] })).toEqual([]);
    });

    it.each([
      ['', ['Breached one', 'Billing one']],
      ['support', ['Breached one']],
      ['billing', ['Billing one']],
    ])('/slow %j groups at-risk and breached tickets by clock', async (text, present) => {
      const res = await h.command('/slow', text);
      const shown = blocksText(res);
      for (const s of present) expect(shown).toContain(s);
      expect(shown).toContain('First response');
      expect(shown).not.toContain('Fresh one');
      expect(blockKitProblems(res.json)).toEqual([]);
    });

    it('/slow with an unknown team gets the usage text', async () => {
      const res = await h.command('/slow', 'nope');
      expect(res.json?.['text']).toContain('Usage');
    });

    it('/slow counts breached and at risk over all of a clock, not over those shown', async () => {
      const res = await h.command('/slow', 'all');
      const shown = blocksText(res);
      expect(shown).toContain('*First response* — 2: 1 breached, 1 at risk');
      expect(shown).not.toContain('shown of');
      const support = blocksText(await h.command('/slow', 'support'));
      expect(support).toContain('*First response* — 1: 1 breached');
    });

    it('/unanswered team lists the team of the channel it is typed in, and names the teams elsewhere', async () => {
      const inBilling = blocksText(await h.command('/unanswered', 'team', { channel: 'CBILLING' }));
      expect(inBilling).toContain('Billing one');
      expect(inBilling).not.toContain('Breached one');
      const elsewhere = await h.command('/unanswered', 'team', { channel: 'COTHER' });
      expect(elsewhere.json?.['text']).toContain('name the team');
      expect(blocksText(elsewhere)).toContain('Teams: `support` · `billing`');
      expect(blockKitProblems(elsewhere.json)).toEqual([]);
    });

    it('/heed whois names the team and the state of a closed ticket, and of a paused one', async () => {
      // Ticket 11 closed: its flag resolved, its clocks kept with the team the engine judged them for.
      await h.db.prisma.ticket.update({
        where: { id: '11' },
        data: { isClosed: true, closedAt: new Date(MONDAY_10.getTime() - HOUR) },
      });
      await h.db.prisma.flag.updateMany({ where: { ticketId: '11' }, data: { state: 'resolved' } });
      const closed = await h.command('/heed', 'whois 11');
      expect(blocksText(closed)).toContain('Team: support');
      expect(blocksText(closed)).toMatch(/· closed since <!date\^\d+\^/);
      expect(closed.json?.['text']).toContain('team support, closed since 2026-03-02');
      // Ticket 13 waiting on the customer: its clock paused, nothing open.
      await h.db.prisma.clockState.updateMany({ where: { ticketId: '13' }, data: { state: 'paused' } });
      await h.db.prisma.flag.updateMany({ where: { ticketId: '13' }, data: { state: 'resolved' } });
      const paused = blocksText(await h.command('/heed', 'whois 13'));
      expect(paused).toContain('Team: billing');
      expect(paused).toContain('waiting on the customer');
      // A ticket the engine never judged: the policy's assignment rule names the team (here the first one).
      await h.db.prisma.ticket.create({
        data: { id: '77', subject: 'New', createdAt: MONDAY_10, modifiedAt: MONDAY_10, syncedAt: MONDAY_10 },
      });
      const fresh = blocksText(await h.command('/heed', 'whois 77'));
      expect(fresh).toContain('Team: support');
      expect(fresh).toContain('· open');
      expect(fresh).not.toContain('Team: none');
    });

    it.each([
      // Usage placeholders are escaped: a raw "<ticket>" would be mrkdwn.
      ['help', 'snooze &lt;ticket&gt; &lt;duration&gt;'],
      ['', 'whois &lt;ticket&gt;'],
      ['status', 'Pending webhooks'],
      ['whois 11', 'Breached one'],
      ['whois 999', "I don't know ticket 999"],
      ['frobnicate', 'Usage'],
      ['snooze 11', 'Usage'],
      ['snooze 11 forever', 'Usage'],
      ['mute', 'Usage'],
      ['mute 8d', 'Usage'],
    ])('/heed %j answers with %j', async (text, expected) => {
      const res = await h.command('/heed', text);
      expect(res.status).toBe(200);
      expect(JSON.stringify(res.json)).toContain(expected);
      expect(blockKitProblems(res.json)).toEqual([]);
    });

    it('/heed status shows open flags per team and the last sync', async () => {
      await h.db.prisma.syncRun.create({
        data: { id: 's1', kind: 'incremental', startedAt: MONDAY_10, finishedAt: MONDAY_10, status: 'ok' },
      });
      await h.db.prisma.pendingFetch.create({ data: { objectType: 'ticket', objectId: '77', queuedAt: MONDAY_10 } });
      const res = await h.command('/heed', 'status');
      const shown = blocksText(res);
      expect(shown).toContain('incremental');
      expect(shown).toContain('Pending webhooks: *1*');
      expect(shown).toMatch(/support\* — 1 open flags \(0 at risk, 1 breached/);
      expect(shown).toMatch(/billing\* — 1 open flags \(1 at risk/);
    });

    it('/heed snooze, mute and unmute change state and are audited', async () => {
      const snooze = await h.command('/heed', 'snooze https://app.hubspot.com/contacts/4242/record/0-5/11 2h', {
        user: 'UCAROL',
      });
      expect(JSON.stringify(snooze.json)).toContain('snoozed');
      const flag = await h.db.prisma.flag.findFirst({ where: { ticketId: '11' } });
      expect(flag).toMatchObject({ snoozedBy: 'UCAROL', snoozedUntil: new Date(MONDAY_10.getTime() + 2 * HOUR) });
      const denied = await h.command('/heed', 'snooze 13 1h', { user: 'UCAROL' });
      expect(JSON.stringify(denied.json)).toContain(
        'Only its owner <@UBOB> or the people listed for team billing can snooze this ticket.',
      );

      await h.command('/heed', 'mute 3h', { user: 'UCAROL' });
      expect(await h.repo.mutedUntil('UCAROL')).toEqual(new Date(MONDAY_10.getTime() + 3 * HOUR));
      await h.command('/heed', 'unmute', { user: 'UCAROL' });
      expect(await h.repo.mutedUntil('UCAROL')).toBeUndefined();
      const audit = await h.db.prisma.auditEntry.findMany({ where: { actor: 'UCAROL' }, orderBy: { at: 'asc' } });
      expect(audit.map((a) => a.action)).toEqual(expect.arrayContaining(['snooze', 'mute', 'unmute']));
    });

    it('/digest previews the team’s digest through the response_url; an unknown team gets the usage', async () => {
      // Acknowledged at once; the answer comes through the response_url (the digest can take seconds).
      const res = await h.command('/digest', 'support');
      expect(res.status).toBe(200);
      expect(res.text).toBe('');
      expect(String(h.slack.responses.at(-1)?.body['text'])).toMatch(/^All clear for support: /);
      expect(h.slack.messagesIn('CSUPPORT')).toHaveLength(0);
      await h.command('/digest', 'nowhere post');
      expect(h.slack.responses.at(-1)?.body['text']).toContain('Usage');
    });
  });

  describe('reactions on nudges', () => {
    const reaction = (
      type: 'reaction_added' | 'reaction_removed',
      name: string,
      item: { channel: string; ts: string },
      eventTs: string,
      user = 'UCAROL',
    ) => ({
      type,
      user,
      reaction: name,
      item_user: 'UHEEDBOT',
      item: { type: 'message', channel: item.channel, ts: item.ts },
      event_ts: eventTs,
    });

    it.each([['white_check_mark'], ['heavy_check_mark'], ['ballot_box_with_check']])(
      '%s marks the nudge handled; removing it undoes that',
      async (name) => {
        const n = await postedNudge();
        const added = await h.event(reaction('reaction_added', name, n, '1772445600.000100'));
        expect(added.status).toBe(200);
        await h.outbox.drainUntilIdle();
        let flag = await h.repo.flag(n.key);
        expect(flag).toMatchObject({ handledBy: 'UCAROL', handledAt: MONDAY_10, state: 'handled' });
        const message = h.slack.messagesIn('CSUPPORT')[0]!;
        expect(JSON.stringify(message.blocks)).toContain('Handled by <@UCAROL>');
        expect(JSON.stringify(message.blocks)).not.toContain('nudge_claim');
        expect(JSON.stringify(message.blocks)).toContain('nudge_unhandled');

        await h.event(reaction('reaction_removed', name, n, '1772445601.000100'));
        await h.outbox.drainUntilIdle();
        flag = await h.repo.flag(n.key);
        expect(flag?.handledBy).toBeNull();
        expect(flag?.state).toBe('at_risk');
        expect(JSON.stringify(message.blocks)).toContain('nudge_handled');
        const audit = await h.repo.auditFor(n.key);
        expect(audit.map((a) => [a.action, a.actor, a.source])).toEqual([
          ['handle', 'UCAROL', 'reaction'],
          ['unhandle', 'UCAROL', 'reaction'],
        ]);
      },
    );

    it('eyes claims ("on it: @user"), zzz snoozes for 1 h in working hours, alarm_clock until the next working hour', async () => {
      const n = await postedNudge();
      await h.event(reaction('reaction_added', 'eyes', n, '1772445600.000100', 'UBOB'));
      await h.outbox.drainUntilIdle();
      expect(JSON.stringify(h.slack.messagesIn('CSUPPORT')[0]!.blocks)).toContain('On it: <@UBOB>');
      const at = h.clock.now();
      await h.event(reaction('reaction_added', 'zzz', n, '1772445601.000100', 'UBOB'));
      expect((await h.repo.flag(n.key))?.snoozedUntil).toEqual(new Date(at.getTime() + HOUR));
      await h.event(reaction('reaction_removed', 'zzz', n, '1772445602.000100', 'UBOB'));
      expect((await h.repo.flag(n.key))?.snoozedUntil).toBeNull();
      await h.event(reaction('reaction_removed', 'eyes', n, '1772445603.000100', 'UBOB'));
      expect((await h.repo.flag(n.key))?.claimedBy).toBeNull();

      h.clock.set(new Date('2026-03-02T18:30:00.000Z')); // after hours
      await h.event(reaction('reaction_added', 'alarm_clock', n, '1772445604.000100', 'UBOB'));
      expect((await h.repo.flag(n.key))?.snoozedUntil).toEqual(new Date('2026-03-03T09:00:00.000Z'));
    });

    it('ignores reactions on messages that are not Heed nudges, and unrelated emoji', async () => {
      const n = await postedNudge();
      await h.event(
        reaction(
          'reaction_added',
          'white_check_mark',
          { channel: 'CSUPPORT', ts: '1772400000.000001' },
          '1772445600.000100',
        ),
      );
      await h.event(reaction('reaction_added', 'tada', n, '1772445601.000100'));
      await h.event({
        type: 'reaction_added',
        user: 'UCAROL',
        reaction: 'eyes',
        item: { type: 'file', file: 'F1' },
        event_ts: '1772445602.000100',
      });
      expect(await h.repo.auditFor(n.key)).toEqual([]);
      expect((await h.repo.flag(n.key))?.handledBy).toBeNull();
    });

    it('applies a redelivered event once (Slack retries)', async () => {
      const n = await postedNudge();
      const event = reaction('reaction_added', 'eyes', n, '1772445600.000100');
      await h.event(event, { eventId: 'Ev-dup-1' });
      await h.event(event, {
        eventId: 'Ev-dup-1',
        headers: { 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' },
      });
      expect(await h.repo.auditFor(n.key)).toHaveLength(1);
    });

    it('settles out-of-order events by event time: a removal that arrives first wins', async () => {
      const n = await postedNudge();
      await h.event(reaction('reaction_removed', 'white_check_mark', n, '1772445605.000100'));
      await h.event(reaction('reaction_added', 'white_check_mark', n, '1772445600.000100'));
      expect((await h.repo.flag(n.key))?.handledBy).toBeNull();
      // A genuinely later addition still counts.
      await h.event(reaction('reaction_added', 'white_check_mark', n, '1772445609.000100'));
      expect((await h.repo.flag(n.key))?.handledBy).toBe('UCAROL');
    });

    it('ignores skin-tone suffixes', async () => {
      const n = await postedNudge();
      await h.event(reaction('reaction_added', 'eyes::skin-tone-3', n, '1772445600.000100'));
      expect((await h.repo.flag(n.key))?.claimedBy).toBe('UCAROL');
    });
  });

  describe('buttons on nudges', () => {
    it.each([
      ['nudge_claim', { claimedBy: 'UBOB' }],
      ['nudge_snooze', { snoozedBy: 'UBOB', snoozedUntil: new Date(MONDAY_10.getTime() + HOUR) }],
      ['nudge_handled', { handledBy: 'UBOB', handledAt: MONDAY_10, state: 'handled' }],
    ])('%s changes the flag, the nudge and the audit log', async (actionId, expected) => {
      const n = await postedNudge();
      const res = await h.action({ user: 'UBOB', channel: n.channel, messageTs: n.ts, actionId, value: n.key });
      expect(res.status).toBe(200);
      expect(await h.repo.flag(n.key)).toMatchObject(expected);
      expect((await h.repo.auditFor(n.key)).map((a) => [a.action, a.actor, a.source])).toEqual([
        [expect.any(String), 'UBOB', 'button'],
      ]);
      await h.outbox.drainUntilIdle();
      const message = h.slack.messagesIn('CSUPPORT')[0]!;
      expect(message.updates).toBe(1);
      expect(blockKitProblems({ text: message.text, blocks: message.blocks })).toEqual([]);
    });

    it('Undo reverts "handled" for the person who marked it', async () => {
      const n = await postedNudge();
      await h.action({
        user: 'UBOB',
        channel: n.channel,
        messageTs: n.ts,
        actionId: 'nudge_handled',
        value: n.key,
        actionTs: '2.1',
      });
      expect((await h.repo.flag(n.key))?.state).toBe('handled');
      await h.outbox.drainUntilIdle();
      expect(JSON.stringify(h.slack.messagesIn('CSUPPORT')[0]!.blocks)).toContain('nudge_unhandled');
      await h.action({
        user: 'UBOB',
        channel: n.channel,
        messageTs: n.ts,
        actionId: 'nudge_unhandled',
        value: n.key,
        actionTs: '2.2',
      });
      expect(await h.repo.flag(n.key)).toMatchObject({ state: 'at_risk', handledBy: null });
      await h.outbox.drainUntilIdle();
      expect(JSON.stringify(h.slack.messagesIn('CSUPPORT')[0]!.blocks)).toContain('nudge_claim');
    });

    it("Release and Unsnooze undo; releasing someone else's claim is refused politely (unless it is your ticket)", async () => {
      const n = await postedNudge();
      await h.action({
        user: 'UBOB',
        channel: n.channel,
        messageTs: n.ts,
        actionId: 'nudge_claim',
        value: n.key,
        actionTs: '1.1',
      });
      // Dave neither claimed it nor owns the ticket (Carol does).
      await h.action({
        user: 'UDAVE',
        channel: n.channel,
        messageTs: n.ts,
        actionId: 'nudge_unclaim',
        value: n.key,
        actionTs: '1.2',
      });
      expect((await h.repo.flag(n.key))?.claimedBy).toBe('UBOB');
      expect(String(h.slack.responses.at(-1)?.body['text'])).toContain(
        "Only <@UBOB> or the ticket's owner <@UCAROL> can release <@UBOB>'s claim on this ticket.",
      );
      await h.action({
        user: 'UBOB',
        channel: n.channel,
        messageTs: n.ts,
        actionId: 'nudge_unclaim',
        value: n.key,
        actionTs: '1.3',
      });
      expect((await h.repo.flag(n.key))?.claimedBy).toBeNull();
      await h.action({
        user: 'UBOB',
        channel: n.channel,
        messageTs: n.ts,
        actionId: 'nudge_snooze',
        value: n.key,
        actionTs: '1.4',
      });
      await h.action({
        user: 'UBOB',
        channel: n.channel,
        messageTs: n.ts,
        actionId: 'nudge_unsnooze',
        value: n.key,
        actionTs: '1.5',
      });
      expect((await h.repo.flag(n.key))?.snoozedUntil).toBeNull();
    });

    it('"Open in HubSpot" is acknowledged and changes nothing', async () => {
      const n = await postedNudge();
      const res = await h.action({
        user: 'UBOB',
        channel: n.channel,
        messageTs: n.ts,
        actionId: 'nudge_open',
        value: n.key,
      });
      expect(res.status).toBe(200);
      expect(await h.repo.auditFor(n.key)).toEqual([]);
    });
  });

  describe('App Home', () => {
    it('publishes "My queue" and "Team health" when the Home tab opens', async () => {
      await postedNudge('101');
      await h.db.prisma.clockState.create({
        data: {
          ticketId: '900',
          clock: 'firstResponse',
          cycle: 0,
          policy: 'standard',
          team: 'support',
          state: 'met',
          startedAt: MONDAY_10,
          completedAt: MONDAY_10,
          targetMinutes: 240,
          usedMinutes: 10,
          overdueMinutes: 0,
          evaluatedAt: MONDAY_10,
        },
      });
      const res = await h.event({
        type: 'app_home_opened',
        user: 'UCAROL',
        channel: 'DCAROL',
        tab: 'home',
        event_ts: '1772445600.000100',
      });
      expect(res.status).toBe(200);
      const view = h.slack.homeViews.get('UCAROL') as { type: string; blocks: unknown[] };
      const shown = JSON.stringify(view);
      expect(shown).toContain('My queue');
      expect(shown).toContain('Subject 101');
      expect(shown).toContain('Team health');
      expect(shown).toMatch(/support\* — open 1 · at risk 1 · breached 0 · SLA met today 100% \(1\/1\)/);
      expect(blockKitProblems(view)).toEqual([]);
      // The Messages tab does not publish anything.
      await h.event({
        type: 'app_home_opened',
        user: 'UBOB',
        channel: 'DBOB',
        tab: 'messages',
        event_ts: '1772445601.000100',
      });
      expect(h.slack.homeViews.has('UBOB')).toBe(false);
    });
  });

  it('an event body signed for another payload is refused', async () => {
    const body = eventBody({ type: 'app_home_opened', user: 'UCAROL', tab: 'home', event_ts: '1.0' });
    const ts = Math.floor(Date.now() / 1000);
    const res = await sendSigned(h.baseUrl, body, 'application/json', {
      timestamp: ts,
      signature: sign(TEST_SIGNING_SECRET, ts, `${body} `),
    });
    expect(res.status).toBe(401);
    expect(h.slack.homeViews.size).toBe(0);
  });
});
