// Reaction add/remove races across replicas (issue 11 point 7): two Heed Slack apps on one database, every
// trial's acts delivered at once in a random order to random replicas; each trial must end in Slack's order.
// On SQLite (one process, one connection: the only way SQLite runs) and PostgreSQL when HEED_TEST_PG_URL is set.
import { describe, expect, it } from 'vitest';
import { runReactionRaces } from '../slack/support/reaction-races.ts';
import { testProviders } from '../support/db.ts';
import { createPrng, faultSeed } from './support/prng.ts';
import { scenarioTally } from './support/results.ts';

const TRIALS = Number(process.env['HEED_FAULTS_RACE_TRIALS'] ?? 100);
const seed = faultSeed();

describe.each(testProviders())('reaction add/remove races across replicas on %s', (provider) => {
  it(`${TRIALS} trials, each in Slack's order`, { timeout: 600_000 }, async () => {
    const tally = scenarioTally(`reaction add/remove races across replicas (${provider}, 2 replicas)`, `seed ${seed}`);
    // Printed before the trials, so a run that throws midway can be replayed too.
    process.stdout.write(`reaction races (${provider}): seed ${seed} (replay with HEED_FAULTS_SEED=${seed})\n`);
    try {
      const report = await runReactionRaces(provider, TRIALS, createPrng(seed));
      for (let i = 0; i < report.inOrder; i++) tally.trial({ lost: 0, duplicated: 0, ok: true });
      for (const failure of report.failures) {
        process.stdout.write(`reaction races (${provider}): out of order ${JSON.stringify(failure)}\n`);
        tally.trial({ lost: 0, duplicated: 0, ok: false });
      }
      tally.note(`${report.inOrder} of ${report.trials} in Slack's order; ${report.acts} acts`);
      expect(report.inOrder, `seed ${seed}`).toBe(TRIALS);
    } finally {
      tally.write();
    }
  });
});
