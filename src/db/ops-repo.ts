// The database side of operations: what /metrics, /readyz and `heed status` read, and the batched deletes of
// retention. Reads go through Prisma (small aggregates); deletes are raw SQL because Prisma's deleteMany has no
// LIMIT, and one unbounded DELETE of months of rows would hold SQLite's write lock for seconds.
import { FINISHED_FLAG_STATES, OPEN_FLAG_STATES } from '../domain/flag.ts';
import { type Db, sqliteWrite } from './client.ts';
import { cachedStatement } from './raw-sql.ts';
import { sqliteDate } from './sqlite-date.ts';
import { FINISHED_HUBSPOT_WRITE_STATES } from './write-back-repo.ts';

/** Outbox rows still on their way to Slack. */
const QUEUED_OUTBOX_STATES = ['pending', 'retry', 'sending'] as const;
const FINISHED_OUTBOX_STATES = ['sent', 'failed', 'superseded'] as const;

export type SyncRunFacts = {
  id: string;
  kind: string;
  status: string;
  startedAt: Date;
  finishedAt: Date | null;
  error: string | null;
  /** Records by type from the run's stats (tickets, feedback, owners, …), numbers only. */
  records: Record<string, number>;
};

export type OpenFlagCount = { team: string; state: string; count: number };

export type OutboxDepth = { depth: number; oldestCreatedAt: Date | undefined };

/** A retention target: the table and the condition its old rows meet. */
export type PruneTarget =
  | 'flags'
  | 'nudges'
  | 'rollups'
  | 'rollupEntries'
  | 'outboxMessages'
  | 'auditEntries'
  | 'syncRuns'
  | 'jobRuns'
  | 'processedEvents'
  | 'slackActionMarks'
  | 'burstLocks'
  | 'conversationThreads'
  | 'ticketMessages'
  | 'hubspotWrites';

type Param = string | number | Date;
type Placeholder = (value: Param) => string;

export class OpsRepo {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  // ------------------------------------------------------------ reads

  async lastSyncRun(): Promise<SyncRunFacts | undefined> {
    const row = await this.#db.prisma.syncRun.findFirst({ orderBy: { startedAt: 'desc' } });
    return row ? toSyncRunFacts(row) : undefined;
  }

  /** The newest sync that finished with status 'ok' (readiness and sync lag follow it). */
  async lastSuccessfulSync(): Promise<SyncRunFacts | undefined> {
    // By startedAt: it is indexed, and runs do not overlap (the scheduler's lease), so the newest started is
    // the newest finished. Probes ask every few seconds over months of history.
    const row = await this.#db.prisma.syncRun.findFirst({
      where: { status: 'ok', finishedAt: { not: null } },
      orderBy: { startedAt: 'desc' },
    });
    return row ? toSyncRunFacts(row) : undefined;
  }

  pendingFetchCount(): Promise<number> {
    return this.#db.prisma.pendingFetch.count();
  }

  /**
   * Open flags by team and state. Not by kind: a state already tells it (pending/overdue are feedback's), and
   * (team, state) is a covering index, which keeps a scrape over 80k open flags at ~30 ms instead of ~400 ms.
   */
  async openFlagCounts(): Promise<OpenFlagCount[]> {
    const rows = await this.#db.prisma.flag.groupBy({
      by: ['team', 'state'],
      where: { state: { in: [...OPEN_FLAG_STATES] } },
      _count: { _all: true },
    });
    return rows
      .map((r) => ({ team: r.team, state: r.state, count: r._count._all }))
      .sort((a, b) => a.team.localeCompare(b.team) || a.state.localeCompare(b.state));
  }

  /** Slack messages not yet sent, and when the oldest of them was queued. */
  async outboxDepth(): Promise<OutboxDepth> {
    const result = await this.#db.prisma.outboxMessage.aggregate({
      where: { state: { in: [...QUEUED_OUTBOX_STATES] } },
      _count: { _all: true },
      _min: { createdAt: true },
    });
    return { depth: result._count._all, oldestCreatedAt: result._min.createdAt ?? undefined };
  }

  /** The newest hs_lastmodifieddate Heed has copied: sync lag is now minus this. */
  async newestTicketModifiedAt(): Promise<Date | undefined> {
    // findFirst, not aggregate: Prisma's MAX does not use the index (30 ms on 200k tickets against 0.3 ms).
    const row = await this.#db.prisma.ticket.findFirst({
      orderBy: { modifiedAt: 'desc' },
      select: { modifiedAt: true },
    });
    return row?.modifiedAt;
  }

  /** When the SLA engine last ran (it keeps its position in SyncCursor "evaluate"), and its last full run. */
  async lastEvaluation(): Promise<{ lastRunAt: Date; lastFullAt: Date | undefined } | undefined> {
    const row = await this.#db.prisma.syncCursor.findUnique({ where: { name: 'evaluate' } });
    if (!row) return undefined;
    try {
      const value = JSON.parse(row.value) as { lastRunAt?: string; lastFullAt?: string };
      const lastRunAt = value.lastRunAt ? new Date(value.lastRunAt) : row.updatedAt;
      const lastFullAt = value.lastFullAt ? new Date(value.lastFullAt) : undefined;
      return { lastRunAt: Number.isNaN(lastRunAt.getTime()) ? row.updatedAt : lastRunAt, lastFullAt };
    } catch {
      // The engine rewrites an unreadable cursor on its next run; until then the row's time is the best answer.
      return { lastRunAt: row.updatedAt, lastFullAt: undefined };
    }
  }

  /**
   * The most recent daily digest recorded per team (any status). Weekly reports (day `weekly:<date>`) are left
   * out: compared as text they would always rank above every date.
   */
  async lastDigests(): Promise<{ team: string; day: string; status: string; sentAt: Date | null; late: boolean }[]> {
    const latest = await this.#db.prisma.digestRun.groupBy({
      by: ['team'],
      where: { NOT: { day: { startsWith: 'weekly:' } } },
      _max: { day: true },
    });
    if (latest.length === 0) return [];
    const rows = await this.#db.prisma.digestRun.findMany({
      where: { OR: latest.map((r) => ({ team: r.team, day: r._max.day ?? '' })) },
      orderBy: { team: 'asc' },
    });
    return rows.map((r) => ({ team: r.team, day: r.day, status: r.status, sentAt: r.sentAt, late: r.late }));
  }

  // ------------------------------------------------------------ retention

  /**
   * Deletes at most `limit` rows of `target` that are past their keeping time, and returns how many it deleted.
   * `cutoff` applies to everything but ProcessedEvent and SlackActionMark, which use `dedupeCutoff` (a much shorter window).
   */
  async pruneBatch(target: PruneTarget, cutoffs: { cutoff: Date; dedupeCutoff: Date }, limit: number): Promise<number> {
    const { table, where } = PRUNE_SQL[target];
    const db = this.#db;
    if (db.provider === 'sqlite') {
      const { sqlite } = db;
      const values: Param[] = [];
      const p: Placeholder = (value) => {
        values.push(value instanceof Date ? sqliteDate(value) : value);
        return '?';
      };
      const condition = where(p, cutoffs);
      // rowid: every Prisma table is an ordinary rowid table, whatever its primary key.
      const sql = `DELETE FROM "${table}" WHERE rowid IN (SELECT rowid FROM "${table}" WHERE ${condition} LIMIT ${p(limit)})`;
      return sqliteWrite(sqlite, () => Number(cachedStatement(sqlite, sql).run(...values).changes));
    }
    const values: Param[] = [];
    const p: Placeholder = (value) => {
      values.push(value instanceof Date ? value.toISOString() : value);
      return value instanceof Date ? `$${values.length}::timestamp(3)` : `$${values.length}`;
    };
    const condition = where(p, cutoffs);
    // ctid = ANY(ARRAY(…)) plans as a TID scan: each batch touches only the rows it deletes.
    const sql = `DELETE FROM "${table}" WHERE ctid = ANY(ARRAY(SELECT ctid FROM "${table}" WHERE ${condition} LIMIT ${p(limit)}))`;
    const result = await db.pg.query(sql, values);
    return result.rowCount ?? 0;
  }
}

const list = (p: Placeholder, values: readonly string[]) => values.map((v) => p(v)).join(', ');

/**
 * What each retention target deletes. Conditions are written once for both providers: `p()` binds a value
 * (dates as each provider stores them), and column names are quoted as Prisma created them.
 */
const PRUNE_SQL: Record<
  PruneTarget,
  { table: string; where: (p: Placeholder, c: { cutoff: Date; dedupeCutoff: Date }) => string }
> = {
  // Finished flags of tickets no longer open (closed, archived, or gone), and followed-up feedback. A finished
  // flag of a still-open ticket stays: its ticket may be looked at again, and the rows are few.
  flags: {
    table: 'Flag',
    where: (p, { cutoff }) =>
      `"state" IN (${list(p, FINISHED_FLAG_STATES)}) AND "updatedAt" < ${p(cutoff)} AND ("kind" = ${p('feedback')} OR NOT EXISTS (
        SELECT 1 FROM "Ticket" t WHERE t."id" = "Flag"."ticketId" AND t."isClosed" = false AND t."archived" = false))`,
  },
  // A nudge goes once its flag is over (or already pruned) and nothing is still queued for it.
  nudges: {
    table: 'Nudge',
    where: (p, { cutoff }) =>
      `"updatedAt" < ${p(cutoff)}
       AND NOT EXISTS (SELECT 1 FROM "Flag" f WHERE f."key" = "Nudge"."flagKey" AND f."state" NOT IN (${list(p, FINISHED_FLAG_STATES)}))
       AND NOT EXISTS (SELECT 1 FROM "OutboxMessage" o WHERE o."nudgeId" = "Nudge"."id" AND o."state" IN (${list(p, QUEUED_OUTBOX_STATES)}))`,
  },
  // A backlog summary or "and N more" message nothing in can change any more, once old; then its entries.
  rollups: {
    table: 'Rollup',
    where: (p, { cutoff }) => `"settled" = true AND "updatedAt" < ${p(cutoff)}`,
  },
  rollupEntries: {
    table: 'RollupEntry',
    where: () => `NOT EXISTS (SELECT 1 FROM "Rollup" r WHERE r."id" = "RollupEntry"."rollupId")`,
  },
  // Sent, failed and superseded messages. Those of a nudge that still exists stay with it: their idempotency
  // keys are what stops the reconciler from posting the same reply or escalation again; so does the message of a
  // summary still kept up to date.
  outboxMessages: {
    table: 'OutboxMessage',
    where: (p, { cutoff }) =>
      `"state" IN (${list(p, FINISHED_OUTBOX_STATES)}) AND COALESCE("sentAt", "createdAt") < ${p(cutoff)}
       AND ("nudgeId" IS NULL OR NOT EXISTS (SELECT 1 FROM "Nudge" n WHERE n."id" = "OutboxMessage"."nudgeId"))
       AND NOT EXISTS (SELECT 1 FROM "Rollup" r WHERE r."postId" = "OutboxMessage"."id")`,
  },
  auditEntries: { table: 'AuditEntry', where: (p, { cutoff }) => `"at" < ${p(cutoff)}` },
  // The newest successful run is kept whatever its age: readiness and `heed status` report it.
  syncRuns: {
    table: 'SyncRun',
    where: (p, { cutoff }) =>
      `"startedAt" < ${p(cutoff)} AND "startedAt" < COALESCE(
        (SELECT MAX(s."startedAt") FROM "SyncRun" s WHERE s."status" = ${p('ok')}), ${p(cutoff)})`,
  },
  // Running rows are a live lease (or a dead replica's run the scheduler takes over): never ours to delete.
  jobRuns: {
    table: 'JobRun',
    where: (p, { cutoff }) => `"status" <> ${p('running')} AND "startedAt" < ${p(cutoff)}`,
  },
  processedEvents: { table: 'ProcessedEvent', where: (p, { dedupeCutoff }) => `"receivedAt" < ${p(dedupeCutoff)}` },
  // The last act applied per flag and kind only has to outlive Slack's redeliveries, like the dedupe record.
  slackActionMarks: { table: 'SlackActionMark', where: (p, { dedupeCutoff }) => `"at" < ${p(dedupeCutoff)}` },
  // A burst budget's lock row is only a row to take turns on: one not written for days is no longer needed.
  burstLocks: { table: 'BurstLock', where: (p, { dedupeCutoff }) => `"touchedAt" < ${p(dedupeCutoff)}` },
  // Customers' words, like the flags: kept while their ticket is open (its clocks read them), gone once it is
  // closed, deleted or gone and quiet for the retention period. A thread goes first — when the ticket comes back
  // (a new message), its conversation is read again from the start, not from where the deleted messages ended.
  conversationThreads: {
    table: 'ConversationThread',
    where: (p, { cutoff }) =>
      `COALESCE("latestMessageAt", "syncedAt") < ${p(cutoff)} AND NOT EXISTS (
        SELECT 1 FROM "Ticket" t WHERE t."id" = "ConversationThread"."ticketId" AND t."isClosed" = false AND t."archived" = false)`,
  },
  // Then the messages of threads no longer kept (or of no thread), old, of tickets no longer open.
  ticketMessages: {
    table: 'TicketMessage',
    where: (p, { cutoff }) =>
      `"createdAt" < ${p(cutoff)}
       AND ("threadId" IS NULL OR NOT EXISTS (SELECT 1 FROM "ConversationThread" ct WHERE ct."id" = "TicketMessage"."threadId"))
       AND NOT EXISTS (
        SELECT 1 FROM "Ticket" t WHERE t."id" = "TicketMessage"."ticketId" AND t."isClosed" = false AND t."archived" = false)`,
  },
  // Claims and ✅ written back to HubSpot, once finished and old; a queued or running write stays however old
  // (the runner decides what to do with it).
  hubspotWrites: {
    table: 'HubspotWrite',
    where: (p, { cutoff }) => `"state" IN (${list(p, FINISHED_HUBSPOT_WRITE_STATES)}) AND "updatedAt" < ${p(cutoff)}`,
  },
};

function toSyncRunFacts(row: {
  id: string;
  kind: string;
  status: string;
  startedAt: Date;
  finishedAt: Date | null;
  error: string | null;
  stats: string;
}): SyncRunFacts {
  const records: Record<string, number> = {};
  try {
    const stats = JSON.parse(row.stats) as { records?: Record<string, unknown> };
    for (const [name, value] of Object.entries(stats.records ?? {})) {
      if (typeof value === 'number') records[name] = value;
    }
  } catch {
    // Stats are informative only; a run without readable figures still has a time and an outcome.
  }
  return {
    id: row.id,
    kind: row.kind,
    status: row.status,
    startedAt: row.startedAt,
    finishedAt: row.finishedAt,
    error: row.error,
    records,
  };
}
