// `heed sync` end to end against the simulator (the command body; src/cli/main.ts registers it).
// Lives with the sync tests because the CLI frame's test folder belongs to the frame.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EXIT_DAILY_LIMIT, runSyncCommand } from '../../src/cli/sync.ts';
import { loadConfig } from '../../src/config.ts';
import { SimPortal } from '../../src/hubspot/simulator/portal.ts';
import { type Simulator, startSimulator } from '../../src/hubspot/simulator/server.ts';
import { capturingLogger, PORTAL_NOW, TOKEN, testClock } from '../hubspot/harness.ts';

describe('heed sync', () => {
  let sim: Simulator;
  let dir: string;
  afterEach(async () => {
    await sim?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function setup() {
    const clock = testClock();
    sim = await startSimulator({
      portal: new SimPortal({ now: PORTAL_NOW, tickets: 350, seed: 2 }),
      accessToken: TOKEN,
      clock: () => clock.now().getTime(),
    });
    dir = mkdtempSync(join(tmpdir(), 'heed-sync-cli-'));
    const config = loadConfig({
      env: {
        HUBSPOT_ACCESS_TOKEN: TOKEN,
        HUBSPOT_API_URL: sim.url,
        DATABASE_URL: `file:${join(dir, 'heed.db')}`,
        HEED_CONFIG: join(dir, 'none.json'),
      },
    });
    const out: string[] = [];
    const err: string[] = [];
    const log = capturingLogger();
    const drawn: string[] = [];
    return {
      clock,
      config,
      out,
      err,
      log,
      drawn,
      io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t) },
    };
  }

  it('prints a summary with records by type, API calls and rate; logs progress lines off a terminal', async () => {
    const s = await setup();
    const code = await runSyncCommand(
      { full: false },
      {
        config: s.config,
        io: s.io,
        logger: s.log.logger,
        clock: s.clock,
        progress: { isTTY: false, write: (t) => s.drawn.push(t) },
      },
    );
    expect(code).toBe(0);
    const summary = s.out.join('\n');
    expect(summary).toMatch(/Sync \(backfill\) finished in \d+\.\d s\./);
    expect(summary).toMatch(/tickets\s+3\d\d\b/);
    expect(summary).toMatch(/API calls\s+\d+/);
    expect(summary).toMatch(/conversations \d+ threads read, \d+ messages/);
    expect(summary).toContain('GET /crm/objects/2026-09/tickets');
    expect(s.drawn).toEqual([]);
    expect(s.log.lines().some((l) => l['msg'] === 'Sync progress')).toBe(true);
  });

  it('draws a progress bar on a terminal', async () => {
    const s = await setup();
    await runSyncCommand(
      { full: true },
      {
        config: s.config,
        io: s.io,
        logger: s.log.logger,
        clock: s.clock,
        progress: { isTTY: true, write: (t) => s.drawn.push(t) },
      },
    );
    expect(s.drawn.some((t) => t.startsWith('\rtickets') && t.includes('['))).toBe(true);
    expect(s.drawn.at(-1)).toBe('\n');
  });

  it('stops on the daily limit with the reset time and a distinct exit status', async () => {
    const s = await setup();
    sim.injectFault({ match: 'GET /crm/objects/2026-09/tickets', kind: 'rate-limit', policy: 'DAILY' });
    const code = await runSyncCommand(
      { full: false },
      { config: s.config, io: s.io, logger: s.log.logger, clock: s.clock, progress: { isTTY: false, write: () => {} } },
    );
    expect(code).toBe(EXIT_DAILY_LIMIT);
    expect(s.err.join('\n')).toContain('resets at 2026-11-21T05:00:00.000Z');
  });

  it('needs HUBSPOT_ACCESS_TOKEN and says how to get one', async () => {
    const s = await setup();
    const config = loadConfig({
      env: { DATABASE_URL: `file:${join(dir, 'x.db')}`, HEED_CONFIG: join(dir, 'none.json') },
    });
    await expect(runSyncCommand({ full: false }, { config, io: s.io, logger: s.log.logger })).rejects.toMatchObject({
      code: 'ENV_MISSING',
    });
  });
});
