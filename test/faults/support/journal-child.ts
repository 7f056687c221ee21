// Reads the webhooks journal until it is caught up, in its own process, wired exactly as `heed start` wires it
// (createHubspotSync from the environment), so test/faults/journal-kill.test.ts can SIGKILL it at any moment.
// Env: the usual DATABASE_URL, HEED_CONFIG, HUBSPOT_ACCESS_TOKEN, HUBSPOT_CLIENT_ID, HUBSPOT_CLIENT_SECRET,
// HUBSPOT_API_URL; JOURNAL_BATCH: entries per read (small, so a run commits its position many times).
import { loadConfig } from '../../../src/config.ts';
import { openDatabase } from '../../../src/db/client.ts';
import { silentLogger } from '../../../src/logger.ts';
import { createHubspotSync } from '../../../src/services/sync-setup.ts';

const config = loadConfig({ env: process.env });
const db = await openDatabase(config.env.DATABASE_URL, { migrate: true });
const hubspot = createHubspotSync({
  config,
  accessToken: config.env.HUBSPOT_ACCESS_TOKEN!,
  db,
  logger: silentLogger(),
  journalOptions: { batchSize: Number(process.env['JOURNAL_BATCH'] ?? 100), downloads: 2 },
});
if (!hubspot.journal) throw new Error('journal-child: HUBSPOT_CLIENT_ID and HUBSPOT_CLIENT_SECRET must be set');
process.stdout.write('started\n');
const result = await hubspot.journal.readOnce();
process.stdout.write(`${JSON.stringify(result)}\n`);
await db.close();
