// Global setup of the fault suite: a folder for the scenarios' results, and the summary table at the end.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import type { ScenarioResult } from './results.ts';
import { formatSummaryTable } from './summary-table.ts';

export default function setup(project: TestProject): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'heed-faults-results-'));
  project.provide('faultsResultsDir', dir);
  return () => {
    const results = readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .sort()
      .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as ScenarioResult);
    process.stdout.write(`\n${formatSummaryTable(results)}\n`);
    rmSync(dir, { recursive: true, force: true });
  };
}
