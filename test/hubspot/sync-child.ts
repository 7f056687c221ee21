// Runs one sync pass in its own process, so a test can kill it with SIGKILL at any moment (test/services/sync-resume).
// Env: SIM_URL, DB_URL, PORTAL_NOW (epoch ms the clock starts at).
import { scaledClock } from '../../src/clock.ts';
import { openDatabase } from '../../src/db/client.ts';
import { hubspotRepos } from '../../src/db/hubspot-repos.ts';
import { createHubspotClient, HubspotApi } from '../../src/hubspot/client.ts';
import { silentLogger } from '../../src/logger.ts';
import { SyncService } from '../../src/services/sync.ts';

const clock = scaledClock(new Date(Number(process.env['PORTAL_NOW'])), 1);
const db = await openDatabase(process.env['DB_URL']!, { migrate: true });
const api = new HubspotApi({
  client: createHubspotClient({ accessToken: 'pat-na1-test-token-0000', baseUrl: process.env['SIM_URL']! }),
  requestsPer10s: 1000,
  searchPerSecond: 5,
  clock,
});
const service = new SyncService({
  api,
  repos: hubspotRepos(db),
  clock,
  logger: silentLogger(),
  options: { searchLagMs: 0 },
});
process.stdout.write('started\n');
await service.run();
process.stdout.write('finished\n');
await db.close();
