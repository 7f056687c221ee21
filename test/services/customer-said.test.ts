// "Say what the customer said", end to end: the simulator's conversation → the sync → the evaluation → the nudge
// in (fake) Slack, `/heed whois` and the App Home, over signed requests to the running app. The customer's text is
// hostile on purpose: it must arrive escaped, on one line, with when it came — and go once someone answers.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parsePolicy } from '../../src/config.ts';
import { hubspotRepos } from '../../src/db/hubspot-repos.ts';
import { createHubspotClient, HubspotApi } from '../../src/hubspot/client.ts';
import { SimPortal } from '../../src/hubspot/simulator/portal.ts';
import { type Simulator, startSimulator } from '../../src/hubspot/simulator/server.ts';
import { silentLogger } from '../../src/logger.ts';
import { evaluate } from '../../src/services/evaluate.ts';
import { SyncService } from '../../src/services/sync.ts';
import { reconcileNudges } from '../../src/slack/reconcile-nudges.ts';
import { TOKEN } from '../hubspot/harness.ts';
import { blockKitProblems } from '../slack/support/block-kit.ts';
import { type Harness, MONDAY_10, startHarness, TEST_POLICY } from '../slack/support/harness.ts';
import { testProviders } from '../support/db.ts';

const MINUTE = 60_000;
const at = (hhmm: string) => Date.parse(`2026-03-02T${hhmm}:00.000Z`);
const HOSTILE = 'It still fails <!channel> after *the* update\n> and & more <https://evil.example|click>';
const ESCAPED =
  'It still fails &lt;!channel&gt; after *the* update &gt; and &amp; more &lt;https://evil.example|click&gt;';

describe.each(testProviders())('the customer’s words in Slack, on %s', (provider) => {
  let h: Harness;
  let sim: Simulator;
  let sync: SyncService;
  let ticketId: string;
  let policy: ReturnType<typeof parsePolicy>;

  beforeEach(async () => {
    const portal = new SimPortal({ now: MONDAY_10.getTime() - 30 * MINUTE, tickets: 5, seed: 3 });
    const owner = portal.owners.find((o) => o.email)!;
    const input = {
      ...TEST_POLICY,
      sla: [{ name: 'standard', firstResponse: '1h', nextResponse: '2h', resolution: '3d' }],
      people: { ...TEST_POLICY.people, [owner.email!]: 'UCAROL' },
    };
    policy = parsePolicy(input, 'test policy');
    h = await startHarness(provider, { policy: input });
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
    // Monday 09:10 a customer writes; an agent adds an internal note; the customer writes again at 09:30.
    [ticketId] = portal.createTickets(1, at('09:10'));
    const i = portal.ticketIndex(ticketId!)!;
    const thread = portal.conversations.threadOfTicket(i);
    if (thread !== undefined) portal.conversations.clearThread(thread);
    portal.addMessage(ticketId!, 'customer', at('09:10'), 'Our export fails since this morning.');
    portal.updateTicket(ticketId!, { hubspot_owner_id: owner.id }, at('09:11'));
    portal.addMessage(ticketId!, 'comment', at('09:20'), 'Internal: known bug?');
    portal.addMessage(ticketId!, 'customer', at('09:30'), HOSTILE);
    portal.addMessage(ticketId!, 'customer', at('09:31'), 'Thanks in advance!');
  });
  afterEach(async () => {
    const problems = h.sentProblems();
    await sim.close();
    await h.close();
    expect(problems).toEqual([]);
  });

  const round = async () => {
    await sync.run();
    await evaluate({ db: h.db, config: { policy }, logger: silentLogger() }, h.clock.now(), { mode: 'full' });
    const flag = await h.db.prisma.flag.findFirstOrThrow({ where: { ticketId, clock: 'firstResponse' } });
    await reconcileNudges(h.nudgeDeps, h.clock.now(), [flag.key]);
    await h.outbox.drainUntilIdle();
    return flag;
  };

  it('the nudge, /heed whois and the App Home quote it, escaped on one line with its time; the reply ends it', async () => {
    const flag = await round();
    expect(flag.state).toBe('at_risk');
    const quoted = new RegExp(
      `> “${ESCAPED.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}” — <!date\\^${at('09:30') / 1000}\\^`,
    );

    // The nudge: one quote line, the note not taken for a reply, the "thanks in advance" not taken for the request.
    const nudge = await h.repo.nudgeByFlagKey(flag.key);
    const posted = h.slack.channels.get(nudge!.channel)!.messages.find((m) => m.ts === nudge!.ts)!;
    const shown = JSON.stringify(posted.blocks);
    expect(shown).toMatch(quoted);
    expect(shown).not.toContain('<!channel>');
    expect(shown).not.toContain('Thanks in advance');
    expect(
      JSON.parse(shown)[0]
        .text.text.split('\n')
        .filter((l: string) => l.startsWith('&gt;') || l.startsWith('>')),
    ).toHaveLength(1);

    // /heed whois.
    const whois = await h.command('/heed', `whois ${ticketId}`);
    const whoisText = JSON.stringify(whois.json?.['blocks']);
    expect(whoisText).toContain('The customer is waiting on:');
    expect(whoisText).toMatch(quoted);
    expect(blockKitProblems(whois.json)).toEqual([]);

    // The App Home of the ticket's owner.
    await h.event({ type: 'app_home_opened', user: 'UCAROL', channel: 'DCAROL', tab: 'home', event_ts: '1.0' });
    const home = JSON.stringify(h.slack.homeViews.get('UCAROL'));
    expect(home).toContain(`> “${ESCAPED.slice(0, 40)}`);
    expect(home).toContain(`<!date^${at('09:30') / 1000}^`);

    // An agent answers at 10:05: the nudge says so and quotes nothing any more; whois neither.
    h.clock.set(new Date(at('10:05')));
    sim.portal.addMessage(ticketId, 'agent', at('10:05'), 'Fixed — please try again.');
    h.clock.set(new Date(at('10:07')));
    const after = await round();
    expect(after.state).toBe('resolved');
    const updated = h.slack.channels.get(nudge!.channel)!.messages.find((m) => m.ts === nudge!.ts)!;
    const updatedText = JSON.stringify(updated.blocks);
    expect(updatedText).toContain('Answered');
    expect(updatedText).not.toContain('It still fails');
    const whoisAfter = JSON.stringify((await h.command('/heed', `whois ${ticketId}`)).json?.['blocks']);
    expect(whoisAfter).not.toContain('The customer is waiting on');
  });
});
