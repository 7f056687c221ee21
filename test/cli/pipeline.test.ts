// The commands someone runs by hand, as child processes against the HubSpot simulator and a fake Slack:
// `heed sync` → `heed check` → `heed nudge` → `heed digest --dry-run` → `heed digest` → `heed status`.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../../src/hubspot/simulator/server.ts';
import { FakeSlackServer } from '../../src/slack/fake-slack-server.ts';
import { testProviders } from '../support/db.ts';

const HEED = join(import.meta.dirname, '..', '..', 'bin', 'heed.js');
const TOKEN = 'pat-na1-11111111-2222-3333-4444-555555555555';
const ALWAYS = Object.fromEntries(
  ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((d) => [d, [['00:00', '24:00']]]),
);

type Result = { code: number | null; stdout: string; stderr: string };

// SQLite only: the PostgreSQL pass of CI adds nothing here (the commands' database code is tested on both elsewhere).
describe.runIf(testProviders().includes('sqlite'))('heed sync, check, nudge, digest and status', () => {
  let simulator: Simulator;
  let slack: FakeSlackServer;
  let env: NodeJS.ProcessEnv;
  let cwd: string;

  beforeAll(async () => {
    simulator = await startSimulator({
      accessToken: TOKEN,
      portalOptions: { seed: 11, tickets: 12, days: 1, now: Date.now() },
    });
    slack = await new FakeSlackServer().start();
    slack.addChannel({ id: 'CSUPPORT', name: 'support' });
    slack.addChannel({ id: 'CLEADS', name: 'leads' });
    cwd = mkdtempSync(join(tmpdir(), 'heed-pipeline-'));
    writeFileSync(
      join(cwd, 'heed.config.json'),
      JSON.stringify({
        calendars: { always: { timezone: 'UTC', hours: ALWAYS } },
        teams: [{ name: 'support', channel: 'CSUPPORT', escalationChannel: 'CLEADS', calendar: 'always' }],
        sla: [{ name: 'standard', firstResponse: '1h', nextResponse: '2h', resolution: '1d' }],
      }),
    );
    env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      LOG_LEVEL: 'warn',
      DATABASE_URL: `file:${join(cwd, 'heed.db')}`,
      HUBSPOT_ACCESS_TOKEN: TOKEN,
      HUBSPOT_API_URL: simulator.url,
      SLACK_BOT_TOKEN: 'xoxb-pipeline-test',
      SLACK_SIGNING_SECRET: 'pipeline-signing-secret',
      SLACK_API_URL: slack.apiUrl,
    };
  });
  afterAll(async () => {
    await simulator?.close();
    await slack?.stop();
  });

  const heed = (...args: string[]) =>
    new Promise<Result>((resolveRun) => {
      const child = spawn(process.execPath, [HEED, ...args], { cwd, env });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk) => (stdout += chunk));
      child.stderr.on('data', (chunk) => (stderr += chunk));
      child.on('close', (code) => resolveRun({ code, stdout, stderr }));
    });

  it('runs the whole pipeline from the command line', { timeout: 120_000 }, async () => {
    const sync = await heed('sync');
    expect(sync.code, sync.stderr).toBe(0);
    expect(sync.stdout).toMatch(/tickets/i);

    const check = await heed('check', '--json');
    expect(check.code, check.stderr).toBe(0);
    const clocks = JSON.parse(check.stdout) as {
      ticketId: string;
      clock: string;
      state: string;
      dueAt: string | null;
    }[];
    expect(clocks.length).toBeGreaterThan(0);
    expect(clocks.some((c) => c.state === 'breached')).toBe(true);

    const dry = await heed('nudge', '--dry-run');
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/Dry run: nothing was written or posted/);
    expect(slack.messagesIn('CSUPPORT')).toHaveLength(0);

    const nudge = await heed('nudge');
    expect(nudge.code, nudge.stderr).toBe(0);
    // A first look at a synced portal: what was already late goes into one summary, not a nudge each.
    expect(nudge.stdout).toMatch(/Evaluated \d+ ticket\(s\): .*, \d+ moved team\./);
    expect(nudge.stdout).toMatch(/Nudges: \d+ posted, .*, 0 moved to another team's channel, /);
    const calm =
      /Calm: (\d+) already-late ticket\(s\) listed in their team's backlog summary, (\d+) over a burst budget listed in an "and N more" message; (\d+) summary message\(s\) queued\./.exec(
        nudge.stdout,
      );
    expect(Number(calm?.[1])).toBeGreaterThan(0);
    expect(Number(calm?.[3])).toBeGreaterThanOrEqual(1);
    const inChannel = slack.messagesIn('CSUPPORT').length;
    expect(inChannel).toBeGreaterThan(0);
    expect(
      slack.messagesIn('CSUPPORT').filter((m) => m.text.includes('already late when Heed started watching')),
    ).toHaveLength(1);

    // A second pass changes nothing in Slack: no nudge twice for the same clock.
    const again = await heed('nudge');
    expect(again.stdout).toMatch(/Nudges: 0 posted/);
    expect(again.stdout).not.toMatch(/summary message\(s\) queued/);
    expect(slack.messagesIn('CSUPPORT').length).toBe(inChannel);

    const preview = await heed('digest', '--team', 'support', '--dry-run');
    expect(preview.code, preview.stderr).toBe(0);
    expect(preview.stdout.length).toBeGreaterThan(100);

    const status = await heed('status');
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/support/);
  });
});
