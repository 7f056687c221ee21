// The fault suite's closing table: scenario | trials | lost | duplicated | result (plain text, fixed columns).
import type { ScenarioResult } from './results.ts';

export function formatSummaryTable(results: readonly ScenarioResult[]): string {
  const header = ['scenario', 'trials', 'lost', 'duplicated', 'result', 'notes'];
  const rows = results.map((r) => [
    r.scenario,
    String(r.trials),
    String(r.lost),
    String(r.duplicated),
    r.failures === 0 && r.trials > 0 ? 'PASS' : `FAIL (${r.failures})`,
    r.note ?? '',
  ]);
  if (rows.length === 0) return 'fault scenarios: none recorded';
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((row) => row[c]!.length)));
  const line = (cells: string[]) => `| ${cells.map((cell, c) => cell.padEnd(widths[c]!)).join(' | ')} |`;
  const rule = `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`;
  return ['Fault scenarios', line(header), rule, ...rows.map(line)].join('\n');
}
