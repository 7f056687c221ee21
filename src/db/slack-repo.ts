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
  Rollup,
  RollupEntry,
  SlackActionMark,
  Ticket,
} from '../generated/sqlite/client.ts';
import type { Db } from './client.ts';

export type {
  AuditEntry,
  ClockState,
  FeedbackSubmission,
  Flag,
  Nudge,
  OutboxMessage,
  Owner,
  Rollup,
  RollupEntry,
  SlackActionMark,
  Ticket,
};

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
  /**
   * The row this one waits for (a thread ping's, DM's or escalation's nudge post; the message an update
   * replaces). In a nudge change, undefined means "the nudge's own post, if it has one"; null means none.
   */
  parentId?: string | null | undefined;
  /** The burst budget this message spends from (see NudgeChange.budgets). */
  budgetScope?: string | undefined;
  /** Defaults to now: when the message may go out (quiet hours, snoozes). */
  notBefore?: Date | undefined;
  /**
   * An update whose message has not gone out yet (queued, waiting for Slack) changes that message instead of
   * following it: `fold` (the default) rewrites the queued message, so it goes out saying what is true now, never
   * first saying what no longer is; `withdraw` takes it back — a ping or DM about a ticket that ended, moved or
   * changed owner before anyone was notified is not sent at all.
   */
  whenUnsent?: 'fold' | 'withdraw' | undefined;
}

/** A dependent's view of the message it waits for (see SlackRepo.parentOf). */
export type ParentMessage =
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

/** Nudge columns a change may write. */
export type NudgeFields = Partial<
  Pick<
    Nudge,
    'state' | 'level' | 'renderHash' | 'companionHash' | 'pingedUser' | 'postId' | 'channel' | 'cover' | 'coverCheckAt'
  >
>;

/** A flag listed in a Rollup instead of (or besides) a message of its own. */
export interface RollupRequest {
  kind: 'backlog' | 'overflow';
  /** team:<name> for a backlog summary; the budget scope (channel:… / person:…) for an overflow. */
  scope: string;
  channel: string;
  team?: string | undefined;
  flagKey: string;
  step: number;
}

/**
 * Burst budgets, spent inside the transaction: at most `limit` budgeted messages (rows carrying the scope, and
 * rollups of the scope not yet posted) in any `windowMs`. Individual messages may take a slot while fewer than
 * limit − 1 are used, so the last one is left for the scope's "and N more" message.
 */
export interface BudgetPlan {
  windowMs: number;
  /** Limit per budget scope touched (channel:…, person:…). */
  limits: Record<string, number>;
  /** Extra lock scopes (team:<name> for backlog summaries). */
  locks?: string[];
  /** How long a backlog summary takes new tickets after its last one. */
  backlogGapMs: number;
  /** Decides, synchronously, with the flag's budgets held. */
  decide(budget: Budget): { intents: OutboxIntent[]; rollups: RollupRequest[]; nudge: NudgeFields };
}

export interface Budget {
  /** Takes a slot for an individual message when one is free (leaving the last for the "and N more"). */
  take(scope: string): boolean;
  /** Whether take(scope) would succeed, without taking. */
  hasRoom(scope: string): boolean;
}

export interface NudgeChange {
  /** Create (no id yet) or update the nudge. */
  nudge:
    | {
        create: {
          id?: string;
          flagKey: string;
          team?: string;
          channel: string;
          state: string;
          level: number;
          renderHash: string;
        } & NudgeFields;
      }
    | { update: { id: string } & NudgeFields };
  intents: OutboxIntent[];
  budgets?: BudgetPlan | undefined;
  /**
   * The nudge as the plan was made from it: when another process has taken a step since (its level, its own
   * post, whom it pinged), nothing is written — that process's plan stands.
   */
  expect?: Pick<Nudge, 'level' | 'postId' | 'pingedUser'> | undefined;
}

export interface ApplyResult {
  nudgeId: string;
  enqueued: string[];
  /** False when another process got there first (the flag's current nudge, a message's key): nothing written. */
  applied: boolean;
  rollups: RollupRequest[];
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

/** A budget as the transaction sees it (the rollups it creates take their slot too). */
interface TxBudget extends Budget {
  since: Date;
  used: Map<string, number>;
  limits: Record<string, number>;
}

/** The budget a rollup's own message spends from: its scope, or for a backlog summary its channel's. */
export function rollupBudgetScope(rollup: Pick<Rollup, 'kind' | 'scope' | 'channel'>): string {
  return rollup.kind === 'overflow' ? rollup.scope : `channel:${rollup.channel}`;
}

type Tx = Omit<PrismaClient, '$connect' | '$disconnect' | '$on' | '$transaction' | '$extends'>;

const isUniqueViolation = (error: unknown) => (error as { code?: string } | undefined)?.code === 'P2002';
const DEPENDENT_KINDS: readonly OutboxKind[] = ['reply', 'dm', 'escalate', 'update'];
const QUEUED: OutboxState[] = ['pending', 'retry', 'sending'];

export class SlackRepo {
  readonly #prisma: PrismaClient;
  readonly #provider: Db['provider'];

  constructor(db: Pick<Db, 'prisma' | 'provider'>) {
    this.#prisma = db.prisma;
    this.#provider = db.provider;
  }

  // ------------------------------------------------------------ nudges

  /** The flag's current nudge (a flag that moved team has retired ones too). */
  nudgeByFlagKey(flagKey: string): Promise<Nudge | null> {
    return this.#prisma.nudge.findUnique({ where: { activeKey: flagKey } });
  }

  /** Current nudges of the given flags. */
  nudgesByFlagKeys(flagKeys: string[]): Promise<Nudge[]> {
    return flagKeys.length
      ? this.#prisma.nudge.findMany({ where: { activeKey: { in: flagKeys } } })
      : Promise.resolve([]);
  }

  /** Every nudge a flag has had, oldest first (one per team it was in). */
  nudgesOfFlag(flagKey: string): Promise<Nudge[]> {
    return this.#prisma.nudge.findMany({ where: { flagKey }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
  }

  nudgeById(id: string): Promise<Nudge | null> {
    return this.#prisma.nudge.findUnique({ where: { id } });
  }

  /** The nudge a reaction or button refers to; undefined for any message that is not one of Heed's nudges. */
  async nudgeByMessage(channel: string, ts: string): Promise<Nudge | null> {
    return this.#prisma.nudge.findFirst({ where: { channel, ts } });
  }

  /** A nudge's thread pings, DMs and escalations that went out or are on their way (their updates excluded). */
  companionsOf(nudgeId: string): Promise<OutboxMessage[]> {
    return this.#prisma.outboxMessage.findMany({
      where: { nudgeId, kind: { in: ['reply', 'dm', 'escalate'] }, state: { in: ['sent', ...QUEUED] } },
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    });
  }

  /**
   * The flag any of Heed's messages about it refers to — the nudge (current or retired), its thread ping, the
   * escalation post, the owner's DM — from the (channel, ts) a reaction names: the channel and ts Slack
   * answered with when the outbox sent it. Messages about no flag (digests, summaries) match nothing.
   */
  async flagForMessage(message: { channel: string; ts: string }): Promise<FlagMessage | null> {
    const { channel, ts } = message;
    const row = await this.#prisma.outboxMessage.findFirst({
      where: {
        resultTs: ts,
        resultChannel: channel,
        nudgeId: { not: null },
        kind: { in: ['post', 'reply', 'escalate', 'dm'] },
      },
      select: { kind: true, nudgeId: true },
    });
    if (!row) {
      // A nudge posted before Heed recorded the answered channel on its row.
      const nudge = await this.#prisma.nudge.findFirst({ where: { channel, ts }, select: { flagKey: true } });
      return nudge ? { flagKey: nudge.flagKey, kind: 'nudge' } : null;
    }
    const nudge = await this.#prisma.nudge.findUnique({
      where: { id: row.nudgeId! },
      select: { flagKey: true, ts: true },
    });
    if (!nudge) return null;
    const kind: FlagMessageKind = row.kind === 'post' ? 'nudge' : (row.kind as FlagMessageKind);
    return { flagKey: nudge.flagKey, kind, threadTs: kind === 'reply' ? (nudge.ts ?? undefined) : undefined };
  }

  /**
   * Writes a nudge change and its outbox intents in one transaction: either both happen or neither, so a crash
   * can neither lose a message nor enqueue it twice (idempotency keys are unique). With `budgets`, the scopes'
   * lock rows are written first (in a fixed order: replicas deciding for the same channel or person take turns),
   * then `decide` sees what is left of each budget, and the rollups it asks for are found or created under the
   * same locks. A concurrent reconciler that got there first (the flag's current nudge, an idempotency key)
   * makes this one a no-op: `applied: false`, nothing enqueued.
   */
  async applyNudgeChange(change: NudgeChange, now: Date): Promise<ApplyResult> {
    try {
      return await this.#prisma.$transaction((tx) => this.#applyNudgeChange(tx, change, now), {
        maxWait: 10_000,
        timeout: 20_000,
      });
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      // Another reconciler created the same nudge or queued the same message first: what it wrote stands.
      const flagKey = 'create' in change.nudge ? change.nudge.create.flagKey : undefined;
      const existing = flagKey ? await this.nudgeByFlagKey(flagKey) : undefined;
      const nudgeId = existing?.id ?? ('update' in change.nudge ? change.nudge.update.id : '');
      return { nudgeId, enqueued: [], applied: false, rollups: [] };
    }
  }

  async #applyNudgeChange(tx: Tx, change: NudgeChange, now: Date): Promise<ApplyResult> {
    const plan = change.budgets;
    if (plan) {
      const scopes = [...new Set([...Object.keys(plan.limits), ...(plan.locks ?? [])])].sort();
      for (const scope of scopes) {
        await tx.burstLock.upsert({ where: { scope }, create: { scope, touchedAt: now }, update: { touchedAt: now } });
      }
    }
    let nudgeId: string;
    let nudge: Nudge;
    if ('create' in change.nudge) {
      const { id, ...create } = change.nudge.create;
      const existing = await tx.nudge.findUnique({ where: { activeKey: create.flagKey } });
      if (existing) return { nudgeId: existing.id, enqueued: [], applied: false, rollups: [] };
      nudgeId = id ?? randomUUID();
      nudge = await tx.nudge.create({
        data: { id: nudgeId, activeKey: create.flagKey, ...create, createdAt: now, updatedAt: now },
      });
    } else {
      const { id, ...data } = change.nudge.update;
      nudgeId = id;
      const seen = change.expect;
      if (seen) {
        const current = await tx.nudge.findUnique({ where: { id } });
        if (
          !current ||
          current.level !== seen.level ||
          current.postId !== seen.postId ||
          current.pingedUser !== seen.pingedUser
        )
          return { nudgeId: id, enqueued: [], applied: false, rollups: [] };
      }
      nudge = await tx.nudge.update({ where: { id }, data: { ...data, updatedAt: now } });
    }
    const intents = [...change.intents];
    const rollups: RollupRequest[] = [];
    let extra: NudgeFields = {};
    let budget: TxBudget | undefined;
    if (plan) {
      budget = await this.#budget(tx, plan, now);
      const decided = plan.decide(budget);
      intents.push(...decided.intents);
      rollups.push(...decided.rollups);
      extra = decided.nudge;
    }
    const enqueued: string[] = [];
    let postId = extra.postId ?? nudge.postId;
    for (const intent of intents) {
      const id = orderedId(now);
      const own = intent.kind === 'post' && (intent.nudgeId ?? nudgeId) === nudgeId;
      const parentId =
        intent.parentId !== undefined ? intent.parentId : DEPENDENT_KINDS.includes(intent.kind) ? postId : null;
      if (await this.#enqueue(tx, { ...intent, nudgeId: intent.nudgeId ?? nudgeId, parentId }, now, id)) {
        enqueued.push(intent.idempotencyKey);
        if (own) postId = id;
      } else if (own) {
        // Queued already (another reconciler): its row is the post the rest waits for.
        const known = await tx.outboxMessage.findUnique({
          where: { idempotencyKey: intent.idempotencyKey },
          select: { id: true },
        });
        postId = known?.id ?? postId;
      }
    }
    for (const request of rollups) await this.#addToRollup(tx, request, plan!, budget!, now);
    if (postId !== nudge.postId || Object.keys(extra).length > 0) {
      await tx.nudge.update({ where: { id: nudgeId }, data: { ...extra, postId, updatedAt: now } });
    }
    return { nudgeId, enqueued, applied: true, rollups };
  }

  /** What each budget scope has used in the window, counted once the scope's lock row is held. */
  async #budget(tx: Tx, plan: BudgetPlan, now: Date): Promise<TxBudget> {
    const since = new Date(now.getTime() - plan.windowMs);
    const used = new Map<string, number>();
    // A rollup created but not yet posted holds its slot already.
    const unposted = await tx.rollup.findMany({
      where: { postId: null, createdAt: { gt: since } },
      select: { kind: true, scope: true, channel: true },
    });
    for (const scope of Object.keys(plan.limits)) {
      // What Slack received in the window, and what is still waiting to go out (however long ago it was queued):
      // during an outage or a credential pause the queue does not grow past the budget, so the recovery is no
      // storm either.
      const rows = await tx.outboxMessage.count({
        where: { budgetScope: scope, OR: [{ state: { in: QUEUED } }, { sentAt: { gt: since } }] },
      });
      used.set(scope, rows + unposted.filter((r) => rollupBudgetScope(r) === scope).length);
    }
    const hasRoom = (scope: string): boolean => {
      const limit = plan.limits[scope];
      return limit === undefined || (used.get(scope) ?? 0) < limit - 1;
    };
    return {
      since,
      used,
      limits: plan.limits,
      take(scope: string): boolean {
        if (!hasRoom(scope)) return false;
        if (plan.limits[scope] !== undefined) used.set(scope, (used.get(scope) ?? 0) + 1);
        return true;
      },
      hasRoom,
    };
  }

  /** Lists a flag in the rollup its request names: the scope's current one, or a new one when none is current. */
  async #addToRollup(tx: Tx, request: RollupRequest, plan: BudgetPlan, budget: TxBudget, now: Date): Promise<void> {
    let rollup: Rollup | null;
    if (request.kind === 'backlog') {
      // A wave: tickets found late within the gap of the last ones join its summary.
      rollup = await tx.rollup.findFirst({
        where: {
          kind: 'backlog',
          scope: request.scope,
          lastAddedAt: { gt: new Date(now.getTime() - plan.backlogGapMs) },
        },
        orderBy: { createdAt: 'desc' },
      });
      if (!rollup) {
        const waves = await tx.rollup.count({ where: { kind: 'backlog', scope: request.scope } });
        rollup = await this.#createRollup(tx, request, now, waves + 1);
        const scope = rollupBudgetScope(rollup);
        budget.used.set(scope, (budget.used.get(scope) ?? 0) + 1);
      }
    } else {
      // The scope's "and N more" of this window; a new one only while the budget has its slot left; else the
      // latest one, however old, is updated again — the scope never gets more than its budget.
      rollup = await tx.rollup.findFirst({
        where: { kind: 'overflow', scope: request.scope, createdAt: { gt: budget.since } },
        orderBy: { createdAt: 'desc' },
      });
      const used = budget.used.get(request.scope) ?? 0;
      const limit = budget.limits[request.scope] ?? Number.POSITIVE_INFINITY;
      if (!rollup && used >= limit) {
        rollup = await tx.rollup.findFirst({
          where: { kind: 'overflow', scope: request.scope },
          orderBy: { createdAt: 'desc' },
        });
      }
      if (!rollup) {
        rollup = await this.#createRollup(tx, request, now, 1);
        budget.used.set(request.scope, used + 1);
      }
    }
    const entry = { rollupId: rollup.id, flagKey: request.flagKey };
    const existing = await tx.rollupEntry.findUnique({ where: { rollupId_flagKey: entry } });
    if (existing) {
      if (request.step > existing.step)
        await tx.rollupEntry.update({ where: { rollupId_flagKey: entry }, data: { step: request.step } });
    } else {
      await tx.rollupEntry.create({ data: { ...entry, step: request.step, addedAt: now } });
    }
    await tx.rollup.update({ where: { id: rollup.id }, data: { lastAddedAt: now, settled: false } });
  }

  #createRollup(tx: Tx, request: RollupRequest, now: Date, wave: number): Promise<Rollup> {
    return tx.rollup.create({
      data: {
        id: orderedId(now),
        kind: request.kind,
        scope: request.scope,
        channel: request.channel,
        team: request.team ?? null,
        wave,
        lastAddedAt: now,
        createdAt: now,
        updatedAt: now,
      },
    });
  }

  /** Retires a flag's current nudge (its ticket moved team); false when another process did first. */
  /**
   * Retires a nudge whose ticket moved team and queues the edits that say where it went, in one transaction: a
   * crash between the two would leave its messages saying "Breached" for good (retired nudges are not revisited).
   * False when another reconciler retired it first (nothing is queued then).
   */
  async retireNudge(id: string, movedTo: string, intents: OutboxIntent[], now: Date): Promise<boolean> {
    return this.#prisma.$transaction(async (tx) => {
      const { count } = await tx.nudge.updateMany({
        where: { id, activeKey: { not: null } },
        data: { activeKey: null, retiredAt: now, movedTo, updatedAt: now },
      });
      if (count !== 1) return false;
      for (const intent of intents) await this.#enqueue(tx, intent, now);
      return true;
    });
  }

  /**
   * Queues intents outside a nudge's own change (updates of its companions, a rollup's post or update).
   * Returns the keys actually enqueued (already-known keys are skipped).
   */
  async enqueueAll(intents: OutboxIntent[], now: Date): Promise<string[]> {
    try {
      return await this.#prisma.$transaction(async (tx) => {
        const enqueued: string[] = [];
        for (const intent of intents) if (await this.#enqueue(tx, intent, now)) enqueued.push(intent.idempotencyKey);
        return enqueued;
      });
    } catch (error) {
      if (isUniqueViolation(error)) return [];
      throw error;
    }
  }

  async #enqueue(tx: Tx, intent: OutboxIntent, now: Date, id = orderedId(now)): Promise<boolean> {
    const existing = await tx.outboxMessage.findUnique({
      where: { idempotencyKey: intent.idempotencyKey },
      select: { id: true },
    });
    if (existing) return false;
    if (intent.kind === 'update' && intent.parentId && (await this.#changeUnsent(tx, intent))) return true;
    await tx.outboxMessage.create({
      data: {
        id,
        idempotencyKey: intent.idempotencyKey,
        kind: intent.kind,
        channel: intent.channel,
        payload: JSON.stringify(intent.payload),
        state: 'pending',
        nextAttemptAt: intent.notBefore ?? now,
        nudgeId: intent.nudgeId ?? null,
        parentId: intent.parentId ?? null,
        budgetScope: intent.budgetScope ?? null,
        createdAt: now,
      },
    });
    return true;
  }

  /**
   * An update of a message that is still queued (pending or retry: no drainer holds it) changes that row, in this
   * transaction and only while it stays unclaimed (the state is part of the write), so a drainer sends either
   * the old row followed by the update, or the changed row alone. True when the row was changed.
   */
  async #changeUnsent(tx: Tx, intent: OutboxIntent): Promise<boolean> {
    const unsent: OutboxState[] = ['pending', 'retry'];
    const parent = await tx.outboxMessage.findFirst({
      where: { id: intent.parentId!, state: { in: unsent }, kind: { not: 'update' } },
      select: { payload: true },
    });
    if (!parent) return false;
    if (intent.whenUnsent === 'withdraw') {
      const { count } = await tx.outboxMessage.updateMany({
        where: { id: intent.parentId!, state: { in: unsent } },
        data: {
          state: 'superseded',
          lastError: 'withdrawn before it was sent: the ticket ended, moved or changed owner',
          claimedBy: null,
          claimUntil: null,
        },
      });
      return count === 1;
    }
    // The queued message keeps what only a post has (its metadata, thread, unfurl settings); its words are the
    // update's.
    const queued = JSON.parse(parent.payload) as Record<string, unknown>;
    const { text, blocks, attachments } = intent.payload as Record<string, unknown>;
    const payload: Record<string, unknown> = { ...queued, text };
    if (blocks !== undefined) payload['blocks'] = blocks;
    if (attachments !== undefined) payload['attachments'] = attachments;
    const { count } = await tx.outboxMessage.updateMany({
      where: { id: intent.parentId!, state: { in: unsent } },
      data: { payload: JSON.stringify(payload) },
    });
    return count === 1;
  }

  /** Enqueue outside a nudge change (digest posts, DMs). False when the key was already known. */
  enqueue(intent: OutboxIntent, now: Date): Promise<boolean> {
    return this.#prisma.$transaction((tx) => this.#enqueue(tx, intent, now));
  }

  // ------------------------------------------------------------ rollups

  /** Rollups that may still change (some flag in them is not done, or they were never posted). */
  unsettledRollups(): Promise<Rollup[]> {
    return this.#prisma.rollup.findMany({ where: { settled: false }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
  }

  /** Unsettled rollups listing any of the given flags. */
  async rollupsOfFlags(flagKeys: string[]): Promise<Rollup[]> {
    if (flagKeys.length === 0) return [];
    const entries = await this.#prisma.rollupEntry.findMany({
      where: { flagKey: { in: flagKeys } },
      select: { rollupId: true },
    });
    const ids = [...new Set(entries.map((e) => e.rollupId))];
    return ids.length ? this.#prisma.rollup.findMany({ where: { id: { in: ids }, settled: false } }) : [];
  }

  rollupById(id: string): Promise<Rollup | null> {
    return this.#prisma.rollup.findUnique({ where: { id } });
  }

  rollupEntries(rollupId: string): Promise<RollupEntry[]> {
    return this.#prisma.rollupEntry.findMany({
      where: { rollupId },
      orderBy: [{ addedAt: 'asc' }, { flagKey: 'asc' }],
    });
  }

  /** Every rollup a flag is listed in (tests, `/heed whois`). */
  async rollupsOfFlag(flagKey: string): Promise<Rollup[]> {
    const entries = await this.#prisma.rollupEntry.findMany({ where: { flagKey }, select: { rollupId: true } });
    return entries.length
      ? this.#prisma.rollup.findMany({
          where: { id: { in: entries.map((e) => e.rollupId) } },
          orderBy: { createdAt: 'asc' },
        })
      : [];
  }

  /**
   * Queues a rollup's post (the first time) or the update of its message, and records what it now shows.
   * The post spends from the rollup's budget scope (its slot was held since the rollup was created).
   */
  async saveRollupRender(
    rollup: Pick<Rollup, 'id' | 'postId' | 'channel' | 'kind' | 'scope'>,
    render: { payload: Record<string, unknown>; renderHash: string; settled: boolean },
    now: Date,
  ): Promise<'posted' | 'updated' | 'raced'> {
    try {
      return await this.#saveRollupRender(rollup, render, now);
    } catch (error) {
      // Another reconciler queued the same post at the same moment: its message stands.
      if (isUniqueViolation(error)) return 'raced';
      throw error;
    }
  }

  #saveRollupRender(
    rollup: Pick<Rollup, 'id' | 'postId' | 'channel' | 'kind' | 'scope'>,
    render: { payload: Record<string, unknown>; renderHash: string; settled: boolean },
    now: Date,
  ): Promise<'posted' | 'updated'> {
    return this.#prisma.$transaction(async (tx) => {
      const current = await tx.rollup.findUnique({ where: { id: rollup.id } });
      if (!current) return 'updated';
      if (!current.postId) {
        const key = `rollup:${rollup.id}:post`;
        const queued = await this.#enqueue(
          tx,
          {
            idempotencyKey: key,
            kind: /^[UW]/.test(rollup.channel) ? 'dm' : 'post',
            channel: rollup.channel,
            payload: render.payload,
            budgetScope: rollupBudgetScope(current),
          },
          now,
        );
        // Queued here, or by another reconciler a moment ago: either way the row with its key is the message.
        const post = await tx.outboxMessage.findUnique({ where: { idempotencyKey: key }, select: { id: true } });
        await tx.rollup.update({
          where: { id: rollup.id },
          data: { postId: post!.id, renderHash: render.renderHash, settled: render.settled, updatedAt: now },
        });
        if (!queued) return 'updated';
        return 'posted';
      }
      await this.#enqueue(
        tx,
        {
          idempotencyKey: `rollup:${rollup.id}:update:${randomUUID()}`,
          kind: 'update',
          channel: rollup.channel,
          payload: render.payload,
          parentId: current.postId,
        },
        now,
      );
      await tx.rollup.update({
        where: { id: rollup.id },
        data: { renderHash: render.renderHash, settled: render.settled, updatedAt: now },
      });
      return 'updated';
    });
  }

  /** Marks a rollup as checked when what it shows did not change. */
  async touchRollup(id: string, settled: boolean, now: Date): Promise<void> {
    await this.#prisma.rollup.update({ where: { id }, data: { settled, updatedAt: now } });
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
   * Records a delivered message — the ts and the channel Slack answered with (a DM queued to a user id lives in
   * a D… channel), which later updates and reactions use — and on a nudge's first post its ts and channel id.
   * Unconditional on the claim: the message is in Slack whoever holds the row now, and recording it keeps anyone
   * from posting it again.
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
          resultChannel: result.channel ?? (/^[CGD][A-Z0-9]+$/.test(row.channel) ? row.channel : null),
          sentAt: now,
          lastError: null,
          claimedBy: null,
          claimUntil: null,
        },
      });
      if (row.kind === 'post' && row.nudgeId && result.ts) {
        await tx.nudge.updateMany({
          where: { id: row.nudgeId, OR: [{ postId: row.id }, { postId: null }] },
          data: { ts: result.ts, ...(result.channel ? { channel: result.channel } : {}) },
        });
      }
      // A channel given by name (#support) becomes the id Slack answered with for every queued row, so
      // pacing, reaction matching and crash checks (which need ids) all see one channel.
      if (result.channel && result.channel !== row.channel && row.kind !== 'dm' && !/^[UW]/.test(row.channel)) {
        await tx.outboxMessage.updateMany({
          where: { channel: row.channel, state: { in: ['pending', 'retry', 'sending'] } },
          data: { channel: result.channel },
        });
      }
    });
  }

  /** A newer queued update of the same message makes this one pointless (chat.update replaces the whole message). */
  async hasNewerUpdate(row: Pick<OutboxMessage, 'id' | 'parentId' | 'createdAt'>): Promise<boolean> {
    if (!row.parentId) return false;
    const newer = await this.#prisma.outboxMessage.findFirst({
      where: {
        parentId: row.parentId,
        kind: 'update',
        state: { in: ['pending', 'retry'] },
        OR: [{ createdAt: { gt: row.createdAt } }, { createdAt: row.createdAt, id: { gt: row.id } }],
      },
      select: { id: true },
    });
    return newer !== null;
  }

  /**
   * Where the message a dependent waits for stands (a thread ping's nudge, an update's message): ONE read of its
   * row gives its state and its ts together, so another drainer finishing it in between cannot make it look
   * neither sent nor pending.
   */
  async parentOf(parentId: string): Promise<ParentMessage> {
    const row = await this.#prisma.outboxMessage.findUnique({
      where: { id: parentId },
      select: {
        state: true,
        resultTs: true,
        resultChannel: true,
        channel: true,
        lastError: true,
        kind: true,
        nudgeId: true,
      },
    });
    const what = row?.kind === 'post' && row.nudgeId ? 'the nudge' : 'the message';
    if (!row) return { status: 'failed', reason: 'the message this refers to no longer exists' };
    if (row.state === 'sent' && row.resultTs)
      return { status: 'posted', ts: row.resultTs, channel: row.resultChannel ?? row.channel };
    if (row.state === 'pending' || row.state === 'retry' || row.state === 'sending') return { status: 'pending' };
    if (row.state === 'failed')
      return { status: 'failed', reason: `${what} this refers to could not be posted (${row.lastError ?? 'unknown'})` };
    return { status: 'failed', reason: `${what} this refers to was never posted` };
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

  /**
   * Flags whose current nudge may show something out of date: the flag changed after the nudge was last checked
   * (it ended, moved team, was handled) or is in another state than the nudge shows, or its ticket was synced
   * since (a new owner). Open or not.
   */
  async flagsWithStaleNudges(limit = 1000): Promise<Flag[]> {
    const rows = await this.#prisma.$queryRaw<{ key: string }[]>`
      SELECT f."key" AS "key" FROM "Nudge" n JOIN "Flag" f ON f."key" = n."activeKey"
       WHERE f."updatedAt" > n."updatedAt" OR f."state" <> n."state"
          OR (n."state" <> 'resolved' AND EXISTS (
                SELECT 1 FROM "Ticket" t WHERE t."id" = f."ticketId" AND t."syncedAt" > n."updatedAt"))
       ORDER BY f."key" LIMIT ${limit}`;
    return this.flagsByKeys(rows.map((r) => r.key));
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
