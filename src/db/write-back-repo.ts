// The queue of writes Heed makes to HubSpot for Slack acts (src/slack/write-back.ts), and the few HubSpot facts
// deciding them needs. Each "who runs it" decision is one conditional update, atomic on SQLite and PostgreSQL
// alike, so two replicas never send the same write at once, and one that died mid-write is taken over.
import type { HubspotWrite, PrismaClient } from '../generated/sqlite/client.ts';
import type { Db } from './client.ts';

export type { HubspotWrite };

export type HubspotWriteKind = 'owner' | 'stage';
export type HubspotWriteState = 'pending' | 'running' | 'done' | 'skipped' | 'refused' | 'failed';
/** The states nothing runs again (retention prunes these once old). */
export const FINISHED_HUBSPOT_WRITE_STATES = [
  'done',
  'skipped',
  'refused',
  'failed',
] as const satisfies readonly Exclude<HubspotWriteState, 'pending' | 'running'>[];

export interface NewHubspotWrite {
  id: string;
  kind: HubspotWriteKind;
  ticketId: string;
  flagKey: string;
  actor: string;
  value: string | null;
}

export class WriteBackRepo {
  readonly #prisma: PrismaClient;

  constructor(db: Pick<Db, 'prisma'>) {
    this.#prisma = db.prisma;
  }

  async enqueue(write: NewHubspotWrite, now: Date): Promise<void> {
    await this.#prisma.hubspotWrite.create({
      data: { ...write, state: 'pending', nextAttemptAt: now, createdAt: now, updatedAt: now },
    });
  }

  /** Writes due now: pending ones whose time has come, and running ones whose holder's lease ran out. */
  due(now: Date, limit = 20): Promise<HubspotWrite[]> {
    return this.#prisma.hubspotWrite.findMany({
      where: {
        OR: [
          { state: 'pending', nextAttemptAt: { lte: now } },
          { state: 'running', leaseUntil: { lt: now } },
        ],
      },
      orderBy: [{ nextAttemptAt: 'asc' }, { id: 'asc' }],
      take: limit,
    });
  }

  /** Takes a due write for this run (until `until`); false when another replica got it first. */
  async take(write: Pick<HubspotWrite, 'id' | 'state' | 'attempts'>, now: Date, until: Date): Promise<boolean> {
    const { count } = await this.#prisma.hubspotWrite.updateMany({
      where: {
        id: write.id,
        attempts: write.attempts,
        OR: [
          { state: 'pending', nextAttemptAt: { lte: now } },
          { state: 'running', leaseUntil: { lt: now } },
        ],
      },
      data: { state: 'running', leaseUntil: until, attempts: { increment: 1 }, updatedAt: now },
    });
    return count === 1;
  }

  async finish(
    id: string,
    state: Exclude<HubspotWriteState, 'pending' | 'running'>,
    error: string | null,
    now: Date,
  ): Promise<void> {
    await this.#prisma.hubspotWrite.update({
      where: { id },
      data: { state, leaseUntil: null, lastError: error?.slice(0, 1000) ?? null, updatedAt: now },
    });
  }

  async retryAt(id: string, at: Date, error: string, now: Date): Promise<void> {
    await this.#prisma.hubspotWrite.update({
      where: { id },
      data: { state: 'pending', leaseUntil: null, nextAttemptAt: at, lastError: error.slice(0, 1000), updatedAt: now },
    });
  }

  /** When the next pending write falls due (for the runner's timer). */
  async nextDueAt(): Promise<Date | undefined> {
    const row = await this.#prisma.hubspotWrite.findFirst({
      where: { state: 'pending' },
      orderBy: { nextAttemptAt: 'asc' },
      select: { nextAttemptAt: true },
    });
    return row?.nextAttemptAt;
  }

  /** The synced copy's pipeline and owner of a ticket (deciding what to queue). */
  ticket(id: string): Promise<{ pipelineId: string | null; ownerId: string | null } | null> {
    return this.#prisma.ticket.findUnique({ where: { id }, select: { pipelineId: true, ownerId: true } });
  }

  /** The active HubSpot owner with one of these emails (case-insensitive), if any. */
  async ownerByEmails(emails: readonly string[]): Promise<{ id: string; name: string } | undefined> {
    if (emails.length === 0) return undefined;
    const wanted = new Set(emails.map((e) => e.toLowerCase()));
    const rows = await this.#prisma.owner.findMany({
      where: { archived: false, email: { in: [...new Set([...emails, ...wanted])] } },
      orderBy: { id: 'asc' },
    });
    const row = rows.find((r) => r.email && wanted.has(r.email.toLowerCase()));
    if (!row) return undefined;
    const name = [row.firstName, row.lastName].filter(Boolean).join(' ').trim();
    return { id: row.id, name: name || row.email || row.id };
  }
}
