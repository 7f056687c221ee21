// Away-aware routing end to end (issue 15): HubSpot users in the simulator (availability, out-of-office periods,
// working hours in their own zone) and Slack profiles in the fake Slack (statuses with expiry), through the real
// pipeline — sync → evaluate → reconcile → outbox → Slack. What each person receives is counted (thread pings,
// DMs) and what they read is asserted: the owner away → their backup for this ticket; that backup away too → the
// next in rotation; everyone away → the thread alone; the owner back → routing returns to them.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parsePolicy, type TPolicy } from '../../src/config.ts';
import { hubspotRepos } from '../../src/db/hubspot-repos.ts';
import { rotationStart } from '../../src/domain/routing.ts';
import { createHubspotClient, HubspotApi } from '../../src/hubspot/client.ts';
import { type SimOwner, SimPortal, type SimUser } from '../../src/hubspot/simulator/portal.ts';
import { type Simulator, startSimulator } from '../../src/hubspot/simulator/server.ts';
import { silentLogger } from '../../src/logger.ts';
import { evaluate } from '../../src/services/evaluate.ts';
import { SyncService } from '../../src/services/sync.ts';
import { reconcileNudges } from '../../src/slack/reconcile-nudges.ts';
import { TOKEN } from '../hubspot/harness.ts';
import { testProviders } from '../support/db.ts';
import { type Harness, startHarness, TEST_POLICY } from './support/harness.ts';
import { shown } from './support/nudge-scenario.ts';

const at = (hhmm: string, day = '02') => new Date(`2026-03-${day}T${hhmm}:00.000Z`);
const ALL_WEEK = JSON.stringify([{ days: 'EVERY_DAY', startMinute: 0, endMinute: 1440 }]);

describe.each(testProviders())('away-aware routing, on %s', (provider) => {
  let h: Harness;
  let sim: Simulator;
  let sync: SyncService;
  let policy: TPolicy;
  let ticketId: string;
  let anna: { owner: SimOwner; user: SimUser; name: string };
  let bob: { owner: SimOwner; user: SimUser };
  let dan: { owner: SimOwner; user: SimUser };
  /** The ticket's rotation over [UBOB, UDAN]: who covers first, and who next. */
  let first: string;
  let second: string;

  beforeEach(async () => {
    const portal = new SimPortal({ now: at('08:00').getTime(), tickets: 3, seed: 5 });
    const people = portal.owners
      .filter((o) => o.email)
      .slice(0, 3)
      .map((owner) => ({ owner, user: portal.users.find((u) => portal.owners[u.owner] === owner)! }));
    // Everyone available, all week, unless a test says otherwise.
    for (const user of portal.users) {
      portal.updateUser(
        user.id,
        { availability: 'available', timeZone: 'UTC', workingHours: ALL_WEEK, outOfOffice: '[]' },
        at('08:00').getTime(),
      );
    }
    anna = { ...people[0]!, name: `${people[0]!.owner.firstName} ${people[0]!.owner.lastName}`.trim() };
    bob = people[1]!;
    dan = people[2]!;
    const support = { ...TEST_POLICY.teams[0]!, backup: { users: ['UBOB'], userGroup: 'SCOVER' } };
    const input = {
      ...TEST_POLICY,
      teams: [support, TEST_POLICY.teams[1]!],
      sla: [{ name: 'standard', firstResponse: '1h', nextResponse: '2h', resolution: '3d', escalateAfter: 4 }],
      people: { [anna.owner.email!]: 'UANNA', [bob.owner.email!]: 'UBOB', [dan.owner.email!]: 'UDAN' },
    };
    policy = parsePolicy(input, 'test policy');
    h = await startHarness(provider, { policy: input });
    // The user group follows the listed backups in the rotation (Bob in both counts once).
    h.slack.addUserGroup('SCOVER', ['UDAN', 'UBOB']);
    h.clock.set(at('08:00'));
    sim = await startSimulator({ portal, accessToken: TOKEN, clock: () => h.clock.now().getTime() });
    const api = new HubspotApi({
      client: createHubspotClient({ accessToken: TOKEN, baseUrl: sim.url }),
      requestsPer10s: 1000,
      searchPerSecond: 5,
      clock: h.clock,
      backoffMs: 10,
      timeoutMs: 2000,
    });
    sync = new SyncService({
      api,
      repos: hubspotRepos(h.db),
      clock: h.clock,
      logger: silentLogger(),
      options: { searchLagMs: 0 },
    });
    // Monday 09:10 a customer writes; the ticket is Anna's. First response is due at 10:10.
    [ticketId] = portal.createTickets(1, at('09:10').getTime()) as [string];
    const thread = portal.conversations.threadOfTicket(portal.ticketIndex(ticketId)!);
    if (thread !== undefined) portal.conversations.clearThread(thread);
    portal.addMessage(ticketId, 'customer', at('09:10').getTime(), 'Our export fails since this morning.');
    portal.updateTicket(ticketId, { hubspot_owner_id: anna.owner.id }, at('09:11').getTime());
    const rotation = ['UBOB', 'UDAN'];
    const start = rotationStart(ticketId, 2);
    [first, second] = [rotation[start]!, rotation[(start + 1) % 2]!];
  });

  afterEach(async () => {
    const problems = h.sentProblems();
    await sim.close();
    await h.close();
    expect(problems).toEqual([]);
  });

  const userOf = (who: string) => (who === 'UBOB' ? bob : dan).user;
  const setUser = (user: SimUser, patch: Parameters<SimPortal['updateUser']>[1], time: string) =>
    sim.portal.updateUser(user.id, patch, at(time).getTime());
  const ooo = (from: Date, to: Date) =>
    JSON.stringify([{ startTimestamp: from.getTime(), endTimestamp: to.getTime() }]);

  async function round(time: string, day = '02') {
    h.clock.set(at(time, day));
    await sync.run();
    await evaluate({ db: h.db, config: { policy }, logger: silentLogger() }, h.clock.now(), { mode: 'full' });
    const summary = await reconcileNudges(h.nudgeDeps, h.clock.now());
    await h.outbox.drainUntilIdle();
    return summary;
  }

  const nudge = () => h.slack.messagesIn('CSUPPORT')[0];
  const thread = () => h.slack.repliesTo('CSUPPORT', nudge()!.ts);
  /** DMs a person received (posts to their user id), as they read them now. */
  const dms = (user: string) => h.slack.messagesIn(user).map((m) => shown(m, { withText: true }));
  /** Thread replies that pinged `user` (by the reply's key; a later edit mentioning them notifies nobody). */
  const pingsOf = (user: string) =>
    thread().filter((m) => String(m.metadata?.event_payload['key'] ?? '').includes(`:reply2:${user}`));

  it('owner out of office (HubSpot): the ticket’s backup is pinged and DMed, the owner nothing; back → pinged', async () => {
    setUser(anna.user, { outOfOffice: ooo(at('08:00'), at('10:30')) }, '08:05');
    await round('09:58'); // at risk: the nudge
    expect(h.slack.messagesIn('CSUPPORT')).toHaveLength(1);
    await round('10:15'); // breached: the ping goes to the backup

    expect(dms('UANNA')).toEqual([]);
    expect(dms(first)).toHaveLength(1);
    expect(dms(second)).toEqual([]);
    expect(dms(first)[0]).toContain(`Covering for ${anna.name}`);
    expect(dms(first)[0]).toContain(
      `${anna.name} is away until Mon 10:30 UTC (out of office); <@${first}> is covering`,
    );
    expect(thread()).toHaveLength(1);
    expect(shown(thread()[0], { withText: true })).toContain(
      `<@${first}> ${anna.name} is away until Mon 10:30 UTC (out of office); <@${first}> is covering: the first response time on this ticket is breached`,
    );
    expect(shown(thread()[0], { withText: true })).not.toContain('<@UANNA>');
    const covering = shown(nudge(), { withText: true });
    expect(covering).toContain(
      `:palm_tree: ${anna.name} is away until Mon 10:30 UTC (out of office); <@${first}> is covering`,
    );
    expect(covering).toContain(`*Owner*\n${anna.name} (away)`);
    expect(covering).not.toContain('<@UANNA>');

    // 10:31: her out-of-office ended at 10:30; the covered nudge is checked again and routing returns to her.
    const back = await round('10:31');
    expect(back.dms).toBe(1);
    expect(dms('UANNA')).toHaveLength(1);
    expect(dms('UANNA')[0]).toContain('Your ticket breached its first response time');
    expect(dms(first)).toHaveLength(1); // edited, not a second one
    expect(dms(first)[0]).toContain('No longer yours to cover');
    expect(dms(first)[0]).toContain('<@UANNA> is back — nothing more for you to do');
    expect(pingsOf('UANNA')).toHaveLength(1);
    expect(thread()).toHaveLength(2);
    expect(shown(nudge(), { withText: true })).not.toContain('covering');
    expect(shown(nudge(), { withText: true })).toContain('*Owner*\n<@UANNA>');

    // Nothing more while she stays available: no repeated pings.
    await round('10:45');
    expect(thread()).toHaveLength(2);
    expect(dms('UANNA')).toHaveLength(1);
    expect(dms(second)).toEqual([]);
  });

  it('owner pinged while here, then out of office: the next check hands the ticket to the backup, once', async () => {
    await round('09:58');
    await round('10:15'); // breached: Anna is here, so she is pinged and DMed
    expect(pingsOf('UANNA')).toHaveLength(1);
    expect(dms('UANNA')).toHaveLength(1);
    // 10:16 she books the rest of the day off; the pinged owner is checked again within the status cache's 5 min.
    setUser(anna.user, { outOfOffice: ooo(at('10:16'), at('18:00')) }, '10:16');
    const before = await round('10:18');
    expect(before.replies + before.dms).toBe(0); // not yet due: no check on every run
    const handed = await round('10:21');
    expect(handed.dms).toBe(1);
    expect(dms(first)).toHaveLength(1);
    expect(dms(first)[0]).toContain(
      `${anna.name} is away until Mon 18:00 UTC (out of office); <@${first}> is covering`,
    );
    expect(pingsOf(first)).toHaveLength(1);
    expect(dms(second)).toEqual([]);
    expect(pingsOf('UANNA')).toHaveLength(1); // not again
    expect(shown(nudge(), { withText: true })).toContain(`<@${first}> is covering`);
    // Later checks while she stays away: the same cover, nothing sent again.
    await round('10:27');
    await round('10:33');
    expect(dms(first)).toHaveLength(1);
    expect(pingsOf(first)).toHaveLength(1);
    expect(thread()).toHaveLength(2);
  });

  it('owner pinged, then her working day ends with the ticket still waiting: nobody else is pinged, nor she again', async () => {
    const nineToFour = JSON.stringify([{ days: 'MONDAY_TO_FRIDAY', startMinute: 540, endMinute: 960 }]);
    setUser(anna.user, { workingHours: nineToFour }, '08:05');
    await round('09:58');
    await round('10:15'); // breached: pinged and DMed
    for (const time of ['16:01', '16:07', '16:13', '20:00']) await round(time);
    for (const time of ['09:01', '09:07', '10:00']) await round(time, '03');
    expect(dms(first)).toEqual([]);
    expect(dms(second)).toEqual([]);
    expect(pingsOf(first)).toEqual([]);
    expect(pingsOf('UANNA')).toHaveLength(1);
    expect(dms('UANNA')).toHaveLength(1);
    expect(shown(nudge(), { withText: true })).not.toContain('is away');
  });

  it('owner pinged, then the ticket is unassigned: its check time is cleared, not re-read on every run', async () => {
    await round('09:58');
    await round('10:15');
    const checkAt = async () => (await h.db.prisma.nudge.findMany({ select: { coverCheckAt: true } }))[0]?.coverCheckAt;
    expect(await checkAt()).toEqual(at('10:20'));
    sim.portal.updateTicket(ticketId, { hubspot_owner_id: null }, at('10:16').getTime());
    await round('10:17');
    await round('10:21');
    expect(await checkAt()).toBeNull();
    expect(dms(first)).toEqual([]);
    expect(dms(second)).toEqual([]);
  });

  it('the backup claims the covered ticket: when the owner is back, it stays theirs and she is not pinged', async () => {
    setUser(anna.user, { outOfOffice: ooo(at('08:00'), at('10:30')) }, '08:05');
    await round('09:58');
    await round('10:15');
    expect(dms(first)).toHaveLength(1);
    // The backup reacts 👀 (as the reaction listener records it).
    const flag = (await h.db.prisma.flag.findMany({ where: { ticketId } }))[0]!;
    await h.db.prisma.flag.update({
      where: { key: flag.key },
      data: { claimedBy: first, claimedAt: at('10:16'), updatedAt: at('10:16') },
    });
    await round('10:17');
    await round('10:31'); // her out-of-office is over, his claim (30m) still stands
    expect(dms('UANNA')).toEqual([]);
    expect(pingsOf('UANNA')).toEqual([]);
    expect(dms(first)).toHaveLength(1);
    expect(dms(first)[0]).not.toContain('No longer yours to cover');
    expect(shown(nudge(), { withText: true })).toContain(`:eyes: On it: <@${first}>`);
    // The backup working it is never told it is not theirs.
    expect(dms(first)[0]).not.toContain('nothing more for you to do');
  });

  it('owner away in HubSpot and the first backup’s Slack status says vacation: the next in rotation covers', async () => {
    setUser(anna.user, { availability: 'away' }, '08:05');
    // Until Wednesday 08:00 (status_expiration is in seconds).
    h.slack.setStatus(first, { emoji: ':palm_tree:', text: 'Beach', expiration: at('08:00', '04').getTime() / 1000 });
    await round('09:58');
    await round('10:15');

    expect(dms('UANNA')).toEqual([]);
    expect(dms(first)).toEqual([]);
    expect(dms(second)).toHaveLength(1);
    expect(pingsOf(second)).toHaveLength(1);
    expect(pingsOf(first)).toHaveLength(0);
    expect(shown(nudge(), { withText: true })).toContain(
      `${anna.name} is away (away in HubSpot); <@${second}> is covering`,
    );
    // Re-checked later while she stays away: the same cover, nothing new sent.
    const later = await round('10:40');
    expect(later.replies + later.dms).toBe(0);
    expect(thread()).toHaveLength(1);
  });

  it('owner outside her working hours and every backup away: the thread alone says so; a backup back → covers', async () => {
    // Anna works 09:00–17:00 in Tokyo: 10:15 UTC is 19:15 there, back Tuesday 09:00 Tokyo = Tuesday 00:00 UTC.
    const tokyo = JSON.stringify([{ days: 'MONDAY_TO_FRIDAY', startMinute: 540, endMinute: 1020 }]);
    setUser(anna.user, { timeZone: 'Asia/Tokyo', workingHours: tokyo }, '08:05');
    setUser(userOf(first), { outOfOffice: ooo(at('00:00'), at('00:00', '06')) }, '08:05');
    h.slack.setStatus(second, { text: 'Vacation', emoji: '' });
    await round('09:58');
    await round('10:15');

    expect(dms('UANNA')).toEqual([]);
    expect(dms('UBOB')).toEqual([]);
    expect(dms('UDAN')).toEqual([]);
    expect(thread()).toHaveLength(1);
    const alone = shown(thread()[0], { withText: true });
    expect(alone).toContain(
      `${anna.name} is away until Tue 00:00 UTC (outside working hours); no backup available: the first response time on this ticket is breached`,
    );
    expect(alone).not.toMatch(/<@U/);
    expect(shown(nudge(), { withText: true })).toContain(
      `${anna.name} is away until Tue 00:00 UTC (outside working hours); no backup available`,
    );

    // 10:21: the second backup cleared their status; the check after the status cache's 5 minutes finds them.
    h.slack.setStatus(second, undefined);
    await round('10:21');
    expect(dms(second)).toHaveLength(1);
    expect(dms(second)[0]).toContain(`<@${second}> is covering`);
    expect(pingsOf(second)).toHaveLength(1);
    expect(dms('UANNA')).toEqual([]);
    expect(dms(first)).toEqual([]);
    expect(shown(nudge(), { withText: true })).toContain(`<@${second}> is covering`);
    // The thread's "no backup available" note now says who has it; it pings nobody, Anna least of all.
    expect(thread()).toHaveLength(2);
    expect(shown(thread()[0], { withText: true })).toContain(
      `:arrow_right: <@${second}> is covering for ${anna.name} now.`,
    );
    expect(shown(thread()[0], { withText: true })).not.toContain('<@UANNA>');
  });

  it('Slack cannot say anyone’s status: the owner is pinged as always, and that is logged once', async () => {
    h.slack.failWhile({ method: 'users.info' }, { error: 'internal_error' });
    await round('09:58');
    await round('10:15');
    expect(dms('UANNA')).toHaveLength(1);
    expect(pingsOf('UANNA')).toHaveLength(1);
    expect(dms('UBOB')).toEqual([]);
    expect(dms('UDAN')).toEqual([]);
    const warnings = h.log.lines().filter((l) => String(l['msg']).includes('cannot read Slack statuses'));
    expect(warnings).toHaveLength(1);
  });
});
