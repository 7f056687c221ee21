// Support for the outbox fault scenarios: a policy with one team (and channel, and escalation channel) per HubSpot
// owner so a backlog spreads over many channels, `heed start` children that say when they listen, their JSON log
// lines, and the ledger checks that go beyond "once each": the pace (≥ 1 s between posts in any channel) and the
// order (each channel's posts in the order they were queued).
import type { Db } from '../../../src/db/client.ts';
import type { SimPortal } from '../../../src/hubspot/simulator/portal.ts';
import type { FakeSlackServer } from '../../../src/slack/fake-slack-server.ts';
import { HEED_METADATA_EVENT } from '../../../src/slack/outbox.ts';
import { type HeedExit, type HeedRun, runHeed } from './heed-process.ts';
import { STORM } from './workspace.ts';

const ALWAYS_OPEN = Object.fromEntries(
  ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((d) => [d, [['00:00', '24:00']]]),
);

export type OwnerTeamsPolicy = { policy: Record<string, unknown>; channels: { id: string; name: string }[] };

/**
 * One team per owner of the portal (its tickets, its channel CT<k>, its escalation channel CE<k>), owners mapped
 * to Slack users U<k> (DMs without lookups), digests off (the figures are about nudges), quick SLAs, sync every
 * minute and evaluation every `evaluateSeconds`; the calm-first-day rules lifted (STORM) for volume. The owners are
 * made present around the clock in HubSpot (available, no working hours, no time off): the portal draws those at
 * random, and away-aware routing would otherwise send a share of the pings and DMs — the volume these scenarios
 * count — to nobody depending on the hour the suite runs.
 */
export function ownerTeamsPolicy(
  portal: SimPortal,
  options: { teams: number; firstResponse: string; evaluateSeconds: number },
): OwnerTeamsPolicy {
  const owners = portal.owners.filter((o) => o.email).slice(0, options.teams);
  portal.makeEveryonePresent(Date.now());
  const teams = owners.map((owner, k) => ({
    name: `team${k}`,
    channel: `CT${k}`,
    escalationChannel: `CE${k}`,
    owners: [owner.email!],
    calendar: 'always',
    quietHours: false,
    digest: { enabled: false },
    weeklyReport: { enabled: false },
  }));
  const people = Object.fromEntries(owners.map((owner, k) => [owner.email!, `U${k}OWNER`]));
  const policy = {
    calendars: { always: { timezone: 'UTC', hours: ALWAYS_OPEN } },
    teams,
    sla: [
      {
        name: 'standard',
        firstResponse: options.firstResponse,
        nextResponse: options.firstResponse,
        resolution: '1d',
        escalateAfter: 0.5,
      },
    ],
    people,
    ...STORM,
    sync: { intervalMinutes: 1 },
    schedules: { evaluateCron: `*/${options.evaluateSeconds} * * * * *` },
  };
  const channels = teams.flatMap((team) => [
    { id: team.channel, name: team.name },
    { id: team.escalationChannel, name: `${team.name}-leads` },
  ]);
  return { policy, channels };
}

export type JsonLine = Record<string, unknown> & { msg?: string; level?: number };

export function jsonLines(text: string): JsonLine[] {
  const lines: JsonLine[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      lines.push(JSON.parse(line) as JsonLine);
    } catch {
      // a line cut by the kill: not a log record
    }
  }
  return lines;
}

export type HeedServer = {
  run: HeedRun;
  /** Everything the child wrote to stdout so far (JSON log lines). */
  stdout(): string;
  /** SIGTERM, then the exit (a graceful stop: running work finishes). */
  stop(): Promise<HeedExit>;
};

/** `heed start` as a child on a free port; resolves once it logged "Heed is listening". */
export async function startHeedServer(options: { cwd: string; env: NodeJS.ProcessEnv }): Promise<HeedServer> {
  const run = runHeed(['start'], { cwd: options.cwd, env: { ...options.env, PORT: '0', LOG_LEVEL: 'info' } });
  let stdout = '';
  let stderr = '';
  run.child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  run.child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const deadline = Date.now() + 90_000;
  while (!stdout.includes('Heed is listening')) {
    if (run.child.exitCode !== null || Date.now() > deadline) {
      run.child.kill('SIGKILL');
      throw new Error(`heed start did not come up: ${stderr.slice(-2000)}${stdout.slice(-2000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    run,
    stdout: () => stdout,
    stop: async () => {
      if (run.child.exitCode === null && run.child.signalCode === null) run.child.kill('SIGTERM');
      return run.exit;
    },
  };
}

export type PaceAndOrder = {
  /** Smallest gap between two posts (top-level or in a thread) in one channel, in ms. */
  minGapMs: number;
  /** Where it happened, for the failure message. */
  minGapAt: string;
  /** Channels whose posts reached Slack in another order than their outbox rows were queued. */
  outOfOrder: string[];
  channels: number;
};

/** Checks Slack's ledger for the pace and, per channel, the order of the outbox rows (ids sort by creation). */
export async function paceAndOrder(db: Db, slack: FakeSlackServer): Promise<PaceAndOrder> {
  const rows = await db.prisma.outboxMessage.findMany({ select: { idempotencyKey: true, id: true, createdAt: true } });
  const idOf = new Map(rows.map((r) => [r.idempotencyKey, r.id]));
  const createdOf = new Map(rows.map((r) => [r.idempotencyKey, r.createdAt.toISOString().slice(11, 23)]));
  let minGapMs = Number.POSITIVE_INFINITY;
  let minGapAt = '';
  const outOfOrder: string[] = [];
  let channels = 0;
  for (const channel of slack.channels.values()) {
    const posts = channel.messages
      .filter((m) => m.metadata?.event_type === HEED_METADATA_EVENT)
      .sort((a, b) => a.postedAt - b.postedAt);
    if (posts.length === 0) continue;
    channels += 1;
    for (let i = 1; i < posts.length; i++) {
      const gap = posts[i]!.postedAt - posts[i - 1]!.postedAt;
      if (gap < minGapMs) {
        minGapMs = gap;
        minGapAt = `${channel.id}: ${String(posts[i - 1]!.metadata?.event_payload['key'])} → ${String(posts[i]!.metadata?.event_payload['key'])}`;
      }
    }
    const ids = posts.map((m) => idOf.get(String(m.metadata?.event_payload['key'])) ?? '');
    for (let i = 1; i < ids.length; i++) {
      if (ids[i]! < ids[i - 1]!) {
        const key = (m: (typeof posts)[number]) => String(m.metadata?.event_payload['key']);
        outOfOrder.push(
          `${channel.id}: ${key(posts[i - 1]!)} (queued ${createdOf.get(key(posts[i - 1]!))}) before ${key(posts[i]!)} (queued ${createdOf.get(key(posts[i]!))})`,
        );
        break;
      }
    }
  }
  return { minGapMs, minGapAt, outOfOrder, channels };
}

/** Polls until `check` is true (or throws after `boundMs`). */
export async function waitUntil(what: string, boundMs: number, check: () => Promise<boolean>): Promise<number> {
  const started = performance.now();
  for (;;) {
    if (await check().catch(() => false)) return performance.now() - started;
    if (performance.now() - started > boundMs) throw new Error(`${what}: not within ${Math.round(boundMs / 1000)} s`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}
