// The offline demo: Heed's real pipeline end to end, pointed at local stand-ins instead of HubSpot and Slack.
// A generated portal is served by the HubSpot simulator, synced into a throw-away SQLite database, evaluated
// at a fixed moment, and the nudges go through the real outbox to the fake Slack server; the digest is posted
// the same way and /unanswered is answered by the query the slash command uses. What each channel received is
// read back from the fake Slack server, so the demo shows what Slack would really have been sent.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { webApi } from '@slack/bolt';
import { type Clock, scaledClock } from '../clock.ts';
import { type Config, DEFAULT_POLICY, parseEnv, parsePolicy, type TPolicyInput, type TTeam } from '../config.ts';
import { openDatabase } from '../db/client.ts';
import { FlagsReadRepo } from '../db/flags-read-repo.ts';
import { SlackRepo } from '../db/slack-repo.ts';
import { businessMsBetween } from '../domain/calendar.ts';
import { WORKDAYS } from '../domain/week.ts';
import { SimPortal, TEAMS } from '../hubspot/simulator/portal.ts';
import { type Simulator, startSimulator } from '../hubspot/simulator/server.ts';
import type { Logger } from '../logger.ts';
import { evaluate } from '../services/evaluate.ts';
import { createSlaEngine, type SlaEngine } from '../services/evaluate-engine.ts';
import type { SyncStats } from '../services/sync.ts';
import { createHubspotSync } from '../services/sync-setup.ts';
import { postDigest } from '../slack/digest-post.ts';
import { type FakeMessage, FakeSlackServer } from '../slack/fake-slack-server.ts';
import { Outbox } from '../slack/outbox.ts';
import { unansweredPage } from '../slack/queries.ts';
import {
  addSummary,
  claimSettingsOf,
  emptySummary,
  type ReconcileSummary,
  reconcileNudges,
} from '../slack/reconcile-nudges.ts';
import type { RenderedMessage } from '../slack/render/blocks.ts';
import { renderQueuePage } from '../slack/render/queue.ts';
import { slackTeams } from '../slack/teams.ts';
import { SlackUserDirectory } from '../slack/users.ts';

/**
 * The demo's "now": Tuesday 17 November 2026, 09:45 UTC — a working-day morning in all three demo calendars
 * (09:45 in London, 10:45 in Berlin, 11:45 in Helsinki). Fixed, so every run prints the same tickets.
 */
export const DEMO_NOW = new Date('2026-11-17T09:45:00.000Z');

/** Slack lets a bot post about once a second per channel; the demo keeps that pace, this many times faster. */
export const DEMO_OUTBOX_SPEEDUP = 200;

/** The demo portal's shape: a few hundred tickets over the last two weeks, some feedback. */
export const DEMO_PORTAL = { tickets: 400, days: 14, owners: 12, feedbackPerTicket: 0.2, seed: 2026 } as const;

/** Slack channels of the demo workspace: ids as Slack has them, names as people read them. */
export const DEMO_CHANNELS = [
  { id: 'C0DEMOSUP', name: 'support' },
  { id: 'C0DEMOT2', name: 'support-tier2' },
  { id: 'C0DEMOBIL', name: 'billing' },
  { id: 'C0DEMOLEAD', name: 'support-leads' },
] as const;

const teamId = (name: (typeof TEAMS)[number]['name']) => TEAMS.find((t) => t.name === name)!.id;
const weekdays = (...slots: [string, string][]) => Object.fromEntries(WORKDAYS.map((day) => [day, slots]));

/**
 * The demo policy: the simulator's three HubSpot teams become three Heed teams with their own channels and
 * calendars. Billing also takes everything in the Billing pipeline; a ticket no team takes goes to support.
 */
export function demoPolicy(): TPolicyInput {
  return {
    calendars: {
      london: { timezone: 'Europe/London', hours: weekdays(['09:00', '17:30']), holidays: ['2026-12-25'] },
      // A lunch break: time between the slots does not count against an SLA.
      berlin: {
        timezone: 'Europe/Berlin',
        hours: weekdays(['08:00', '12:00'], ['13:00', '17:00']),
        holidays: ['2026-12-24', '2026-12-25'],
      },
      helsinki: { timezone: 'Europe/Helsinki', hours: weekdays(['08:00', '16:00']), holidays: ['2026-12-06'] },
    },
    teams: [
      {
        name: 'support',
        channel: 'C0DEMOSUP',
        escalationChannel: 'C0DEMOLEAD',
        hubspotTeamIds: [teamId('Tier 1')],
        calendar: 'london',
      },
      {
        name: 'tier2',
        channel: 'C0DEMOT2',
        escalationChannel: 'C0DEMOLEAD',
        hubspotTeamIds: [teamId('Tier 2')],
        calendar: 'berlin',
      },
      {
        name: 'billing',
        channel: 'C0DEMOBIL',
        escalationChannel: 'C0DEMOLEAD',
        hubspotTeamIds: [teamId('Billing')],
        pipelines: ['81234567'],
        calendar: 'helsinki',
      },
    ],
    // The SLAs Heed starts with when there is no policy file: urgent/high 1h/2h/8h, the rest 4h/8h/3d.
    sla: DEFAULT_POLICY.sla,
    // Only low scores: "any comment counts" would also ask for a follow-up of every "Great help, thank you!".
    feedback: {
      NPS: { atMost: 6 },
      CSAT: { atMost: 2 },
      CES: { atMost: 3 },
      followUpWithin: '1d',
      commentsCount: false,
    },
    // "Waiting on contact" / "Waiting on customer": the customer has the ball, the clocks pause.
    waitingOnCustomerStages: ['2', '81234569'],
  };
}

/** A message as the fake Slack server holds it, with the replies in its thread. */
export interface DemoMessage {
  channel: string;
  text: string;
  blocks: unknown[];
  replies: DemoMessage[];
}

export interface DemoTeam {
  team: TTeam;
  timeZone: string;
  channelName: string;
  /** Nudges in the team channel, oldest first, each with its thread. */
  nudges: DemoMessage[];
  /** The team's backlog summary and "and N more" messages (one message for many tickets). */
  summaries: DemoMessage[];
  /** The digest (one or more messages, as posted). */
  digest: DemoMessage[];
  /** Posts about this team's tickets in its escalation channel. */
  escalations: DemoMessage[];
  escalationChannelName: string | undefined;
}

export interface DemoResult {
  now: Date;
  config: Config;
  portal: { id: number; tickets: number; owners: number; feedback: number; days: number };
  /** Tickets added as the overnight queue (included in portal.tickets). */
  overnight: number;
  sync: SyncStats;
  /** Open clocks by state, and open flags: ticket clocks at risk or breached, feedback awaiting a follow-up. */
  evaluation: {
    openClocks: number;
    atRisk: number;
    breached: number;
    feedbackPending: number;
    feedbackOverdue: number;
  };
  nudges: ReconcileSummary;
  /** Messages Slack took, by kind of write. */
  slack: { posts: number; replies: number; dms: number; updates: number; failed: number };
  teams: DemoTeam[];
  /** The leads channel's "and N more escalations" messages (over its burst budget). */
  escalationOverflow: DemoMessage[];
  /** Direct messages to owners (level 2), by Slack user. */
  dms: { user: string; messages: DemoMessage[] }[];
  unanswered: { team: string; channelName: string; message: RenderedMessage };
  /** Slack user id → the person's name, for readable mentions. */
  people: Map<string, string>;
  channelNames: Map<string, string>;
  durations: { syncMs: number; evaluateMs: number; slackMs: number; totalMs: number };
}

export interface DemoOptions {
  logger: Logger;
  now?: Date;
  /** Where the throw-away database goes; a fresh temp dir (removed afterwards) when absent. */
  workDir?: string;
  portal?: Partial<typeof DEMO_PORTAL>;
  /** The policy; demoPolicy() when absent. */
  policy?: TPolicyInput;
  /** Which team /unanswered is asked for; the one with the most nudges when absent. */
  unansweredTeam?: string;
  onStep?: (step: string) => void;
}

/** When the unanswered tickets of the overnight queue arrived, in hours before the demo's "now". */
const OVERNIGHT_ARRIVALS_HOURS = [
  0.4, 0.9, 1.6, 2.5, 3.5, 5, 6, 7, 8.5, 9.5, 11, 12, 13.5, 14.5, 16.5, 17.5, 18.2, 18.6, 19, 19.5,
];

/**
 * The generator answers tickets around the clock; a real help desk's morning starts with the tickets that came
 * in since yesterday afternoon and nobody has answered yet. Those are added here, as a customer writing in
 * would add them; whether they are at risk or breached is left to the SLA engine.
 */
function addOvernightQueue(portal: SimPortal, now: Date): number {
  for (const hours of OVERNIGHT_ARRIVALS_HOURS) portal.createTickets(1, now.getTime() - hours * 3_600_000);
  return OVERNIGHT_ARRIVALS_HOURS.length;
}

/** Heed's evaluations before the demo moment: since yesterday 12:00 UTC, every 15 minutes some team worked. */
function demoWatchInstants(engine: SlaEngine, now: Date): Date[] {
  const step = 15 * 60_000;
  const start = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - 1, 12);
  const instants: Date[] = [];
  for (let t = start; t < now.getTime(); t += step) {
    if (engine.teams.some((team) => businessMsBetween(engine.calendarOf(team), t - step, t) > 0)) {
      instants.push(new Date(t));
    }
  }
  instants.push(now);
  return instants;
}

const DEMO_HUBSPOT_TOKEN = 'pat-demo-offline-only';
const DEMO_SLACK_TOKEN = 'xoxb-demo-offline-only';

function toDemoMessage(message: FakeMessage, replies: FakeMessage[] = []): DemoMessage {
  return {
    channel: message.channel,
    text: message.text,
    blocks: message.blocks,
    replies: replies.map((r) => toDemoMessage(r)),
  };
}

function metadataKey(message: FakeMessage): string {
  const key = message.metadata?.event_payload?.['key'];
  return typeof key === 'string' ? key : '';
}

export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const started = performance.now();
  const now = options.now ?? DEMO_NOW;
  const step = options.onStep ?? (() => {});
  const ownDir = options.workDir === undefined;
  const workDir = options.workDir ?? mkdtempSync(join(tmpdir(), 'heed-demo-'));
  const portalShape = { ...DEMO_PORTAL, ...options.portal };
  const logger = options.logger;

  const outboxClock: Clock = scaledClock(now, DEMO_OUTBOX_SPEEDUP);
  // Reads `now` at first and then moves with real time (network timeouts stay real).
  const syncClock = scaledClock(now, 1);
  let sim: Simulator | undefined;
  let slackServer: FakeSlackServer | undefined;
  let db: Awaited<ReturnType<typeof openDatabase>> | undefined;
  try {
    const portal = new SimPortal({
      now: now.getTime(),
      seed: portalShape.seed,
      tickets: portalShape.tickets,
      days: portalShape.days,
      owners: portalShape.owners,
      feedbackPerTicket: portalShape.feedbackPerTicket,
      timeZone: 'Europe/London',
    });
    const overnight = addOvernightQueue(portal, now);
    sim = await startSimulator({ portal, accessToken: DEMO_HUBSPOT_TOKEN, clock: () => syncClock.now().getTime() });
    slackServer = await new FakeSlackServer({ now: () => outboxClock.now().getTime() }).start();
    for (const channel of DEMO_CHANNELS) slackServer.addChannel({ id: channel.id, name: channel.name });
    // Every HubSpot agent has a Slack account under the same email, as in most workspaces: nudges mention them.
    const people = new Map<string, string>();
    portal.owners.forEach((owner, index) => {
      if (!owner.email) return;
      const id = `U0DEMO${String(index + 1).padStart(2, '0')}`;
      slackServer!.addUser(owner.email, id);
      people.set(id, `${owner.firstName} ${owner.lastName}`);
    });
    step(`HubSpot simulator on ${sim.url}, Slack stand-in on ${slackServer.url}`);

    const config: Config = {
      env: parseEnv({
        HUBSPOT_API_URL: sim.url,
        SLACK_API_URL: slackServer.apiUrl,
        DATABASE_URL: `file:${join(workDir, 'heed-demo.db')}`,
        HEED_CONFIG: 'demo',
        LOG_LEVEL: logger.level,
      }),
      policy: parsePolicy(options.policy ?? demoPolicy(), 'the demo policy'),
      policySource: 'demo',
      notices: [],
    };
    db = await openDatabase(config.env.DATABASE_URL, { migrate: true });

    // 1. Sync, exactly as `heed sync` does.
    const syncStart = performance.now();
    const sync = createHubspotSync({ config, accessToken: DEMO_HUBSPOT_TOKEN, db, logger, clock: syncClock });
    const syncStats = await sync.service.run();
    const syncMs = performance.now() - syncStart;
    step(`Synced ${syncStats.records.tickets} tickets in ${(syncMs / 1000).toFixed(1)} s`);

    // 2. Evaluate every clock and feedback answer as Heed would have since yesterday's lunchtime, every
    //    15 minutes of working time up to the demo moment, and bring Slack up to date each time, as `heed start`
    //    does: what was already late when it started is summed up once per team (backlog, flag-machine.ts); what
    //    became late while it watched is nudged and escalated as it happened, within the burst budgets.
    const evaluateStart = performance.now();
    const engine = createSlaEngine(config.policy);
    const slack = new webApi.WebClient(DEMO_SLACK_TOKEN, {
      slackApiUrl: config.env.SLACK_API_URL,
      retryConfig: { retries: 0 },
      rejectRateLimitedCalls: true,
    });
    const repo = new SlackRepo(db);
    const reads = new FlagsReadRepo(db);
    const teams = slackTeams(config.policy);
    const users = new SlackUserDirectory({ repo, slack, people: config.policy.people, logger });
    const nudgeDeps = {
      repo,
      reads,
      logger,
      users,
      teams,
      settings: config.policy.nudges,
      claims: claimSettingsOf(config.policy),
    };
    const nudges = emptySummary();
    let reconcileMs = 0;
    for (const at of demoWatchInstants(engine, now)) {
      await evaluate({ db, config, logger, engine }, at, { mode: 'full' });
      const reconciling = performance.now();
      const run = await reconcileNudges(nudgeDeps, at);
      addSummary(nudges, run);
      // Held back by quiet hours: what is still held at the demo moment (not once per watch).
      nudges.deferred = run.deferred;
      reconcileMs += performance.now() - reconciling;
    }
    const evaluateMs = performance.now() - evaluateStart - reconcileMs;
    const openClocks = await db.prisma.clockState.count({
      where: { state: { in: ['running', 'at_risk', 'breached', 'paused'] } },
    });
    const flagRows = await db.prisma.flag.groupBy({ by: ['state'], _count: { _all: true } });
    const flagCount = (state: string) => flagRows.find((r) => r.state === state)?._count._all ?? 0;
    step(`Evaluated ${openClocks} open clocks`);

    // 3. The digest, then everything queued, through the real outbox to the Slack stand-in.
    const slackStart = performance.now() - reconcileMs;
    step(`Queued ${nudges.posted} nudges and ${nudges.summaries} summaries`);
    // As `heed start` would: composed from an evaluation of this moment, owners named as Slack mentions.
    for (const team of config.policy.teams) {
      await postDigest({ db, config, outbox: repo, users, logger }, team.name, now);
    }
    step('Queued the digests');
    const outbox = new Outbox({ repo, slack, clock: outboxClock, logger });
    // Bounded in the outbox's own (sped-up) time: an hour of Slack pace is far more than the demo needs.
    await outbox.drainUntilIdle(new Date(outboxClock.now().getTime() + 60 * 60_000));
    const slackMs = performance.now() - slackStart;
    const leadsChannel = config.policy.teams.find((t) => t.escalationChannel)?.escalationChannel;
    step('Posted to the Slack stand-in');

    const server = slackServer;
    const channelNames = new Map<string, string>(DEMO_CHANNELS.map((c) => [c.id, c.name]));
    const posts = server.callsOf('chat.postMessage');
    const teamResults: DemoTeam[] = config.policy.teams.map((team) => {
      const top = server.messagesIn(team.channel);
      const byKind = (prefix: string) => top.filter((m) => metadataKey(m).startsWith(prefix));
      const nudgeMessages = byKind('nudge:').map((m) => toDemoMessage(m, server.repliesTo(team.channel, m.ts)));
      const digest = byKind(`digest:${team.name}:`).map((m) => toDemoMessage(m));
      const summaries = byKind('rollup:').map((m) => toDemoMessage(m));
      const escalationChannel = team.escalationChannel;
      // Escalation posts name the team in their fallback text ("Escalation (support): …").
      const escalations = escalationChannel
        ? server
            .messagesIn(escalationChannel)
            .filter((m) => m.text.startsWith(`Escalation (${team.name})`))
            .map((m) => toDemoMessage(m))
        : [];
      return {
        team,
        timeZone: config.policy.calendars[team.calendar]?.timezone ?? 'UTC',
        channelName: channelNames.get(team.channel) ?? team.channel,
        nudges: nudgeMessages,
        summaries,
        digest,
        escalations,
        escalationChannelName: escalationChannel
          ? (channelNames.get(escalationChannel) ?? escalationChannel)
          : undefined,
      };
    });
    const dms = [...server.channels.values()]
      .filter((c) => c.id.startsWith('D'))
      .map((c) => ({ user: `U${c.id.slice(1)}`, messages: c.messages.map((m) => toDemoMessage(m)) }))
      .filter((d) => d.messages.length > 0);

    // 4. /unanswered for one team, from the same query and renderer as the slash command.
    const chosen =
      teamResults.find((t) => t.team.name === options.unansweredTeam) ??
      [...teamResults].sort((a, b) => b.nudges.length - a.nudges.length)[0]!;
    const page = await unansweredPage(
      { reads, repo, users, teams, status: { db, config } },
      { kind: 'team', team: chosen.team.name },
      0,
      now,
    );
    const unanswered = 'unmatched' in page ? undefined : renderQueuePage(page);
    if (!unanswered) throw new Error('demo: a team scope never needs a Slack user match');

    const outboxRows = await db.prisma.outboxMessage.groupBy({ by: ['kind', 'state'], _count: { _all: true } });
    const sent = (kind: string) =>
      outboxRows.filter((r) => r.kind === kind && r.state === 'sent').reduce((n, r) => n + r._count._all, 0);
    return {
      now,
      config,
      portal: {
        id: portal.portalId,
        tickets: portal.ticketCount,
        owners: portal.owners.length,
        feedback: portal.feedbackCount,
        days: portalShape.days,
      },
      overnight,
      sync: syncStats,
      evaluation: {
        openClocks,
        atRisk: flagCount('at_risk'),
        breached: flagCount('breached'),
        feedbackPending: flagCount('pending'),
        feedbackOverdue: flagCount('overdue'),
      },
      nudges,
      slack: {
        posts: posts.length,
        replies: sent('reply'),
        dms: sent('dm'),
        updates: sent('update'),
        failed: outboxRows.filter((r) => r.state === 'failed').reduce((n, r) => n + r._count._all, 0),
      },
      teams: teamResults,
      escalationOverflow: leadsChannel
        ? server
            .messagesIn(leadsChannel)
            .filter((m) => metadataKey(m).startsWith('rollup:'))
            .map((m) => toDemoMessage(m))
        : [],
      dms,
      unanswered: { team: chosen.team.name, channelName: chosen.channelName, message: unanswered },
      people,
      channelNames,
      durations: { syncMs, evaluateMs, slackMs, totalMs: performance.now() - started },
    };
  } finally {
    await db?.close();
    await slackServer?.stop();
    await sim?.close();
    if (ownDir) rmSync(workDir, { recursive: true, force: true });
  }
}
