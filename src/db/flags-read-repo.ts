// Read-only queries behind slash commands, the App Home and nudge rendering. Kept apart from the
// writes in slack-repo.ts: these must answer within Slack's 3 s from the local copy (the bench holds
// /unanswered to p99 < 100 ms over 100k tickets).
import type { ClockName, FlagState } from '../domain/flag.ts';
import type { ClockState, FeedbackSubmission, Flag, Owner, PrismaClient, Ticket } from '../generated/sqlite/client.ts';
import type { Db } from './client.ts';

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

  constructor(db: Pick<Db, 'prisma'>) {
    this.#prisma = db.prisma;
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
    const ticketIds = filter.ownerIds ? await this.openTicketIdsOfOwners(filter.ownerIds) : undefined;
    if (ticketIds && ticketIds.length === 0) return { page: [], total: 0 };
    const scope = {
      ...(filter.team ? { team: filter.team } : {}),
      ...(ticketIds ? { ticketId: { in: ticketIds } } : {}),
    };
    const clockWhere = {
      clock: { in: ['firstResponse', 'nextResponse'] },
      state: { in: ['running', 'at_risk', 'breached'] },
      ...scope,
    };
    const feedbackWhere = { kind: 'feedback', state: 'overdue', ...scope };
    const take = offset + limit;
    const [clocks, feedback, clockCount, feedbackCount] = await Promise.all([
      this.#prisma.clockState.findMany({
        where: clockWhere,
        orderBy: [{ dueAt: { sort: 'asc', nulls: 'last' } }, { ticketId: 'asc' }],
        take,
      }),
      this.#prisma.flag.findMany({
        where: feedbackWhere,
        orderBy: [{ dueAt: { sort: 'asc', nulls: 'last' } }, { key: 'asc' }],
        take,
      }),
      this.#prisma.clockState.count({ where: clockWhere }),
      this.#prisma.flag.count({ where: feedbackWhere }),
    ]);
    // Merge the two sorted lists, then cut the page.
    const merged: WaitingEntry[] = [];
    let i = 0;
    let j = 0;
    const due = (d: Date | null) => d?.getTime() ?? Number.POSITIVE_INFINITY;
    while (merged.length < take && (i < clocks.length || j < feedback.length)) {
      const a = clocks[i];
      const b = feedback[j];
      if (a && (!b || due(a.dueAt) <= due(b.dueAt))) {
        merged.push({ clock: a });
        i++;
      } else if (b) {
        merged.push({ flag: b });
        j++;
      }
    }
    return { page: merged.slice(offset, take), total: clockCount + feedbackCount };
  }

  async contextFor(flags: Pick<Flag, 'ticketId' | 'feedbackId' | 'clock'>[]): Promise<FlagContext> {
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

  flagsByKeys(keys: string[]): Promise<Flag[]> {
    return keys.length ? this.#prisma.flag.findMany({ where: { key: { in: keys } } }) : Promise.resolve([]);
  }

  openFlagsOfTicket(ticketId: string): Promise<Flag[]> {
    return this.#prisma.flag.findMany({
      where: { ticketId, state: { in: ['at_risk', 'breached', 'pending', 'overdue'] } },
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
