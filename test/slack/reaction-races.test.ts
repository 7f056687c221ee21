// Issue 11 point 7: ✅ added on one replica and removed on another at the same instant ended `handled` in 2 of
// 10 trials. Acts on one flag now apply in one transaction holding the flag, in Slack's order. 50 trials here
// (HEED_RACE_TRIALS to change); the fault suite runs 100 and puts the count in its table.
import { describe, expect, it } from 'vitest';
import { createPrng, faultSeed } from '../faults/support/prng.ts';
import { testProviders } from '../support/db.ts';
import { runReactionRaces } from './support/reaction-races.ts';

const TRIALS = Number(process.env['HEED_RACE_TRIALS'] ?? 50);

describe.each(testProviders())('reaction and button races across two replicas on %s', (provider) => {
  it(`${TRIALS} trials of add/remove delivered concurrently in random order end in Slack's order`, {
    timeout: 240_000,
  }, async () => {
    const seed = faultSeed();
    // Printed before the trials, so a run that throws midway can be replayed too.
    process.stdout.write(`reaction races (${provider}): seed ${seed} (replay with HEED_FAULTS_SEED=${seed})\n`);
    const report = await runReactionRaces(provider, TRIALS, createPrng(seed));
    process.stdout.write(
      `reaction races (${provider}, seed ${seed}): ${report.inOrder} of ${report.trials} in Slack's order, ${report.acts} acts\n`,
    );
    expect(report.failures, `seed ${seed}`).toEqual([]);
    expect(report.inOrder, `seed ${seed}`).toBe(TRIALS);
  });
});
