// Test harness: a simulator, a fresh migrated database and a SyncService wired together as main.ts would.
import { type Clock, type ManualClock, manualClock } from '../../src/clock.ts';
import { type HubspotRepos, hubspotRepos } from '../../src/db/hubspot-repos.ts';
import { createHubspotClient, HubspotApi, type HubspotApiOptions } from '../../src/hubspot/client.ts';
import { ClientCredentialsToken } from '../../src/hubspot/journal.ts';
import { type PortalOptions, SimPortal } from '../../src/hubspot/simulator/portal.ts';
import { type Simulator, type SimulatorOptions, startSimulator } from '../../src/hubspot/simulator/server.ts';
import { createLogger, type Logger, silentLogger } from '../../src/logger.ts';
import { type SyncOptions, SyncService } from '../../src/services/sync.ts';
import type { CustomerProperties } from '../../src/services/sync-customers.ts';
import { JournalReader, type JournalReaderDeps } from '../../src/services/sync-journal.ts';
import { type OpenTestDb, openTestDb, type TestProvider } from '../support/db.ts';

/** The portal's "now" in every test: fixed, so generated data and expectations are stable. */
export const PORTAL_NOW = Date.parse('2026-11-20T12:00:00.000Z');
export const TOKEN = 'pat-na1-test-token-0000';
/** The project app's client credentials in tests (the journal's token is issued for them). */
export const APP = {
  clientId: 'heed-test-client-id-0001',
  clientSecret: 'heed-test-client-secret-0001',
  appId: 4242001,
};

/**
 * A clock for the sync side: real time for the network, but `now()` starts at PORTAL_NOW so windows line up
 * with the generated portal; sleeps are shortened by `speedup` (rate-limit waits in tests take milliseconds).
 */
export function testClock(speedup = 1000): Clock & { advance(ms: number): void } {
  let offset = PORTAL_NOW - Date.now();
  return {
    now: () => new Date(Date.now() + offset),
    sleep: async (ms) => {
      // Sleeping advances the clock by the full amount while taking only a fraction of it in real time.
      const real = Math.ceil(ms / speedup);
      await new Promise((r) => setTimeout(r, real));
      offset += ms - real;
    },
    every: (ms, tick) => {
      const timer = setInterval(() => void tick(), Math.max(1, Math.ceil(ms / speedup)));
      return () => clearInterval(timer);
    },
    advance: (ms) => {
      offset += ms;
    },
  };
}

/** Time moves only when someone sleeps: waits are measured exactly, in no real time. */
export function fakeClock(start = 0): ManualClock {
  return manualClock(new Date(start));
}

/** A logger whose JSON lines are kept for assertions. */
export function capturingLogger(): { logger: Logger; lines: () => Record<string, unknown>[] } {
  const lines: string[] = [];
  const logger = createLogger({
    level: 'debug',
    destination: { write: (line: string) => lines.push(line) } as never,
  });
  return { logger, lines: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

export type Harness = {
  sim: Simulator;
  db: OpenTestDb;
  repos: HubspotRepos;
  api: HubspotApi;
  service: SyncService;
  clock: ReturnType<typeof testClock>;
  /** A webhooks journal reader wired as sync-setup.ts wires it (the simulator has the app's credentials). */
  journal(options?: Partial<Pick<JournalReaderDeps, 'catchUp' | 'options' | 'logger'>>): JournalReader;
  close(): Promise<void>;
};

export async function startHarness(
  provider: TestProvider,
  options: {
    portal?: Partial<PortalOptions>;
    sim?: Partial<SimulatorOptions>;
    api?: Partial<HubspotApiOptions>;
    sync?: SyncOptions;
    logger?: Logger;
    /** The company and contact properties SLA rules name (sla-policy.ts customerProperties). */
    customerProperties?: CustomerProperties;
  } = {},
): Promise<Harness> {
  const clock = testClock();
  const portal = new SimPortal({ now: PORTAL_NOW, tickets: 300, seed: 11, ...options.portal });
  const sim = await startSimulator({
    portal,
    accessToken: TOKEN,
    app: APP,
    clock: () => clock.now().getTime(),
    ...options.sim,
  });
  const db = await openTestDb(provider);
  const repos = hubspotRepos(db);
  const api = new HubspotApi({
    client: createHubspotClient({ accessToken: TOKEN, baseUrl: sim.url }),
    requestsPer10s: 1000,
    searchPerSecond: 5,
    clock,
    backoffMs: 10,
    timeoutMs: 2000,
    ...options.api,
  });
  const service = new SyncService({
    api,
    repos,
    clock,
    logger: options.logger ?? silentLogger(),
    options: { searchLagMs: 0, ...options.sync },
    ...(options.customerProperties ? { customerProperties: options.customerProperties } : {}),
  });
  return {
    sim,
    db,
    repos,
    api,
    service,
    clock,
    journal: (journalOptions = {}) => {
      const oauth = new HubspotApi({
        client: createHubspotClient({ accessToken: 'unused', baseUrl: sim.url }),
        requestsPer10s: 100,
        searchPerSecond: 1,
        clock,
        backoffMs: 10,
      });
      const token = new ClientCredentialsToken({
        oauth,
        clientId: APP.clientId,
        clientSecret: APP.clientSecret,
        clock,
      });
      const journalApi = new HubspotApi({
        client: createHubspotClient({ accessToken: token, baseUrl: sim.url }),
        requestsPer10s: 1000,
        searchPerSecond: 1,
        clock,
        backoffMs: 10,
        timeoutMs: 2000,
      });
      return new JournalReader({
        api: journalApi,
        repos,
        sync: service,
        catchUp: journalOptions.catchUp ?? (() => service.run()),
        clock,
        logger: journalOptions.logger ?? options.logger ?? silentLogger(),
        ...(journalOptions.options ? { options: journalOptions.options } : {}),
      });
    },
    close: async () => {
      await sim.close();
      await db.dispose();
    },
  };
}
