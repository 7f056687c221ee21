// Each scenario's tally (trials, lost, duplicated) goes to a JSON file in the folder the global setup made;
// the global teardown reads them all and prints one table (test files run in separate worker processes).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inject } from 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    faultsResultsDir: string;
  }
}

export type ScenarioResult = {
  scenario: string;
  trials: number;
  lost: number;
  duplicated: number;
  /** Trials whose assertion failed (a loss, a duplicate or anything else the scenario checks). */
  failures: number;
  /** Seed, figures worth seeing in the table. */
  note?: string;
};

/** A tally a scenario fills trial by trial and writes once at the end (also when a trial threw). */
export function scenarioTally(scenario: string, note?: string) {
  const result: ScenarioResult = {
    scenario,
    trials: 0,
    lost: 0,
    duplicated: 0,
    failures: 0,
    ...(note ? { note } : {}),
  };
  return {
    result,
    trial(outcome: { lost: number; duplicated: number; ok?: boolean }): void {
      result.trials += 1;
      result.lost += outcome.lost;
      result.duplicated += outcome.duplicated;
      if (outcome.ok === false || outcome.lost > 0 || outcome.duplicated > 0) result.failures += 1;
    },
    /** A trial that threw before it could be counted. */
    failed(): void {
      result.trials += 1;
      result.failures += 1;
    },
    note(text: string): void {
      result.note = result.note ? `${result.note}; ${text}` : text;
    },
    write(): void {
      const file = `${scenario.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}.json`;
      writeFileSync(join(inject('faultsResultsDir'), file), JSON.stringify(result));
    },
  };
}

export type ScenarioTally = ReturnType<typeof scenarioTally>;
