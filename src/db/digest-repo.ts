// Everything the digest reads and writes in the database: the rows a digest is computed from, the daily
// aggregates kept for trends (DailyStat), and the record of each digest sent (DigestRun, once per team and
// day). Written once against the Prisma API so it runs unchanged on SQLite and PostgreSQL.
import type {
  ClockState,
  DigestRun,
  FeedbackSubmission,
  Flag,
  OutboxMessage,
  Owner,
  PrismaClient,
  Ticket,
} from '../generated/sqlite/client.ts';
import type { Db, DbDriver } from './client.ts';
import { epochMs, rawRows } from './raw-sql.ts';

export type { ClockState, DigestRun, FeedbackSubmission, Flag, OutboxMessage, Owner, Ticket };

/** Ids per `IN (…)` list: well under SQLite's and PostgreSQL's bound-parameter limits. */
const CHUNK = 5000;

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK));
  return out;
}

const TICKET_COLUMNS = {
  id: true,
  subject: true,
  pipelineId: true,
  stageId: true,
  priority: true,
  ownerId: true,
  hubspotTeamId: true,
  category: true,
  source: true,
  createdAt: true,
  closedAt: true,
  isClosed: true,
  firstAgentReplyAt: true,
  lastCustomerMessageAt: true,
  lastAgentMessageAt: true,
  stageEnteredAt: true,
  contactName: true,
  contactEmail: true,
  companyName: true,
} as const satisfies Partial<Record<keyof Ticket, true>>;
export type DigestTicketRow = Pick<Ticket, keyof typeof TICKET_COLUMNS>;

const CLOCK_COLUMNS = {
  ticketId: true,
  clock: true,
  cycle: true,
  team: true,
  state: true,
  dueAt: true,
  completedAt: true,
  overdueMinutes: true,
  evaluatedAt: true,
} as const satisfies Partial<Record<keyof ClockState, true>>;
export type DigestClockRow = Pick<ClockState, keyof typeof CLOCK_COLUMNS>;

const str = (value: unknown): string | null => (value === null || value === undefined ? null : String(value));
const date = (value: unknown): Date | null => (value === null || value === undefined ? null : new Date(Number(value)));

/**
 * pending (claimed, parts not queued yet) → queued (parts in the outbox) → sent (Slack has every part) or failed
 * (Slack refused one for good). `withheld`: Heed had not synced HubSpot since it started when the digest was
 * due, so a notice saying so went out instead (see slack/digest-jobs.ts); `/digest post` replaces it.
 */
export type DigestRunStatus = 'pending' | 'queued' | 'sent' | 'failed' | 'withheld';

export class DigestRepo {
  readonly #prisma: PrismaClient;
  readonly #db: DbDriver;

  constructor(db: Pick<Db, 'prisma'> & DbDriver) {
    this.#prisma = db.prisma;
    this.#db = db;
  }

  /**
   * A DateTime column as epoch milliseconds. The two big reads below use raw SQL: through Prisma, mapping
   * 100k rows (and turning their ISO strings into Dates) took 7 s; as numbers in arrays it takes a fraction.
   */
  #ms(column: string): string {
    return epochMs(this.#db, `"${column}"`);
  }

  /** Rows as arrays in SELECT order; `?` placeholders, Date parameters in each provider's stored form. */
  #rows(sql: string, params: readonly (string | Date)[]): Promise<unknown[][]> {
    return rawRows(this.#db, sql, params);
  }

  /**
   * Tickets a digest may mention: every open one, and those created, answered or closed since `since`.
   * Archived (deleted in HubSpot) tickets are gone from Heed's view.
   */
  async tickets(since: Date, now: Date): Promise<DigestTicketRow[]> {
    const rows = await this.#rows(
      `SELECT "id", "subject", "pipelineId", "stageId", "priority", "ownerId", "hubspotTeamId", "category", "source",
              ${this.#ms('createdAt')}, ${this.#ms('closedAt')}, "isClosed", ${this.#ms('firstAgentReplyAt')},
              ${this.#ms('lastCustomerMessageAt')}, ${this.#ms('lastAgentMessageAt')},
              "contactName", "contactEmail", "companyName", ${this.#ms('stageEnteredAt')}
         FROM "Ticket"
        WHERE "archived" = false AND "createdAt" < ?
          AND ("isClosed" = false OR "createdAt" >= ? OR "closedAt" >= ? OR "firstAgentReplyAt" >= ?)
        ORDER BY "id"`,
      [now, since, since, since],
    );
    return rows.map((r) => ({
      id: String(r[0]),
      subject: str(r[1]),
      pipelineId: str(r[2]),
      stageId: str(r[3]),
      priority: str(r[4]),
      ownerId: str(r[5]),
      hubspotTeamId: str(r[6]),
      category: str(r[7]),
      source: str(r[8]),
      createdAt: date(r[9])!,
      closedAt: date(r[10]),
      isClosed: r[11] === true || r[11] === 1,
      firstAgentReplyAt: date(r[12]),
      lastCustomerMessageAt: date(r[13]),
      lastAgentMessageAt: date(r[14]),
      contactName: str(r[15]),
      contactEmail: str(r[16]),
      companyName: str(r[17]),
      stageEnteredAt: date(r[18]),
    }));
  }

  async ticketsByIds(ids: readonly string[]): Promise<DigestTicketRow[]> {
    const out: DigestTicketRow[] = [];
    for (const list of chunks(ids)) {
      out.push(...(await this.#prisma.ticket.findMany({ where: { id: { in: list } }, select: TICKET_COLUMNS })));
    }
    return out;
  }

  /**
   * Clock states a digest may need: open clocks, and those decided since `since`. Read by time rather than by
   * ticket id, so a portal with 100k open tickets does not turn into 20 `IN (…)` queries.
   */
  async clockStates(since: Date): Promise<DigestClockRow[]> {
    const rows = await this.#rows(
      `SELECT "ticketId", "clock", "cycle", "team", "state", ${this.#ms('dueAt')}, ${this.#ms('completedAt')},
              "overdueMinutes", ${this.#ms('evaluatedAt')}
         FROM "ClockState"
        WHERE "completedAt" IS NULL OR "completedAt" >= ? OR "dueAt" >= ?`,
      [since, since],
    );
    return rows.map((r) => ({
      ticketId: String(r[0]),
      clock: String(r[1]),
      cycle: Number(r[2]),
      team: String(r[3]),
      state: String(r[4]),
      dueAt: date(r[5]),
      completedAt: date(r[6]),
      overdueMinutes: Number(r[7]),
      evaluatedAt: date(r[8]) ?? new Date(0),
    }));
  }

  /** The Slack-side state (claimed, handled) of ticket clock flags, by flag key. */
  async ticketFlags(keys: readonly string[]): Promise<Pick<Flag, 'key' | 'state' | 'claimedBy'>[]> {
    const out: Pick<Flag, 'key' | 'state' | 'claimedBy'>[] = [];
    for (const list of chunks(keys)) {
      out.push(
        ...(await this.#prisma.flag.findMany({
          where: { key: { in: list } },
          select: { key: true, state: true, claimedBy: true },
        })),
      );
    }
    return out;
  }

  owners(): Promise<Owner[]> {
    return this.#prisma.owner.findMany({ orderBy: { id: 'asc' } });
  }

  /** Slack user ids cached for HubSpot owner emails (lower-cased); null means "looked up, no Slack user". */
  async slackUsers(emails: readonly string[]): Promise<Map<string, string | null>> {
    const out = new Map<string, string | null>();
    for (const list of chunks([...new Set(emails.map((e) => e.toLowerCase()))])) {
      for (const row of await this.#prisma.slackUser.findMany({ where: { email: { in: list } } })) {
        out.set(row.email, row.slackUserId);
      }
    }
    return out;
  }

  /** Feedback answers submitted since `since`, plus older ones still owed a follow-up (an open feedback flag). */
  async feedback(since: Date, now: Date): Promise<{ answers: FeedbackSubmission[]; flags: Flag[] }> {
    const openFlags = await this.#prisma.flag.findMany({
      where: { kind: 'feedback', state: { in: ['pending', 'overdue'] } },
    });
    const recent = await this.#prisma.feedbackSubmission.findMany({
      where: { archived: false, submittedAt: { gte: since, lt: now } },
      orderBy: { id: 'asc' },
    });
    const have = new Set(recent.map((f) => f.id));
    const missing = openFlags.map((f) => f.feedbackId).filter((id): id is string => !!id && !have.has(id));
    const older: FeedbackSubmission[] = [];
    for (const ids of chunks(missing)) {
      older.push(...(await this.#prisma.feedbackSubmission.findMany({ where: { id: { in: ids }, archived: false } })));
    }
    const answers = [...recent, ...older];
    // Every feedback flag (any state) of these answers: its team says whose answer it is.
    const flags: Flag[] = [];
    for (const ids of chunks(answers.map((a) => a.id))) {
      flags.push(...(await this.#prisma.flag.findMany({ where: { kind: 'feedback', feedbackId: { in: ids } } })));
    }
    return { answers, flags };
  }

  /** Answers by id (an old one the evaluation still finds owed a follow-up); archived ones are gone. */
  async feedbackByIds(ids: readonly string[]): Promise<FeedbackSubmission[]> {
    const out: FeedbackSubmission[] = [];
    for (const list of chunks(ids)) {
      out.push(...(await this.#prisma.feedbackSubmission.findMany({ where: { id: { in: list }, archived: false } })));
    }
    return out;
  }

  /**
   * When the newest complete HubSpot sync began that began at or after `since` (all of them when absent):
   * a digest is only as true as the copy it is computed from.
   */
  async lastCompleteSyncStart(since?: Date): Promise<Date | undefined> {
    const row = await this.#prisma.syncRun.findFirst({
      where: { status: 'ok', finishedAt: { not: null }, ...(since ? { startedAt: { gte: since } } : {}) },
      orderBy: { startedAt: 'desc' },
      select: { startedAt: true },
    });
    return row?.startedAt;
  }

  async portal(): Promise<{ id: string; uiDomain: string } | undefined> {
    const row = await this.#prisma.portal.findFirst({ select: { id: true, uiDomain: true } });
    return row ?? undefined;
  }

  /** Stage id → label (the first pipeline's when two share an id), to name stages in the silent list. */
  async stageLabels(): Promise<Map<string, string>> {
    const rows = await this.#prisma.stage.findMany({
      select: { id: true, label: true },
      orderBy: [{ pipelineId: 'asc' }, { displayOrder: 'asc' }],
    });
    const out = new Map<string, string>();
    for (const r of rows) if (!out.has(r.id)) out.set(r.id, r.label);
    return out;
  }

  // ------------------------------------------------------------ daily aggregates

  dailyStats(team: string, fromDay: string, toDay: string): Promise<{ day: string; metric: string; value: number }[]> {
    return this.#prisma.dailyStat.findMany({
      where: { team, day: { gte: fromDay, lte: toDay } },
      select: { day: true, metric: true, value: true },
      orderBy: [{ day: 'asc' }, { metric: 'asc' }],
    });
  }

  /** Replaces the stored numbers of the given days (a recomputed day must not keep a metric it no longer has). */
  async saveDailyStats(team: string, rows: readonly { day: string; metric: string; value: number }[]): Promise<void> {
    if (rows.length === 0) return;
    const days = [...new Set(rows.map((r) => r.day))];
    await this.#prisma.$transaction([
      this.#prisma.dailyStat.deleteMany({ where: { team, day: { in: days } } }),
      this.#prisma.dailyStat.createMany({
        data: rows.map((r) => ({ team, day: r.day, metric: r.metric, value: r.value })),
      }),
    ]);
  }

  // ------------------------------------------------------------ digest runs

  digestRun(team: string, day: string): Promise<DigestRun | null> {
    return this.#prisma.digestRun.findUnique({ where: { team_day: { team, day } } });
  }

  /**
   * Records the intent to send a team's digest for a day. Returns the row and whether this call created it;
   * (team, day) is unique, so of two replicas racing only one creates it.
   */
  async claimDigestRun(run: {
    id: string;
    team: string;
    day: string;
    scheduledFor: Date;
    late: boolean;
  }): Promise<{ run: DigestRun; created: boolean }> {
    try {
      const created = await this.#prisma.digestRun.create({ data: { ...run, status: 'pending' } });
      return { run: created, created: true };
    } catch (error) {
      if ((error as { code?: string }).code !== 'P2002') throw error;
      const existing = await this.digestRun(run.team, run.day);
      if (!existing) throw error;
      return { run: existing, created: false };
    }
  }

  async updateDigestRun(
    team: string,
    day: string,
    data: { status: DigestRunStatus; sentAt?: Date | null; messageTs?: string | null; late?: boolean },
  ): Promise<DigestRun> {
    return this.#prisma.digestRun.update({ where: { team_day: { team, day } }, data });
  }

  /** The outbox rows of a digest's parts (keys `digest:<team>:<day>:<part>`), in part order. */
  async digestOutbox(keyPrefix: string): Promise<OutboxMessage[]> {
    const rows = await this.#prisma.outboxMessage.findMany({ where: { idempotencyKey: { startsWith: keyPrefix } } });
    const part = (row: OutboxMessage) => Number(row.idempotencyKey.slice(keyPrefix.length));
    return rows.sort((a, b) => part(a) - part(b));
  }
}
