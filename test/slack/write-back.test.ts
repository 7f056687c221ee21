// Claims written back to HubSpot (issue 15): a 👀 sent as a signed event to the real Bolt app queues the write,
// the runner sends it to the HubSpot simulator (PATCH /crm/objects/2026-09/tickets/{id}, the real client and
// rate limiter), and the next sync brings the new owner back. HubSpot's refusals — an account validation rule,
// a missing scope — reach the nudge's thread in HubSpot's words, once, and one warning line; never silence.
import { afterEach, describe, expect, it } from 'vitest';
import { hubspotRepos } from '../../src/db/hubspot-repos.ts';
import { WriteBackRepo } from '../../src/db/write-back-repo.ts';
import { createHubspotClient, HubspotApi } from '../../src/hubspot/client.ts';
import { SimPortal } from '../../src/hubspot/simulator/portal.ts';
import { type Simulator, startSimulator } from '../../src/hubspot/simulator/server.ts';
import { silentLogger } from '../../src/logger.ts';
import { SyncService } from '../../src/services/sync.ts';
import { reconcileNudges } from '../../src/slack/reconcile-nudges.ts';
import type { SlackUserDirectory } from '../../src/slack/users.ts';
import { WriteBack } from '../../src/slack/write-back.ts';
import { testProviders } from '../support/db.ts';
import { type Harness, MONDAY_10, startHarness, TEST_POLICY } from './support/harness.ts';
import { seedTicketFlag } from './support/seed.ts';

const TOKEN = 'pat-na1-write-back-test';
const HOUR = 3_600_000;

type WriteBackPolicy = {
  claimSetsOwner: 'never' | 'whenUnassigned' | 'always';
  handledMovesToStage?: Record<string, string>;
};

describe.each(testProviders())('claims written back to HubSpot, on %s', (provider) => {
  let h: Harness;
  let sim: Simulator;
  let portal: SimPortal;
  let writeBack: WriteBack;
  let sync: SyncService;
  let eventTs = 1772445600;

  afterEach(async () => {
    await writeBack?.stop();
    const problems = h.sentProblems();
    await sim.close();
    await h.close();
    expect(problems).toEqual([]);
  });

  /** Carol (owner 0 in HubSpot) and Bob (owner 1), known to Slack through the policy's `people`. */
  async function start(settings: WriteBackPolicy) {
    portal = new SimPortal({ now: MONDAY_10.getTime(), tickets: 40, owners: 4, seed: 7 });
    const [carol, bob] = portal.owners;
    h = await startHarness(provider, {
      policy: {
        ...TEST_POLICY,
        people: { [carol!.email!]: 'UCAROL', [bob!.email!]: 'UBOB' },
        hubspot: { writeBack: settings },
      },
    });
    sim = await startSimulator({ portal, accessToken: TOKEN, clock: () => h.clock.now().getTime() });
    const api = new HubspotApi({
      client: createHubspotClient({ accessToken: TOKEN, baseUrl: sim.url }),
      requestsPer10s: 100,
      searchPerSecond: 4,
      clock: h.clock,
      maxAttempts: 1,
      backoffMs: 1,
      timeoutMs: 5000,
    });
    sync = new SyncService({
      api,
      repos: hubspotRepos(h.db),
      clock: h.clock,
      logger: silentLogger(),
      options: { searchLagMs: 0 },
    });
    writeBack = new WriteBack({
      repo: new WriteBackRepo(h.db),
      slack: h.repo,
      api,
      users: h.nudgeDeps.users as SlackUserDirectory,
      settings: { handledMovesToStage: {}, ...settings },
      logger: h.log.logger,
      clock: h.clock,
    });
    h.services.actions.writeBack = writeBack;
  }

  /** An open ticket in pipeline 0 with no category, owned by `owner` (null: unassigned), synced and flagged. */
  async function flaggedTicket(owner: 0 | null, level = 1) {
    let id: string | undefined;
    for (let i = 0; i < portal.ticketCount && !id; i++) {
      const t = portal.t;
      if (!t.archived[i] && Number.isNaN(t.closedAt[i]!) && t.pipeline[i] === 0) id = portal.ticketId(i);
    }
    if (!id) throw new Error('no open ticket in pipeline 0');
    portal.updateTicket(
      id,
      { hubspot_owner_id: owner === null ? null : portal.owners[owner]!.id, hs_ticket_category: null },
      MONDAY_10.getTime() - HOUR,
    );
    await sync.run();
    const key = await seedTicketFlag(
      h.db.prisma,
      {
        id,
        state: 'breached',
        escalationLevel: level,
        startedAt: new Date(MONDAY_10.getTime() - 6 * HOUR),
        dueAt: new Date(MONDAY_10.getTime() - 2 * HOUR),
      },
      MONDAY_10,
    );
    await reconcileNudges(h.nudgeDeps, h.clock.now());
    await h.outbox.drainUntilIdle();
    const nudge = h.slack.messagesIn('CSUPPORT')[0]!;
    return { id, key, nudge };
  }

  async function react(user: string, reaction: string, ts: string) {
    eventTs += 1;
    h.clock.advance(1000);
    const response = await h.event({
      type: 'reaction_added',
      user,
      reaction,
      item_user: 'UHEEDBOT',
      item: { type: 'message', channel: 'CSUPPORT', ts },
      event_ts: `${eventTs}.000100`,
    });
    expect(response.status).toBe(200);
    await writeBack.runDue();
    await h.outbox.drainUntilIdle();
  }

  const ownerOf = (id: string) => {
    const o = portal.t.owner[portal.ticketIndex(id)!]!;
    return o === -1 ? null : portal.owners[o]!.id;
  };
  const patches = (id: string) => sim.counts.get(`PATCH /crm/objects/2026-09/tickets/${id}`) ?? 0;
  const thread = (ts: string) => h.slack.repliesTo('CSUPPORT', ts);
  const warnings = () => h.log.lines().filter((l) => l['msg'] === 'write-back: HubSpot refused the write');
  const writes = () => h.db.prisma.hubspotWrite.findMany({ orderBy: { createdAt: 'asc' } });

  it('whenUnassigned: 👀 on an unassigned ticket makes the claimer its owner; the next sync sees it', async () => {
    await start({ claimSetsOwner: 'whenUnassigned' });
    const { id, nudge } = await flaggedTicket(null);
    await react('UBOB', 'eyes', nudge.ts);
    expect(ownerOf(id)).toBe(portal.owners[1]!.id);
    expect(patches(id)).toBe(1);
    expect((await writes()).map((w) => [w.kind, w.state, w.attempts])).toEqual([['owner', 'done', 1]]);
    await sync.run();
    expect((await h.db.prisma.ticket.findUniqueOrThrow({ where: { id } })).ownerId).toBe(portal.owners[1]!.id);
    // Heed's own write starts nothing again: no second write, no thread message about it.
    await reconcileNudges(h.nudgeDeps, h.clock.now());
    await writeBack.runDue();
    await h.outbox.drainUntilIdle();
    expect(patches(id)).toBe(1);
    expect(await writes()).toHaveLength(1);
    expect(thread(nudge.ts)).toHaveLength(0);
    expect(warnings()).toHaveLength(0);
  });

  it('whenUnassigned: a ticket Carol owns stays hers (nothing written)', async () => {
    await start({ claimSetsOwner: 'whenUnassigned' });
    const { id, nudge } = await flaggedTicket(0);
    await react('UBOB', 'eyes', nudge.ts);
    expect(ownerOf(id)).toBe(portal.owners[0]!.id);
    expect(patches(id)).toBe(0);
    expect((await writes()).map((w) => w.state)).toEqual(['skipped']);
    expect(thread(nudge.ts)).toHaveLength(0);
  });

  it('always: Bob takes Carol’s breached ticket; after the sync he is not pinged about his own claim', async () => {
    await start({ claimSetsOwner: 'always' });
    const { id, key, nudge } = await flaggedTicket(0, 2);
    expect(thread(nudge.ts)).toHaveLength(1); // Carol's ping
    await react('UBOB', 'eyes', nudge.ts);
    expect(ownerOf(id)).toBe(portal.owners[1]!.id);
    h.clock.advance(60_000);
    await sync.run();
    expect((await h.db.prisma.ticket.findUniqueOrThrow({ where: { id } })).ownerId).toBe(portal.owners[1]!.id);
    const summary = await reconcileNudges(h.nudgeDeps, h.clock.now(), [key]);
    await h.outbox.drainUntilIdle();
    expect(summary).toMatchObject({ replies: 0, dms: 0 });
    expect(thread(nudge.ts)).toHaveLength(1);
    expect(h.slack.messagesIn('DBOB')).toHaveLength(0);
    // The nudge names Bob as the owner now; Carol's ping says it was reassigned.
    expect(JSON.stringify(h.slack.messagesIn('CSUPPORT')[0]!.blocks)).toContain(`<@UBOB>`);
    expect(thread(nudge.ts)[0]!.text).toMatch(/^Reassigned to /);
  });

  it('✅ moves the ticket to the configured stage of its pipeline', async () => {
    await start({ claimSetsOwner: 'never', handledMovesToStage: { '0': '4' } });
    const { id, nudge } = await flaggedTicket(0);
    await react('UCAROL', 'white_check_mark', nudge.ts);
    const i = portal.ticketIndex(id)!;
    expect(portal.pipelines[0]!.stages[portal.t.stage[i]!]!.id).toBe('4');
    expect(patches(id)).toBe(1);
    await sync.run();
    expect(await h.db.prisma.ticket.findUniqueOrThrow({ where: { id } })).toMatchObject({
      stageId: '4',
      isClosed: true,
    });
    // claimSetsOwner 'never': a claim writes nothing.
    expect((await writes()).map((w) => [w.kind, w.state])).toEqual([['stage', 'done']]);
  });

  it('a validation rule’s refusal: one reply in the thread with HubSpot’s words, one warning, nothing retried', async () => {
    await start({ claimSetsOwner: 'whenUnassigned' });
    const { id, nudge } = await flaggedTicket(null);
    portal.validationRules.push({ when: 'hubspot_owner_id', requires: 'hs_ticket_category' });
    await react('UBOB', 'eyes', nudge.ts);
    expect(ownerOf(id)).toBeNull();
    const replies = thread(nudge.ts);
    expect(replies).toHaveLength(1);
    expect(replies[0]!.text).toBe(
      "Couldn't set <@UBOB> as owner in HubSpot: hs_ticket_category is required when hubspot_owner_id is set (a conditional property rule of this account)",
    );
    expect(warnings()).toHaveLength(1);
    expect(warnings()[0]).toMatchObject({ ticketId: id, kind: 'owner', code: 'HUBSPOT_WRITE_REFUSED' });
    // The claim itself stands in Slack.
    expect(JSON.stringify(h.slack.messagesIn('CSUPPORT')[0]!.blocks)).toContain('On it: <@UBOB>');
    h.clock.advance(HOUR);
    await writeBack.runDue();
    await h.outbox.drainUntilIdle();
    expect(patches(id)).toBe(1);
    expect(thread(nudge.ts)).toHaveLength(1);
    expect(warnings()).toHaveLength(1);
  });

  it('a missing scope (403): one reply naming it, one warning', async () => {
    await start({ claimSetsOwner: 'always' });
    const { id, nudge } = await flaggedTicket(null);
    sim.setScopes(['oauth', 'crm.objects.owners.read', 'crm.objects.contacts.read', 'crm.objects.companies.read']);
    await react('UBOB', 'eyes', nudge.ts);
    expect(ownerOf(id)).toBeNull();
    const replies = thread(nudge.ts);
    expect(replies).toHaveLength(1);
    expect(replies[0]!.text).toBe(
      "Couldn't set <@UBOB> as owner in HubSpot: This app hasn't been granted all required scopes to make this call. Read more about required scopes here: https://developers.hubspot.com/scopes. (missing scope: tickets)",
    );
    expect(warnings()).toHaveLength(1);
    expect(warnings()[0]).toMatchObject({ code: 'MISSING_SCOPES' });
    expect((await writes()).map((w) => w.state)).toEqual(['refused']);
  });

  it('HubSpot down: retried with backoff, then written; nothing said in the thread', async () => {
    await start({ claimSetsOwner: 'whenUnassigned' });
    const { id, nudge } = await flaggedTicket(null);
    sim.injectFault({ match: `PATCH /crm/objects/2026-09/tickets/${id}`, kind: 'status', status: 503 });
    await react('UBOB', 'eyes', nudge.ts);
    expect(ownerOf(id)).toBeNull();
    expect((await writes()).map((w) => [w.state, w.attempts])).toEqual([['pending', 1]]);
    h.clock.advance(31_000);
    expect(await writeBack.runDue()).toMatchObject({ done: 1 });
    expect(ownerOf(id)).toBe(portal.owners[1]!.id);
    await h.outbox.drainUntilIdle();
    expect(thread(nudge.ts)).toHaveLength(0);
  });

  it('HubSpot down, then the claim is released: the queued write is dropped, not sent later', async () => {
    await start({ claimSetsOwner: 'whenUnassigned' });
    const { id, nudge } = await flaggedTicket(null);
    sim.injectFault({ match: `PATCH /crm/objects/2026-09/tickets/${id}`, kind: 'status', status: 503 });
    await react('UBOB', 'eyes', nudge.ts);
    expect((await writes()).map((w) => [w.state, w.attempts])).toEqual([['pending', 1]]);
    eventTs += 1;
    h.clock.advance(1000);
    const removed = await h.event({
      type: 'reaction_removed',
      user: 'UBOB',
      reaction: 'eyes',
      item_user: 'UHEEDBOT',
      item: { type: 'message', channel: 'CSUPPORT', ts: nudge.ts },
      event_ts: `${eventTs}.000100`,
    });
    expect(removed.status).toBe(200);
    h.clock.advance(31_000);
    expect(await writeBack.runDue()).toMatchObject({ done: 0, skipped: 1 });
    expect(ownerOf(id)).toBeNull();
    expect(patches(id)).toBe(1); // the first attempt only (it met the 503)
    expect((await writes()).map((w) => [w.state, w.lastError])).toEqual([
      ['skipped', 'the claim was released before it was written'],
    ]);
    await h.outbox.drainUntilIdle();
    expect(thread(nudge.ts)).toHaveLength(0);
  });
});
