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
import type { Db } from './client.ts';

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
} as const satisfies Partial<Record<keyof ClockState, true>>;
export type DigestClockRow = Pick<ClockState, keyof typeof CLOCK_COLUMNS>;

export type DigestRunStatus = 'pending' | 'queued' | 'sent' | 'failed';

export class DigestRepo {
  readonly #prisma: PrismaClient;

  constructor(db: Pick<Db, 'prisma'>) {
    this.#prisma = db.prisma;
  }

  /**
   * Tickets a digest may mention: every open one, and those created, answered or closed since `since`.
   * Archived (deleted in HubSpot) tickets are gone from Heed's view.
   */
  tickets(since: Date, now: Date): Promise<DigestTicketRow[]> {
    return this.#prisma.ticket.findMany({
      where: {
        archived: false,
        createdAt: { lt: now },
        OR: [
          { isClosed: false },
          { createdAt: { gte: since } },
          { closedAt: { gte: since } },
          { firstAgentReplyAt: { gte: since } },
        ],
      },
      // Only the columns the digest reads: Prisma's row mapping, not the query, is the cost on big portals.
      select: TICKET_COLUMNS,
      orderBy: { id: 'asc' },
    });
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
  clockStates(since: Date): Promise<DigestClockRow[]> {
    return this.#prisma.clockState.findMany({
      where: { OR: [{ completedAt: null }, { completedAt: { gte: since } }, { dueAt: { gte: since } }] },
      select: CLOCK_COLUMNS,
    });
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

  async portal(): Promise<{ id: string; uiDomain: string } | undefined> {
    const row = await this.#prisma.portal.findFirst({ select: { id: true, uiDomain: true } });
    return row ?? undefined;
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
    data: { status: DigestRunStatus; sentAt?: Date | null; messageTs?: string | null },
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
