// Everything the Slack side reads and writes in the database: nudges, the outbox, the audit log,
// the Slack user cache, user settings and the Slack-owned columns of Flag. Written once against the
// Prisma API so it runs unchanged on SQLite and PostgreSQL.
import { randomUUID } from 'node:crypto';
import { OPEN_FLAG_STATES } from '../domain/flag.ts';
import type {
  AuditEntry,
  ClockState,
  FeedbackSubmission,
  Flag,
  Nudge,
  OutboxMessage,
  Owner,
  PrismaClient,
  SlackActionMark,
  Ticket,
} from '../generated/sqlite/client.ts';
import type { Db } from './client.ts';

export type { AuditEntry, ClockState, FeedbackSubmission, Flag, Nudge, OutboxMessage, Owner, SlackActionMark, Ticket };

export type OutboxKind = 'post' | 'update' | 'reply' | 'escalate' | 'dm';
/**
 * pending → sending (claimed by one process until claimUntil) → sent; retry (waiting for nextAttemptAt); failed
 * (given up, lastError says why); superseded (a newer update won).
 */
export type OutboxState = 'pending' | 'sending' | 'sent' | 'retry' | 'failed' | 'superseded';

export interface OutboxIntent {
  idempotencyKey: string;
  kind: OutboxKind;
  channel: string;
  payload: Record<string, unknown>;
  nudgeId?: string | undefined;
  /** Defaults to now: when the message may go out (quiet hours, snoozes). */
  notBefore?: Date | undefined;
}

/** A dependent's view of its nudge's post (see SlackRepo.nudgeParent). */
export type NudgeParent =
  | { status: 'posted'; ts: string; channel: string }
  | { status: 'pending' }
  | { status: 'failed'; reason: string };

/** `state` only to and from `handled` (the SLA engine leaves a handled flag alone for its cycle). */
export type FlagSlackFields = Partial<
  Pick<Flag, 'claimedBy' | 'claimedAt' | 'handledBy' | 'handledAt' | 'snoozedBy' | 'snoozedUntil' | 'state'>
>;

export interface AuditInput {
  at: Date;
  actor: string;
  action: string;
  target: string;
  source: string;
  detail?: Record<string, unknown>;
}

/** Which of Heed's messages about a flag a reaction was added to. */
export type FlagMessageKind = 'nudge' | 'reply' | 'escalate' | 'dm';

export interface FlagMessage {
  flagKey: string;
  kind: FlagMessageKind;
  /** The nudge's ts when the message is a reply in its thread (an ephemeral note goes in that thread). */
  threadTs?: string | undefined;
}

/** What one person's act does to a flag, decided inside the transaction that holds the flag. */
export interface FlagActionPlan {
  /** Columns to write, when the act changes the flag. */
  change?: FlagSlackFields | undefined;
  /** Remembered as the latest act of its kind applied to the flag (acts that carry Slack's timestamp). */
  mark?: { kind: string; slackTs: string; actor: string } | undefined;
  audit: AuditInput;
}

export interface NudgeChange {
  /** Create (no id yet) or update the nudge. */
  nudge:
    | { create: { flagKey: string; channel: string; state: string; level: number; renderHash: string } }
    | { update: { id: string; state?: string; level?: number; renderHash?: string } };
  intents: OutboxIntent[];
}

/**
 * Ids that sort in creation order (the outbox sends a channel's rows in id order, and one reconcile
 * queues several rows at the same instant): the given time, then the process's monotonic clock in ns
 * (no module state), then randomness for uniqueness across processes.
 */
export function orderedId(now: Date): string {
  const tick = process.hrtime.bigint() % 10n ** 15n;
  return `${String(now.getTime()).padStart(14, '0')}-${String(tick).padStart(15, '0')}-${randomUUID().slice(0, 8)}`;
}

type Tx = Omit<PrismaClient, '$connect' | '$disconnect' | '$on' | '$transaction' | '$extends'>;

export class SlackRepo {
  readonly #prisma: PrismaClient;
  readonly #provider: Db['provider'];

  constructor(db: Pick<Db, 'prisma' | 'provider'>) {
    this.#prisma = db.prisma;
    this.#provider = db.provider;
  }

  // ------------------------------------------------------------ nudges

  nudgeByFlagKey(flagKey: string): Promise<Nudge | null> {
    return this.#prisma.nudge.findUnique({ where: { flagKey } });
  }

  nudgesByFlagKeys(flagKeys: string[]): Promise<Nudge[]> {
    return flagKeys.length
      ? this.#prisma.nudge.findMany({ where: { flagKey: { in: flagKeys } } })
      : Promise.resolve([]);
  }

  nudgeById(id: string): Promise<Nudge | null> {
    return this.#prisma.nudge.findUnique({ where: { id } });
  }

  /** The nudge a reaction or button refers to; undefined for any message that is not one of Heed's nudges. */
  async nudgeByMessage(channel: string, ts: string): Promise<Nudge | null> {
    return this.#prisma.nudge.findFirst({ where: { channel, ts } });
  }

  /**
   * The flag any of Heed's messages about it refers to: the nudge itself, its thread ping, the escalation
   * post or the owner's DM — from the (channel, ts) a reaction names. Read-only over what the outbox recorded
   * when it sent each row (`resultTs`, with the row's nudge). What a sent row does not record is the channel
   * Slack answered with, so:
   * - a thread ping lives in its nudge's channel (whatever the row was queued with, e.g. `#support`);
   * - a DM row is queued to the user id (U…) and Slack posts it in the IM (D…): an IM has one person in it
   *   besides Heed, so the row matches when its user is the one reacting, in a D… channel;
   * - an escalation queued to a channel by name (`#leads`) cannot be compared with the id in the event: it
   *   matches by ts alone (Slack's ts is unique within a channel; two of Heed's messages in different
   *   channels at the same microsecond is the only way to mismatch).
   */
  async flagForMessage(message: { channel: string; ts: string; reactor: string }): Promise<FlagMessage | null> {
    const { channel, ts, reactor } = message;
    const nudge = await this.#prisma.nudge.findFirst({ where: { channel, ts }, select: { flagKey: true } });
    if (nudge) return { flagKey: nudge.flagKey, kind: 'nudge' };
    const rows = await this.#prisma.outboxMessage.findMany({
      where: { resultTs: ts, nudgeId: { not: null }, kind: { in: ['reply', 'escalate', 'dm'] } },
      select: { kind: true, channel: true, nudgeId: true },
      take: 10,
    });
    if (rows.length === 0) return null;
    const nudges = new Map(
      (
        await this.#prisma.nudge.findMany({
          where: { id: { in: rows.map((r) => r.nudgeId!) } },
          select: { id: true, flagKey: true, channel: true, ts: true },
        })
      ).map((n) => [n.id, n]),
    );
    const byName = (queued: string) => !/^[CGDUW][A-Z0-9]+$/.test(queued);
    for (const row of rows) {
      const parent = nudges.get(row.nudgeId!);
      if (!parent) continue;
      const matches =
        row.kind === 'reply'
          ? parent.channel === channel || row.channel === channel
          : row.kind === 'dm'
            ? row.channel === channel || (channel.startsWith('D') && row.channel === reactor)
            : row.channel === channel || byName(row.channel);
      if (matches)
        return {
          flagKey: parent.flagKey,
          kind: row.kind as FlagMessageKind,
          threadTs: row.kind === 'reply' ? (parent.ts ?? undefined) : undefined,
        };
    }
    return null;
  }

  /**
   * Writes a nudge change and its outbox intents in one transaction: either both happen or neither,
   * so a crash can neither lose a message nor enqueue it twice (idempotency keys are unique).
   * Returns the nudge id and the intents actually enqueued (already-known keys are skipped).
   */
  async applyNudgeChange(change: NudgeChange, now: Date): Promise<{ nudgeId: string; enqueued: string[] }> {
    return this.#prisma.$transaction(async (tx) => {
      let nudgeId: string;
      if ('create' in change.nudge) {
        const existing = await tx.nudge.findUnique({ where: { flagKey: change.nudge.create.flagKey } });
        if (existing) return { nudgeId: existing.id, enqueued: [] };
        nudgeId = randomUUID();
        await tx.nudge.create({ data: { id: nudgeId, ...change.nudge.create, createdAt: now, updatedAt: now } });
      } else {
        const { id, ...data } = change.nudge.update;
        nudgeId = id;
        await tx.nudge.update({ where: { id }, data: { ...data, updatedAt: now } });
      }
      const enqueued: string[] = [];
      for (const intent of change.intents) {
        if (await this.#enqueue(tx, { ...intent, nudgeId: intent.nudgeId ?? nudgeId }, now))
          enqueued.push(intent.idempotencyKey);
      }
      return { nudgeId, enqueued };
    });
  }

  async #enqueue(tx: Tx, intent: OutboxIntent, now: Date): Promise<boolean> {
    const existing = await tx.outboxMessage.findUnique({
      where: { idempotencyKey: intent.idempotencyKey },
      select: { id: true },
    });
    if (existing) return false;
    await tx.outboxMessage.create({
      data: {
        id: orderedId(now),
        idempotencyKey: intent.idempotencyKey,
        kind: intent.kind,
        channel: intent.channel,
        payload: JSON.stringify(intent.payload),
        state: 'pending',
        nextAttemptAt: intent.notBefore ?? now,
        nudgeId: intent.nudgeId ?? null,
        createdAt: now,
      },
    });
    return true;
  }

  /** Enqueue outside a nudge change (digest posts, DMs). False when the key was already known. */
  enqueue(intent: OutboxIntent, now: Date): Promise<boolean> {
    return this.#prisma.$transaction((tx) => this.#enqueue(tx, intent, now));
  }

  // ------------------------------------------------------------ outbox
  // A row is sent only by the holder of its claim (state `sending`, `claimedBy`, `claimUntil`): claiming is one
  // conditional write, so of any number of drainers exactly one wins; the claim is extended while the Slack call
  // runs, and only a claim that expired (its holder died or hung) may be settled by someone else.

  dueOutbox(now: Date, limit: number): Promise<OutboxMessage[]> {
    return this.#prisma.outboxMessage.findMany({
      where: { state: { in: ['pending', 'retry'] }, nextAttemptAt: { lte: now } },
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
      take: limit,
    });
  }

  /** Channels with at least one row due (cheap: no payloads are read). */
  async dueChannels(now: Date): Promise<string[]> {
    const rows = await this.#prisma.outboxMessage.groupBy({
      by: ['channel'],
      where: { state: { in: ['pending', 'retry'] }, nextAttemptAt: { lte: now } },
    });
    return rows.map((r) => r.channel);
  }

  /** The oldest due row of one channel (ids sort in creation order). */
  firstDue(channel: string, now: Date): Promise<OutboxMessage | null> {
    return this.#prisma.outboxMessage.findFirst({
      where: { channel, state: { in: ['pending', 'retry'] }, nextAttemptAt: { lte: now } },
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    });
  }

  /** The earliest queued row due after `after`. */
  async nextOutboxAt(after: Date): Promise<Date | undefined> {
    const row = await this.#prisma.outboxMessage.findFirst({
      where: { state: { in: ['pending', 'retry'] }, nextAttemptAt: { gt: after } },
      orderBy: { nextAttemptAt: 'asc' },
      select: { nextAttemptAt: true },
    });
    return row?.nextAttemptAt;
  }

  outboxInState(state: OutboxState): Promise<OutboxMessage[]> {
    return this.#prisma.outboxMessage.findMany({ where: { state }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
  }

  /**
   * Rows in `sending` whose claim has expired (or that predate claims): their holder died, hung, or could not
   * record the result. A live holder extends its claim, so its rows are never listed here.
   */
  expiredClaims(now: Date): Promise<OutboxMessage[]> {
    return this.#prisma.outboxMessage.findMany({
      where: { state: 'sending', OR: [{ claimUntil: { lt: now } }, { claimUntil: null }] },
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    });
  }

  /** When the earliest claim of a row in `sending` runs out (its holder sends it by then, or recovery settles it). */
  async nextClaimExpiry(): Promise<Date | undefined> {
    const row = await this.#prisma.outboxMessage.findFirst({
      where: { state: 'sending', claimUntil: { not: null } },
      orderBy: { claimUntil: 'asc' },
      select: { claimUntil: true },
    });
    return row?.claimUntil ?? undefined;
  }

  outboxByKey(idempotencyKey: string): Promise<OutboxMessage | null> {
    return this.#prisma.outboxMessage.findUnique({ where: { idempotencyKey } });
  }

  countOutbox(states: OutboxState[]): Promise<number> {
    return this.#prisma.outboxMessage.count({ where: { state: { in: states } } });
  }

  /** Claims a due row for sending (one attempt more); false if another drainer got there first. */
  async claim(id: string, holder: string, now: Date, until: Date): Promise<boolean> {
    const { count } = await this.#prisma.outboxMessage.updateMany({
      where: { id, state: { in: ['pending', 'retry'] }, nextAttemptAt: { lte: now } },
      data: { state: 'sending', claimedBy: holder, claimUntil: until, attempts: { increment: 1 } },
    });
    return count === 1;
  }

  /** Takes over a row whose claim expired (recovery); false when its holder renewed it or another took it. */
  async claimExpired(id: string, holder: string, now: Date, until: Date): Promise<boolean> {
    const { count } = await this.#prisma.outboxMessage.updateMany({
      where: { id, state: 'sending', OR: [{ claimUntil: { lt: now } }, { claimUntil: null }] },
      data: { claimedBy: holder, claimUntil: until },
    });
    return count === 1;
  }

  /** Heartbeat while the Slack call runs; false when the claim is no longer ours. */
  async extendClaim(id: string, holder: string, until: Date): Promise<boolean> {
    const { count } = await this.#prisma.outboxMessage.updateMany({
      where: { id, state: 'sending', claimedBy: holder },
      data: { claimUntil: until },
    });
    return count === 1;
  }

  /**
   * Gives a claimed row back to the queue, due at `nextAttemptAt` (unchanged when undefined, so a paused row
   * keeps its place in its channel's order). `refund` takes back the attempt the claim counted: the message was
   * not at fault (Slack's pace, a revoked token, a parent still on its way). False when the claim was not ours.
   */
  async release(
    id: string,
    holder: string,
    outcome: { nextAttemptAt?: Date | undefined; error: string; refund?: boolean },
  ): Promise<boolean> {
    const { count } = await this.#prisma.outboxMessage.updateMany({
      where: { id, state: 'sending', claimedBy: holder },
      data: {
        state: 'retry',
        claimedBy: null,
        claimUntil: null,
        lastError: outcome.error.slice(0, 1000),
        ...(outcome.nextAttemptAt ? { nextAttemptAt: outcome.nextAttemptAt } : {}),
        ...(outcome.refund ? { attempts: { decrement: 1 } } : {}),
      },
    });
    return count === 1;
  }

  /** Ends a claimed row for good (failed, with its reason). False when the claim was not ours. */
  async finish(id: string, holder: string, state: 'failed', error: string): Promise<boolean> {
    const { count } = await this.#prisma.outboxMessage.updateMany({
      where: { id, state: 'sending', claimedBy: holder },
      data: { state, claimedBy: null, claimUntil: null, lastError: error.slice(0, 1000) },
    });
    return count === 1;
  }

  /** Ends a queued row nobody has claimed: superseded by a newer update, or its parent failed for good. */
  async finalize(id: string, state: 'failed' | 'superseded', error: string | null): Promise<boolean> {
    const { count } = await this.#prisma.outboxMessage.updateMany({
      where: { id, state: { in: ['pending', 'retry'] } },
      data: { state, lastError: error?.slice(0, 1000) ?? null },
    });
    return count === 1;
  }

  /**
   * Records a delivered message, and on a nudge's first post its ts and resolved channel id. Unconditional on the
   * claim: the message is in Slack whoever holds the row now, and recording it keeps anyone from posting it again.
   */
  async markSent(
    row: Pick<OutboxMessage, 'id' | 'kind' | 'nudgeId' | 'channel'>,
    result: { ts?: string | undefined; channel?: string | undefined },
    now: Date,
  ): Promise<void> {
    await this.#prisma.$transaction(async (tx) => {
      await tx.outboxMessage.update({
        where: { id: row.id },
        data: {
          state: 'sent',
          resultTs: result.ts ?? null,
          sentAt: now,
          lastError: null,
          claimedBy: null,
          claimUntil: null,
        },
      });
      if (row.kind === 'post' && row.nudgeId && result.ts) {
        await tx.nudge.update({
          where: { id: row.nudgeId },
          data: { ts: result.ts, ...(result.channel ? { channel: result.channel } : {}), updatedAt: now },
        });
      }
      // A channel given by name (#support) becomes the id Slack answered with for every queued row, so
      // pacing, reaction matching and crash checks (which need ids) all see one channel.
      if (result.channel && result.channel !== row.channel && row.kind !== 'dm') {
        await tx.outboxMessage.updateMany({
          where: { channel: row.channel, state: { in: ['pending', 'retry', 'sending'] } },
          data: { channel: result.channel },
        });
      }
    });
  }

  /** A newer queued update of the same nudge makes this one pointless (chat.update replaces the whole message). */
  async hasNewerUpdate(row: Pick<OutboxMessage, 'id' | 'nudgeId' | 'createdAt'>): Promise<boolean> {
    if (!row.nudgeId) return false;
    const newer = await this.#prisma.outboxMessage.findFirst({
      where: {
        nudgeId: row.nudgeId,
        kind: 'update',
        state: { in: ['pending', 'retry'] },
        createdAt: { gt: row.createdAt },
        id: { not: row.id },
      },
      select: { id: true },
    });
    return newer !== null;
  }

  /**
   * Where a nudge's own post stands, for the rows that depend on it (updates, thread pings, DMs, escalations).
   * ONE statement reads the nudge's ts and its post row's state together: two reads let another drainer finish
   * the post in between, and a dependent would see "no ts" and "nothing pending" and fail for good.
   */
  async nudgeParent(nudgeId: string): Promise<NudgeParent> {
    const rows = await this.#prisma.$queryRaw<
      { ts: string | null; channel: string; state: string | null; lastError: string | null }[]
    >`SELECT n."ts" AS "ts", n."channel" AS "channel", p."state" AS "state", p."lastError" AS "lastError"
        FROM "Nudge" n LEFT JOIN "OutboxMessage" p ON p."nudgeId" = n."id" AND p."kind" = 'post'
       WHERE n."id" = ${nudgeId}`;
    const [row] = rows;
    if (!row) return { status: 'failed', reason: 'the nudge this refers to no longer exists' };
    if (row.ts) return { status: 'posted', ts: row.ts, channel: row.channel };
    if (row.state === 'pending' || row.state === 'retry' || row.state === 'sending') return { status: 'pending' };
    if (row.state === 'failed')
      return {
        status: 'failed',
        reason: `the nudge this refers to could not be posted (${row.lastError ?? 'unknown'})`,
      };
    return { status: 'failed', reason: 'the nudge this refers to was never posted' };
  }

  // ------------------------------------------------------------ flags seen from Slack

  flag(key: string): Promise<Flag | null> {
    return this.#prisma.flag.findUnique({ where: { key } });
  }

  flagsByKeys(keys: string[]): Promise<Flag[]> {
    return keys.length ? this.#prisma.flag.findMany({ where: { key: { in: keys } } }) : Promise.resolve([]);
  }

  openFlagsOfTicket(ticketId: string): Promise<Flag[]> {
    return this.#prisma.flag.findMany({
      where: { ticketId, state: { in: [...OPEN_FLAG_STATES] } },
      orderBy: { key: 'asc' },
    });
  }

  /** Open flags in key order after `afterKey` (keyset paging: every open flag is visited, however many). */
  openFlagsPage(afterKey: string, limit: number): Promise<Flag[]> {
    return this.#prisma.flag.findMany({
      where: { state: { in: [...OPEN_FLAG_STATES] }, key: { gt: afterKey } },
      orderBy: { key: 'asc' },
      take: limit,
    });
  }

  /** Flags no longer open whose nudge still shows an open state (it must be shown as done). */
  async flagsWithStaleNudges(limit = 1000): Promise<Flag[]> {
    const stale = await this.#prisma.nudge.findMany({
      where: { state: { in: [...OPEN_FLAG_STATES] } },
      select: { flagKey: true },
    });
    const keys = stale.map((n) => n.flagKey);
    const flags: Flag[] = [];
    for (let i = 0; i < keys.length && flags.length < limit; i += 500) {
      flags.push(
        ...(await this.#prisma.flag.findMany({
          where: { key: { in: keys.slice(i, i + 500) }, state: { notIn: [...OPEN_FLAG_STATES] } },
        })),
      );
    }
    return flags.slice(0, limit);
  }

  /** Marks a nudge as checked against its flag when nothing visible changed. */
  async touchNudge(id: string, now: Date): Promise<void> {
    await this.#prisma.nudge.update({ where: { id }, data: { updatedAt: now } });
  }

  async updateFlagSlackFields(key: string, data: FlagSlackFields, now: Date): Promise<void> {
    await this.#prisma.flag.update({ where: { key }, data: { ...data, updatedAt: now } });
  }

  /**
   * One person's act on a flag, atomically: the flag is locked (PostgreSQL: `SELECT … FOR UPDATE`; SQLite: the
   * transaction writes first, so it holds the database's write lock from its first statement), then `plan` sees
   * the flag as it is now with the last act of the same kind applied to it, and what it decides — the flag's
   * change, the new last act, the audit entry — is written before the lock is released. Acts on one flag from
   * any number of replicas therefore apply one after the other, each seeing the one before. `plan` must be
   * synchronous (no I/O while the flag is held). Undefined when the flag no longer exists.
   */
  async applyFlagAction(
    key: string,
    kind: string | undefined,
    plan: (current: { flag: Flag; last: SlackActionMark | undefined }) => FlagActionPlan,
    now: Date,
  ): Promise<{ flag: Flag; plan: FlagActionPlan } | undefined> {
    return this.#prisma.$transaction(
      async (tx) => {
        if (this.#provider === 'postgresql') {
          await tx.$queryRaw`SELECT "key" FROM "Flag" WHERE "key" = ${key} FOR UPDATE`;
        } else {
          await tx.$executeRaw`UPDATE "Flag" SET "key" = "key" WHERE "key" = ${key}`;
        }
        const flag = await tx.flag.findUnique({ where: { key } });
        if (!flag) return undefined;
        const last = kind
          ? ((await tx.slackActionMark.findUnique({ where: { flagKey_kind: { flagKey: key, kind } } })) ?? undefined)
          : undefined;
        const decided = plan({ flag, last });
        if (decided.change) await tx.flag.update({ where: { key }, data: { ...decided.change, updatedAt: now } });
        if (decided.mark) {
          const { kind: markKind, slackTs, actor } = decided.mark;
          await tx.slackActionMark.upsert({
            where: { flagKey_kind: { flagKey: key, kind: markKind } },
            create: { flagKey: key, kind: markKind, slackTs, actor, at: now },
            update: { slackTs, actor, at: now },
          });
        }
        await tx.auditEntry.create({ data: auditRow(decided.audit) });
        return { flag, plan: decided };
      },
      // Acts on one busy flag queue behind each other; each holds the lock for a few statements.
      { maxWait: 10_000, timeout: 10_000 },
    );
  }

  /**
   * The email of the HubSpot owner of the ticket a flag is about (a feedback flag: its linked ticket's), for
   * finding the owner in Slack. Undefined when there is no ticket, no owner or no email.
   */
  async ticketOwnerEmail(flag: Pick<Flag, 'ticketId' | 'feedbackId'>): Promise<string | undefined> {
    let ticketId = flag.ticketId;
    if (!ticketId && flag.feedbackId) {
      const feedback = await this.#prisma.feedbackSubmission.findUnique({
        where: { id: flag.feedbackId },
        select: { ticketId: true },
      });
      ticketId = feedback?.ticketId ?? null;
    }
    if (!ticketId) return undefined;
    const ticket = await this.#prisma.ticket.findUnique({ where: { id: ticketId }, select: { ownerId: true } });
    if (!ticket?.ownerId) return undefined;
    const owner = await this.#prisma.owner.findUnique({ where: { id: ticket.ownerId }, select: { email: true } });
    return owner?.email ?? undefined;
  }

  // ------------------------------------------------------------ audit and deduplication

  async audit(entry: AuditInput): Promise<void> {
    await this.#prisma.auditEntry.create({ data: auditRow(entry) });
  }

  auditFor(target: string): Promise<AuditEntry[]> {
    return this.#prisma.auditEntry.findMany({ where: { target }, orderBy: [{ at: 'asc' }, { id: 'asc' }] });
  }

  auditForActor(target: string, actor: string, source: string): Promise<AuditEntry[]> {
    return this.#prisma.auditEntry.findMany({
      where: { target, actor, source },
      orderBy: [{ at: 'asc' }, { id: 'asc' }],
    });
  }

  /** True the first time an event id is seen (Slack redelivers events; the second delivery must change nothing). */
  async firstDelivery(source: string, id: string, now: Date): Promise<boolean> {
    try {
      await this.#prisma.processedEvent.create({ data: { source, id, receivedAt: now } });
      return true;
    } catch (error) {
      if ((error as { code?: string }).code === 'P2002') return false;
      throw error;
    }
  }

  /**
   * Forgets an event id recorded by `firstDelivery` whose handling then failed, so Slack's retry of it is
   * handled instead of being dropped as a duplicate.
   */
  async forgetDelivery(source: string, id: string): Promise<void> {
    await this.#prisma.processedEvent.deleteMany({ where: { source, id } });
  }

  // ------------------------------------------------------------ Slack users and settings

  slackUser(email: string) {
    return this.#prisma.slackUser.findUnique({ where: { email: email.toLowerCase() } });
  }

  async saveSlackUser(email: string, slackUserId: string | null, now: Date): Promise<void> {
    const key = email.toLowerCase();
    await this.#prisma.slackUser.upsert({
      where: { email: key },
      create: { email: key, slackUserId, checkedAt: now },
      update: { slackUserId, checkedAt: now },
    });
  }

  async emailsOfSlackUser(slackUserId: string): Promise<string[]> {
    const rows = await this.#prisma.slackUser.findMany({ where: { slackUserId }, select: { email: true } });
    return rows.map((r) => r.email);
  }

  async mutedUntil(slackUserId: string): Promise<Date | undefined> {
    const row = await this.#prisma.userSetting.findUnique({ where: { slackUserId } });
    return row?.mutedUntil ?? undefined;
  }

  async setMutedUntil(slackUserId: string, mutedUntil: Date | null, now: Date): Promise<void> {
    await this.#prisma.userSetting.upsert({
      where: { slackUserId },
      create: { slackUserId, mutedUntil, updatedAt: now },
      update: { mutedUntil, updatedAt: now },
    });
  }
}

function auditRow(entry: AuditInput) {
  return {
    id: randomUUID(),
    at: entry.at,
    actor: entry.actor,
    action: entry.action,
    target: entry.target,
    source: entry.source,
    detail: JSON.stringify(entry.detail ?? {}),
  };
}
