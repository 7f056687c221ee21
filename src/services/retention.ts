// Retention: keeps the database from growing without bound. Once a day, rows past
// `operations.retentionDays` are deleted in small batches — audit entries, finished flags of closed tickets and
// followed-up feedback, their nudges, settled summaries ("and N more", backlog), finished outbox messages, sync
// and job history, finished HubSpot write-backs, conversation threads and messages of tickets no longer open — and
// the dedupe record of incoming events, the order marks of Slack acts (SlackActionMark) and idle burst-budget locks
// after a few days. DailyStat and DigestRun are never touched: digests draw trends from them.
import type { Config } from '../config.ts';
import type { Db } from '../db/client.ts';
import { OpsRepo, type PruneTarget } from '../db/ops-repo.ts';
import type { Logger } from '../logger.ts';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/**
 * Order matters: flags first, so the nudges of flags deleted in this run go in the same run, then the outbox
 * rows of those nudges.
 */
export const PRUNE_ORDER: readonly PruneTarget[] = [
  'flags',
  'nudges',
  'rollups',
  'rollupEntries',
  'outboxMessages',
  'auditEntries',
  'syncRuns',
  'jobRuns',
  'processedEvents',
  'slackActionMarks',
  'burstLocks',
  'conversationThreads',
  'ticketMessages',
  'hubspotWrites',
];

export type PruneCounts = Record<PruneTarget, number>;

export type RetentionOptions = {
  /**
   * Rows per DELETE statement. SQLite: 500, so each statement holds the database's one write lock only briefly.
   * PostgreSQL locks rows, not the database, and each statement re-scans for candidates past the dead rows of
   * earlier batches, so bigger batches are much faster there: 5000. (Measured with 100k old of 200k flags and of
   * 200k audit entries: SQLite 8 s at 500, longest statement ~0.1 s; PostgreSQL 34 s at 500, 5 s at 5000.)
   */
  batchSize?: number;
  /**
   * How long incoming event ids are remembered for deduplication. HubSpot retries a webhook delivery for up to
   * a day, Slack within minutes; three days covers both with room. Never less than an hour.
   */
  processedEventMs?: number;
};

export type RetentionDeps = {
  db: Db;
  config: { policy: Pick<Config['policy'], 'operations'> };
  logger: Logger;
};

export async function pruneOldRecords(
  deps: RetentionDeps,
  now: Date,
  options: RetentionOptions = {},
): Promise<PruneCounts> {
  const batchSize = Math.max(1, Math.floor(options.batchSize ?? (deps.db.provider === 'sqlite' ? 500 : 5000)));
  const dedupeMs = Math.max(HOUR_MS, options.processedEventMs ?? 3 * DAY_MS);
  const retentionDays = deps.config.policy.operations.retentionDays;
  const cutoffs = {
    cutoff: new Date(now.getTime() - retentionDays * DAY_MS),
    dedupeCutoff: new Date(now.getTime() - dedupeMs),
  };
  const repo = new OpsRepo(deps.db);
  const counts = Object.fromEntries(PRUNE_ORDER.map((target) => [target, 0])) as PruneCounts;
  for (const target of PRUNE_ORDER) {
    for (;;) {
      const deleted = await repo.pruneBatch(target, cutoffs, batchSize);
      counts[target] += deleted;
      if (deleted < batchSize) break;
      // Let requests and other jobs in between batches.
      await new Promise((resolveYield) => setImmediate(resolveYield));
    }
  }
  const total = Object.values(counts).reduce((sum, n) => sum + n, 0);
  deps.logger.info(
    { ...counts, total, retentionDays, before: cutoffs.cutoff.toISOString() },
    total > 0 ? 'retention: old records deleted' : 'retention: nothing old enough to delete',
  );
  return counts;
}
