// Read-only queries behind slash commands, the App Home and nudge rendering. Kept apart from the
// writes in slack-repo.ts: these must answer within Slack's 3 s from the local copy (the bench holds
// /unanswered to p99 < 100 ms over 100k tickets).

import type BetterSqlite3 from 'better-sqlite3';
import { type ClockName, type FlagState, OPEN_FLAG_STATES } from '../domain/flag.ts';
import type { ClockState, FeedbackSubmission, Flag, Owner, PrismaClient, Ticket } from '../generated/sqlite/client.ts';
import type { Db, DbDriver } from './client.ts';
import { cachedStatement } from './raw-sql.ts';

export interface FlagFilter {
  /** Ticket flags on these clocks and states… */
  ticket?: { clocks: ClockName[]; states: FlagState[] } | undefined;
  /** …and/or feedback flags in these states. */
  feedback?: { states: FlagState[] } | undefined;
  team?: string | undefined;
  /** Only flags of tickets owned by these HubSpot owners. */
  ownerIds?: string[] | undefined;
}

export type WaitingEntry = { clock: ClockState } | { flag: Flag };

// Columns of the models read raw on SQLite that Prisma maps to Date / boolean (stored as ISO text / 0-1).
const DATE_COLUMNS = new Set([
  'createdAt',
  'modifiedAt',
  'closedAt',
  'reopenedAt',
  'firstAgentReplyAt',
  'lastCustomerMessageAt',
  'lastAgentMessageAt',
  'stageEnteredAt',
  'hsFirstResponseDueAt',
  'hsNextResponseDueAt',
  'hsCloseDueAt',
  'syncedAt',
  'updatedAt',
  'submittedAt',
  'startedAt',
  'dueAt',
  'completedAt',
  'evaluatedAt',
  'nextCheckAt',
  'raisedAt',
  'breachedAt',
  'resolvedAt',
  'seenAt',
  'movedAt',
  'claimedAt',
  'handledAt',
  'snoozedUntil',
  'quoteAt',
  'messagesSyncedTo',
  'latestMessageAt',
]);
const BOOLEAN_COLUMNS = new Set(['lastMessageFromVisitor', 'isClosed', 'archived']);

function fromSqliteRow<T>(row: Record<string, unknown>): T {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(row)) {
    if (value === null || value === undefined) out[key] = null;
    else if (DATE_COLUMNS.has(key)) out[key] = new Date(String(value));
    else if (BOOLEAN_COLUMNS.has(key)) out[key] = value === 1 || value === true || value === '1' || value === 'true';
    else out[key] = value;
  }
  return out as T;
}

/** Earliest due first (undated last); ties broken by a stable key, identically on both providers. */
function mergeWaiting(clocks: ClockState[], feedback: Flag[]): WaitingEntry[] {
  const due = (d: Date | null) => d?.getTime() ?? Number.POSITIVE_INFINITY;
  const entries: { at: number; tie: string; entry: WaitingEntry }[] = [
    ...clocks.map((c) => ({ at: due(c.dueAt), tie: `t${c.ticketId}:${c.clock}`, entry: { clock: c } })),
    ...feedback.map((f) => ({ at: due(f.dueAt), tie: `f${f.key}`, entry: { flag: f } })),
  ];
  entries.sort((a, b) => a.at - b.at || (a.tie < b.tie ? -1 : a.tie > b.tie ? 1 : 0));
  return entries.map((e) => e.entry);
}

export interface FlagContext {
  tickets: Map<string, Ticket>;
  feedback: Map<string, FeedbackSubmission>;
  owners: Map<string, Owner>;
  /** By `${ticketId}:${clock}`. */
  clocks: Map<string, ClockState>;
  portal: { id: string; uiDomain: string } | undefined;
}

export class FlagsReadRepo {
  readonly #prisma: PrismaClient;
  /** SQLite's connection, for the raw fast paths; undefined on PostgreSQL (and for Prisma-only comparisons). */
  readonly #sqlite: BetterSqlite3.Database | undefined;

  constructor(db: Pick<Db, 'prisma'> & Partial<DbDriver>) {
    this.#prisma = db.prisma;
    this.#sqlite = db.provider === 'sqlite' ? db.sqlite : undefined;
  }

  #where(filter: FlagFilter, ticketIds: string[] | undefined) {
    const kinds = [];
    if (filter.ticket)
      kinds.push({ kind: 'ticket', clock: { in: filter.ticket.clocks }, state: { in: filter.ticket.states } });
    if (filter.feedback) kinds.push({ kind: 'feedback', state: { in: filter.feedback.states } });
    return {
      OR: kinds,
      ...(filter.team ? { team: filter.team } : {}),
      ...(ticketIds ? { ticketId: { in: ticketIds } } : {}),
    };
  }

  /** Open tickets of the given owners (ids only), for owner-scoped lists. */
  async openTicketIdsOfOwners(ownerIds: string[]): Promise<string[]> {
    if (ownerIds.length === 0) return [];
    const rows = await this.#prisma.ticket.findMany({
      where: { ownerId: { in: ownerIds }, isClosed: false, archived: false },
      select: { id: true },
    });
    return rows.map((r) => r.id);
  }

  /** Most urgent first: the earliest due (the longest overdue) leads. */
  async listFlags(filter: FlagFilter, offset: number, limit: number): Promise<{ flags: Flag[]; total: number }> {
    const ticketIds = filter.ownerIds ? await this.openTicketIdsOfOwners(filter.ownerIds) : undefined;
    if (ticketIds && ticketIds.length === 0) return { flags: [], total: 0 };
    const where = this.#where(filter, ticketIds);
    const [flags, total] = await Promise.all([
      this.#prisma.flag.findMany({
        where,
        orderBy: [{ dueAt: { sort: 'asc', nulls: 'last' } }, { key: 'asc' }],
        skip: offset,
        take: limit,
      }),
      this.#prisma.flag.count({ where }),
    ]);
    return { flags, total };
  }

  /**
   * What is waiting for our reply: first/next-response clocks still running (at risk and breached
   * included) and feedback whose follow-up is overdue, earliest due first, paged.
   */
  async listWaiting(
    filter: { team?: string | undefined; ownerIds?: string[] | undefined },
    offset: number,
    limit: number,
  ): Promise<{ page: WaitingEntry[]; total: number }> {
    if (this.#sqlite) return this.#listWaitingSqlite(this.#sqlite, filter, offset, limit);
    const ticketIds = filter.ownerIds ? await this.openTicketIdsOfOwners(filter.ownerIds) : undefined;
    if (ticketIds && ticketIds.length === 0) return { page: [], total: 0 };
    const scope = {
      ...(filter.team ? { team: filter.team } : {}),
      ...(ticketIds ? { ticketId: { in: ticketIds } } : {}),
    };
    const clocks = ['firstResponse', 'nextResponse'];
    const states = ['running', 'at_risk', 'breached'];
    const take = offset + limit;
    // One query per (state, clock): each walks the (state, clock, dueAt) index in order and stops after
    // `take` rows, instead of sorting every open clock; the sorted runs are merged here.
    const runs = clocks.flatMap((clock) =>
      states.map((state) =>
        this.#prisma.clockState.findMany({
          where: { clock, state, dueAt: { not: null }, ...scope },
          orderBy: [{ dueAt: 'asc' }, { ticketId: 'asc' }],
          take,
        }),
      ),
    );
    const clockWhere = { clock: { in: clocks }, state: { in: states }, ...scope };
    const feedbackWhere = { kind: 'feedback', state: 'overdue', ...scope };
    const [clockRuns, undated, feedback, clockCount, feedbackCount] = await Promise.all([
      Promise.all(runs),
      this.#prisma.clockState.findMany({ where: { ...clockWhere, dueAt: null }, orderBy: { ticketId: 'asc' }, take }),
      this.#prisma.flag.findMany({
        where: feedbackWhere,
        orderBy: [{ dueAt: { sort: 'asc', nulls: 'last' } }, { key: 'asc' }],
        take,
      }),
      this.#prisma.clockState.count({ where: clockWhere }),
      this.#prisma.flag.count({ where: feedbackWhere }),
    ]);
    const merged = mergeWaiting([...clockRuns.flat(), ...undated], feedback);
    return { page: merged.slice(offset, take), total: clockCount + feedbackCount };
  }

  /**
   * The same query as one raw SQLite statement on Prisma's own connection: /unanswered is the command
   * people run most, and Prisma's per-query overhead (ten queries) was most of its time. Same rows, same
   * order as the Prisma path (the test runs both).
   */
  #listWaitingSqlite(
    sqlite: BetterSqlite3.Database,
    filter: { team?: string | undefined; ownerIds?: string[] | undefined },
    offset: number,
    limit: number,
  ): { page: WaitingEntry[]; total: number } {
    if (filter.ownerIds && filter.ownerIds.length === 0) return { page: [], total: 0 };
    const take = offset + limit;
    const scopeSql: string[] = [];
    const scopeArgs: unknown[] = [];
    if (filter.team) {
      scopeSql.push('team = ?');
      scopeArgs.push(filter.team);
    }
    if (filter.ownerIds) {
      // The owners' open tickets once, rather than a subquery in each of the nine statements below.
      const ids = (
        prepare(
          sqlite,
          `SELECT id FROM "Ticket" WHERE ownerId IN (${filter.ownerIds.map(() => '?').join(',')}) AND isClosed = 0 AND archived = 0`,
        ).all(...filter.ownerIds) as { id: string }[]
      ).map((r) => r.id);
      if (ids.length === 0) return { page: [], total: 0 };
      scopeSql.push(`ticketId IN (${ids.map(() => '?').join(',')})`);
      scopeArgs.push(...ids);
    }
    const scope = scopeSql.map((c) => ` AND ${c}`).join('');
    const runs: string[] = [];
    const args: unknown[] = [];
    for (const clock of ['firstResponse', 'nextResponse']) {
      for (const state of ['running', 'at_risk', 'breached']) {
        runs.push(
          `SELECT * FROM (SELECT * FROM "ClockState" WHERE clock = ? AND state = ? AND dueAt IS NOT NULL${scope} ORDER BY dueAt, ticketId LIMIT ?)`,
        );
        args.push(clock, state, ...scopeArgs, take);
      }
    }
    runs.push(
      `SELECT * FROM (SELECT * FROM "ClockState" WHERE clock IN ('firstResponse', 'nextResponse') AND state IN ('running', 'at_risk', 'breached') AND dueAt IS NULL${scope} ORDER BY ticketId LIMIT ?)`,
    );
    args.push(...scopeArgs, take);
    const clockRows = prepare(sqlite, runs.join(' UNION ALL '))
      .safeIntegers(false)
      .all(...args) as Record<string, unknown>[];
    const feedbackRows = prepare(
      sqlite,
      `SELECT * FROM "Flag" WHERE kind = 'feedback' AND state = 'overdue'${scope} ORDER BY dueAt IS NULL, dueAt, key LIMIT ?`,
    )
      .safeIntegers(false)
      .all(...scopeArgs, take) as Record<string, unknown>[];
    const counts = prepare(
      sqlite,
      `SELECT (SELECT COUNT(*) FROM "ClockState" WHERE clock IN ('firstResponse', 'nextResponse') AND state IN ('running', 'at_risk', 'breached')${scope}) AS clocks, ` +
        `(SELECT COUNT(*) FROM "Flag" WHERE kind = 'feedback' AND state = 'overdue'${scope}) AS feedback`,
    )
      .safeIntegers(false)
      .get(...scopeArgs, ...scopeArgs) as { clocks: number; feedback: number };
    // Order on the stored text (ISO dates of one format sort as time), then convert only the page's rows.
    const ranked = [
      ...clockRows.map((r) => ({
        due: r['dueAt'] as string | null,
        tie: `t${r['ticketId']}:${r['clock']}`,
        row: r,
        kind: 'clock' as const,
      })),
      ...feedbackRows.map((r) => ({
        due: r['dueAt'] as string | null,
        tie: `f${r['key']}`,
        row: r,
        kind: 'flag' as const,
      })),
    ].sort((a, b) => {
      const at = a.due === null ? '\uffff' : a.due;
      const bt = b.due === null ? '\uffff' : b.due;
      return at < bt ? -1 : at > bt ? 1 : a.tie < b.tie ? -1 : a.tie > b.tie ? 1 : 0;
    });
    const date = (v: unknown) => (v === null || v === undefined ? null : new Date(String(v)));
    const page: WaitingEntry[] = ranked.slice(offset, take).map(({ row: r, kind }) =>
      kind === 'clock'
        ? {
            clock: {
              ticketId: String(r['ticketId']),
              clock: String(r['clock']),
              cycle: Number(r['cycle']),
              policy: String(r['policy']),
              team: String(r['team']),
              state: String(r['state']),
              startedAt: date(r['startedAt'])!,
              dueAt: date(r['dueAt']),
              completedAt: date(r['completedAt']),
              targetMinutes: Number(r['targetMinutes']),
              usedMinutes: Number(r['usedMinutes']),
              overdueMinutes: Number(r['overdueMinutes']),
              evaluatedAt: date(r['evaluatedAt'])!,
              nextCheckAt: date(r['nextCheckAt']),
              source: String(r['source'] ?? 'properties'),
              quoteText: (r['quoteText'] as string | null) ?? null,
              quoteAt: date(r['quoteAt']),
            },
          }
        : {
            flag: {
              key: String(r['key']),
              kind: String(r['kind']),
              ticketId: (r['ticketId'] as string | null) ?? null,
              feedbackId: (r['feedbackId'] as string | null) ?? null,
              clock: (r['clock'] as string | null) ?? null,
              team: String(r['team']),
              state: String(r['state']),
              escalationLevel: Number(r['escalationLevel']),
              raisedAt: date(r['raisedAt'])!,
              dueAt: date(r['dueAt']),
              breachedAt: date(r['breachedAt']),
              resolvedAt: date(r['resolvedAt']),
              outcome: (r['outcome'] as string | null) ?? null,
              origin: String(r['origin'] ?? 'live'),
              seenAt: date(r['seenAt']),
              movedFrom: (r['movedFrom'] as string | null) ?? null,
              movedAt: date(r['movedAt']),
              claimedBy: (r['claimedBy'] as string | null) ?? null,
              claimedAt: date(r['claimedAt']),
              handledBy: (r['handledBy'] as string | null) ?? null,
              handledAt: date(r['handledAt']),
              snoozedBy: (r['snoozedBy'] as string | null) ?? null,
              snoozedUntil: date(r['snoozedUntil']),
              updatedAt: date(r['updatedAt'])!,
            },
          },
    );
    return { page, total: counts.clocks + counts.feedback };
  }

  async contextFor(flags: Pick<Flag, 'ticketId' | 'feedbackId' | 'clock'>[]): Promise<FlagContext> {
    if (this.#sqlite) return this.#contextSqlite(this.#sqlite, flags);
    const feedbackIds = [...new Set(flags.map((f) => f.feedbackId).filter((id): id is string => !!id))];
    const feedbackRows = feedbackIds.length
      ? await this.#prisma.feedbackSubmission.findMany({ where: { id: { in: feedbackIds } } })
      : [];
    const ticketIds = [
      ...new Set(
        [...flags.map((f) => f.ticketId), ...feedbackRows.map((f) => f.ticketId)].filter((id): id is string => !!id),
      ),
    ];
    const [tickets, clocks, portal] = await Promise.all([
      ticketIds.length ? this.#prisma.ticket.findMany({ where: { id: { in: ticketIds } } }) : Promise.resolve([]),
      ticketIds.length
        ? this.#prisma.clockState.findMany({ where: { ticketId: { in: ticketIds } } })
        : Promise.resolve([]),
      this.#prisma.portal.findFirst({ select: { id: true, uiDomain: true } }),
    ]);
    const ownerIds = [...new Set(tickets.map((t) => t.ownerId).filter((id): id is string => !!id))];
    const owners = ownerIds.length ? await this.#prisma.owner.findMany({ where: { id: { in: ownerIds } } }) : [];
    return {
      tickets: new Map(tickets.map((t) => [t.id, t])),
      feedback: new Map(feedbackRows.map((f) => [f.id, f])),
      owners: new Map(owners.map((o) => [o.id, o])),
      clocks: new Map(clocks.map((c) => [`${c.ticketId}:${c.clock}`, c])),
      portal: portal ?? undefined,
    };
  }

  /** contextFor on SQLite: the same rows as Prisma returns, read in one synchronous batch (see listWaiting). */
  #contextSqlite(
    sqlite: BetterSqlite3.Database,
    flags: Pick<Flag, 'ticketId' | 'feedbackId' | 'clock'>[],
  ): FlagContext {
    const byIds = <T>(table: string, column: string, ids: string[]): T[] =>
      ids.length
        ? (
            prepare(sqlite, `SELECT * FROM "${table}" WHERE "${column}" IN (${ids.map(() => '?').join(',')})`)
              .safeIntegers(false)
              .all(...ids) as Record<string, unknown>[]
          ).map((row) => fromSqliteRow<T>(row))
        : [];
    const feedbackRows = byIds<FeedbackSubmission>('FeedbackSubmission', 'id', [
      ...new Set(flags.map((f) => f.feedbackId).filter((id): id is string => !!id)),
    ]);
    const ticketIds = [
      ...new Set(
        [...flags.map((f) => f.ticketId), ...feedbackRows.map((f) => f.ticketId)].filter((id): id is string => !!id),
      ),
    ];
    const tickets = byIds<Ticket>('Ticket', 'id', ticketIds);
    const clocks = byIds<ClockState>('ClockState', 'ticketId', ticketIds);
    const owners = byIds<Owner>('Owner', 'id', [
      ...new Set(tickets.map((t) => t.ownerId).filter((id): id is string => !!id)),
    ]);
    const portal = prepare(sqlite, 'SELECT id, uiDomain FROM "Portal" LIMIT 1').get() as
      | { id: string; uiDomain: string }
      | undefined;
    return {
      tickets: new Map(tickets.map((t) => [t.id, t])),
      feedback: new Map(feedbackRows.map((f) => [f.id, f])),
      owners: new Map(owners.map((o) => [o.id, o])),
      clocks: new Map(clocks.map((c) => [`${c.ticketId}:${c.clock}`, c])),
      portal: portal ? { id: String(portal.id), uiDomain: String(portal.uiDomain) } : undefined,
    };
  }

  flagsByKeys(keys: string[]): Promise<Flag[]> {
    const sqlite = this.#sqlite;
    if (sqlite && keys.length) {
      const rows = prepare(sqlite, `SELECT * FROM "Flag" WHERE key IN (${keys.map(() => '?').join(',')})`)
        .safeIntegers(false)
        .all(...keys) as Record<string, unknown>[];
      return Promise.resolve(rows.map((row) => fromSqliteRow<Flag>(row)));
    }
    return keys.length ? this.#prisma.flag.findMany({ where: { key: { in: keys } } }) : Promise.resolve([]);
  }

  openFlagsOfTicket(ticketId: string): Promise<Flag[]> {
    return this.#prisma.flag.findMany({
      where: { ticketId, state: { in: [...OPEN_FLAG_STATES] } },
      orderBy: { key: 'asc' },
    });
  }

  ticket(id: string): Promise<Ticket | null> {
    return this.#prisma.ticket.findUnique({ where: { id } });
  }

  owner(id: string): Promise<Owner | null> {
    return this.#prisma.owner.findUnique({ where: { id } });
  }

  /** Owners whose HubSpot email is one of these (compared case-insensitively). */
  async ownersByEmails(emails: string[]): Promise<Owner[]> {
    if (emails.length === 0) return [];
    const variants = [...new Set(emails.flatMap((e) => [e, e.toLowerCase()]))];
    const sqlite = this.#sqlite;
    if (sqlite) {
      const rows = prepare(
        sqlite,
        `SELECT * FROM "Owner" WHERE archived = 0 AND email IN (${variants.map(() => '?').join(',')})`,
      )
        .safeIntegers(false)
        .all(...variants) as Record<string, unknown>[];
      const wanted = new Set(emails.map((e) => e.toLowerCase()));
      return rows.map((row) => fromSqliteRow<Owner>(row)).filter((o) => o.email && wanted.has(o.email.toLowerCase()));
    }
    const rows = await this.#prisma.owner.findMany({ where: { email: { in: variants }, archived: false } });
    const wanted = new Set(emails.map((e) => e.toLowerCase()));
    return rows.filter((o) => o.email && wanted.has(o.email.toLowerCase()));
  }

  async lastSyncRun() {
    return this.#prisma.syncRun.findFirst({ orderBy: { startedAt: 'desc' } });
  }

  pendingFetchCount(): Promise<number> {
    return this.#prisma.pendingFetch.count();
  }

  /** Open flag counts by team, state and kind. */
  async openFlagCounts(
    states: readonly FlagState[],
  ): Promise<{ team: string; state: string; kind: string; count: number }[]> {
    const rows = await this.#prisma.flag.groupBy({
      by: ['team', 'state', 'kind'],
      where: { state: { in: [...states] } },
      _count: { _all: true },
    });
    return rows.map((r) => ({ team: r.team, state: r.state, kind: r.kind, count: r._count._all }));
  }

  /** Clocks completed since `since`, by team and final state (met/missed). */
  async completedClockCounts(since: Date): Promise<{ team: string; state: string; count: number }[]> {
    const rows = await this.#prisma.clockState.groupBy({
      by: ['team', 'state'],
      where: { state: { in: ['met', 'missed'] }, completedAt: { gte: since } },
      _count: { _all: true },
    });
    return rows.map((r) => ({ team: r.team, state: r.state, count: r._count._all }));
  }
}

/** Prepared once per connection (raw-sql.ts): planning a nine-part query costs more than running it. */
function prepare(sqlite: BetterSqlite3.Database, sql: string): BetterSqlite3.Statement {
  return cachedStatement(sqlite, sql).raw(false);
}
