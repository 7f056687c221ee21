// What the SLA engine reads (tickets, stage history, messages, feedback, its own previous results) and writes
// (ClockState and Flag rows). Raw SQL on purpose: an evaluation reads 20,000 open tickets and writes whatever
// changed within a second, which Prisma's per-row runtime cannot do (see ../shared/docs/prisma-offline.md). The same
// SQL runs on SQLite (the connection Prisma's adapter uses) and PostgreSQL (its pool); writes are a prepared
// statement in one transaction on SQLite and UNNEST multi-row upserts on PostgreSQL.

import { SENDER_KINDS, type TMessageType, type TSenderKind } from '../domain/conversation.ts';
import type {
  ClockName,
  ClockStateName,
  EscalationLevel,
  FlagKind,
  FlagOrigin,
  FlagOutcome,
  FlagState,
} from '../domain/flag.ts';
import type { TEngineFlag, TStoredFlag } from '../domain/flag-machine.ts';
import type { TStagePeriod, TTicketFacts, TTicketMessage } from '../domain/sla-clocks.ts';
import { type DbDriver, pgTransaction, sqliteWrite } from './client.ts';
import { cachedStatement, epochMs, type RawRow, rawRows } from './raw-sql.ts';
import { sqliteDate } from './sqlite-date.ts';

export interface SlaTicketRow extends TTicketFacts {
  readonly pipelineId: string | null;
  readonly priority: string | null;
  readonly ownerId: string | null;
  readonly hubspotTeamId: string | null;
  readonly category: string | null;
  readonly source: string | null;
  readonly archived: boolean;
  /**
   * The ticket has a conversation thread whose messages Heed has read (ConversationThread.messagesSyncedTo):
   * its response clocks run on the messages (sla-clocks.ts `source`).
   */
  readonly hasConversation: boolean;
}

/** A ticket's customer records' synced properties (null: none, or not synced). */
export interface TicketCustomers {
  readonly company: Readonly<Record<string, string | null>> | null;
  readonly contact: Readonly<Record<string, string | null>> | null;
}

/** A stored clock as an evaluation reads it back. */
export type PreviousClockRow = Omit<StoredClock, 'usedMinutes' | 'overdueMinutes' | 'evaluatedAt' | 'quoteText'>;

export interface StoredClock {
  readonly ticketId: string;
  readonly clock: ClockName;
  readonly cycle: number;
  readonly policy: string;
  readonly team: string;
  readonly state: ClockStateName;
  readonly startedAt: Date;
  readonly dueAt: Date | null;
  readonly completedAt: Date | null;
  readonly targetMinutes: number;
  readonly usedMinutes: number;
  readonly overdueMinutes: number;
  readonly evaluatedAt: Date;
  readonly nextCheckAt: Date | null;
  /** What the response clocks ran on: 'messages' (the conversation) or 'properties' (sla-clocks.ts). */
  readonly source: string;
  /**
   * The customer's latest unanswered message while the clock runs (conversation.ts latestUnanswered), quoted by
   * the nudge, `/heed whois` and the App Home; null once answered (no customer text outlives its need here).
   */
  readonly quoteText: string | null;
  readonly quoteAt: Date | null;
}

/** The Flag columns the engine owns (flag-machine.ts). The Slack side's (claimed/handled/snoozed) are read only. */
export type EngineFlag = TEngineFlag;
export type StoredFlag = TStoredFlag;

export interface FeedbackCandidate {
  readonly id: string;
  readonly surveyType: string;
  readonly value: number | null;
  readonly content: string | null;
  /** HubSpot's own grouping of the score (hs_response_group): PROMOTER, PASSIVE or DETRACTOR. */
  readonly responseGroup: string | null;
  readonly submittedAt: Date;
  readonly contactId: string | null;
  readonly contactName: string | null;
  readonly ticketId: string | null;
  readonly archived: boolean;
  /** The associated ticket, for team assignment and follow-up detection. */
  readonly ticketHubspotTeamId: string | null;
  readonly ticketPipelineId: string | null;
  readonly ticketOwnerId: string | null;
  readonly ticketLastAgentMessageAt: Date | null;
  /** First agent message on the associated ticket after submission, when messages are known. */
  readonly firstReplyAfter: Date | null;
  /** First ticket created for the same contact after submission. */
  readonly contactTicketAfter: Date | null;
  readonly flag: StoredFlag | null;
}

export interface FeedbackQuery {
  readonly npsAtMost: number;
  readonly csatAtMost: number;
  readonly cesAtMost: number;
  readonly commentsCount: boolean;
  /** Feedback without a flag is considered only when submitted after this (older answers are history). */
  readonly since: Date;
  /** …and by this (the evaluation's `now`: an answer dated later has not happened yet). */
  readonly until: Date;
}

type Raw = RawRow;

const date = (value: unknown): Date | null =>
  value === null || value === undefined
    ? null
    : value instanceof Date
      ? value
      : new Date(typeof value === 'number' ? value : String(value));
const str = (value: unknown): string | null => (value === null || value === undefined ? null : String(value));
const bool = (value: unknown): boolean => value === true || value === 1 || value === '1' || value === 't';
const num = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));

/** Handled flags too: a handled flag still ends with what happened to its clock (flag-machine.ts). */
const OPEN_TICKET_FLAG = `'at_risk', 'breached', 'handled'`;

/**
 * Tickets an evaluation looks at: open ones, and closed/archived ones still holding open (or handled) flags or
 * running clocks.
 */
const EVAL_TICKETS = `
  SELECT "id" FROM "Ticket" WHERE "archived" = false AND "isClosed" = false
  UNION SELECT "ticketId" FROM "Flag" WHERE "kind" = 'ticket' AND "state" IN (${OPEN_TICKET_FLAG}) AND "ticketId" IS NOT NULL
  UNION SELECT "ticketId" FROM "ClockState" WHERE "completedAt" IS NULL`;

const CHUNK = 5000;

/**
 * The Flag columns the engine writes, in order, with their PostgreSQL types (UNNEST casts); the Slack side
 * owns the rest (claims, handled, snoozes).
 */
const ENGINE_FLAG_TYPES = {
  key: 'text',
  kind: 'text',
  ticketId: 'text',
  feedbackId: 'text',
  clock: 'text',
  team: 'text',
  state: 'text',
  escalationLevel: 'int',
  raisedAt: 'timestamp(3)',
  dueAt: 'timestamp(3)',
  breachedAt: 'timestamp(3)',
  resolvedAt: 'timestamp(3)',
  outcome: 'text',
  origin: 'text',
  seenAt: 'timestamp(3)',
  movedFrom: 'text',
  movedAt: 'timestamp(3)',
  updatedAt: 'timestamp(3)',
} as const satisfies Record<keyof EngineFlag, string>;
const ENGINE_FLAG_COLUMNS = columnsOf(ENGINE_FLAG_TYPES);

const FLAG_COLUMNS = [...ENGINE_FLAG_COLUMNS, 'claimedAt', 'handledAt', 'snoozedUntil'] as const;
const FLAG_DATES = new Set([
  'raisedAt',
  'dueAt',
  'breachedAt',
  'resolvedAt',
  'seenAt',
  'movedAt',
  'updatedAt',
  'claimedAt',
  'handledAt',
  'snoozedUntil',
]);

/** Which tickets the per-ticket reads cover: a subquery of ticket ids and its parameters. */
export interface TicketScope {
  readonly sql: string;
  readonly params: readonly unknown[];
}

/** Every ticket an evaluation looks at (a full evaluation). */
export const FULL_SCOPE: TicketScope = { sql: EVAL_TICKETS, params: [] };

/**
 * An incremental evaluation: tickets synced or modified since `since`, clocks due to cross a threshold by
 * `now` (ClockState.nextCheckAt), tickets whose flag changed (the Slack side bumps Flag.updatedAt when
 * someone claims, snoozes or handles it) or whose snooze ended in between, and the open tickets of companies
 * and contacts whose properties changed (a new tier may mean other targets).
 */
export function incrementalScope(since: Date, lastRunAt: Date, now: Date): TicketScope {
  return {
    // Flags: changed after the last run began (its own writes carry its `now`, so they do not count), or
    // their snooze ended since.
    // A changed ticket counts if the full scope would hold it (open, or holding open flags or running clocks),
    // asked of the changed tickets only rather than by building the whole scope (PostgreSQL, estimating
    // the whole scope, would even compile the query to machine code first: a second per run).
    sql: `
      WITH "changed" AS MATERIALIZED (SELECT "id", "archived", "isClosed" FROM "Ticket" WHERE "modifiedAt" > ? OR "syncedAt" > ?)
      SELECT "id" FROM "changed" WHERE "archived" = false AND "isClosed" = false
      UNION SELECT c."id" FROM "changed" c JOIN "Flag" f ON f."ticketId" = c."id"
        WHERE f."kind" = 'ticket' AND f."state" IN (${OPEN_TICKET_FLAG})
      UNION SELECT c."id" FROM "changed" c JOIN "ClockState" cs ON cs."ticketId" = c."id"
        WHERE cs."completedAt" IS NULL
      UNION SELECT "ticketId" FROM "ClockState" WHERE "nextCheckAt" <= ?
      UNION SELECT "ticketId" FROM "Flag"
        WHERE "kind" = 'ticket' AND "ticketId" IS NOT NULL
          AND ("updatedAt" > ? OR ("snoozedUntil" > ? AND "snoozedUntil" <= ?))
      UNION SELECT t."id" FROM "Company" co JOIN "Ticket" t ON t."companyId" = co."id"
        WHERE co."changedAt" > ? AND t."archived" = false AND t."isClosed" = false
      UNION SELECT t."id" FROM "Contact" ct JOIN "Ticket" t ON t."contactId" = ct."id"
        WHERE ct."changedAt" > ? AND t."archived" = false AND t."isClosed" = false`,
    params: [since, since, now, lastRunAt, since, now, since, since],
  };
}

export interface EvaluationCursor {
  readonly lastRunAt: Date;
  readonly lastFullAt: Date;
  readonly policyHash: string;
}

const CURSOR_NAME = 'evaluate';

export class SlaRepo {
  readonly #db: DbDriver;
  readonly #scope: TicketScope;

  constructor(db: DbDriver, scope: TicketScope = FULL_SCOPE) {
    this.#db = db;
    this.#scope = scope;
  }

  /** The ids of the tickets in scope, computed once (the scope's unions are not cheap). */
  async scopeIds(): Promise<string[]> {
    const rows = await this.#rows(
      `WITH "scope" ("id") AS (${this.#scope.sql}) SELECT DISTINCT "id" FROM "scope" ORDER BY "id"`,
      this.#scope.params,
    );
    return rows.map((r) => String(r[0]));
  }

  /** The same repository scoped to these ticket ids (one chunk of an evaluation). */
  forIds(ids: readonly string[]): SlaRepo {
    const scope: TicketScope =
      this.#db.provider === 'sqlite'
        ? { sql: 'SELECT "value" FROM json_each(?)', params: [JSON.stringify(ids)] }
        : { sql: 'SELECT unnest(?::text[])', params: [ids] };
    return new SlaRepo(this.#db, scope);
  }

  /** A DateTime expression as epoch milliseconds (see raw-sql.ts). */
  #ms(expression: string): string {
    return epochMs(this.#db, expression);
  }

  /** Rows as arrays, in the order of the SELECT list (cheaper than objects at this volume). */
  #rows(sql: string, params: readonly unknown[] = []): Promise<Raw[]> {
    return rawRows(this.#db, sql, params);
  }

  #flagSelect(alias: string): string {
    return FLAG_COLUMNS.map((c) => (FLAG_DATES.has(c) ? this.#ms(`${alias}."${c}"`) : `${alias}."${c}"`)).join(', ');
  }

  async closedStageIds(): Promise<Set<string>> {
    const rows = await this.#rows(`SELECT "id" FROM "Stage" WHERE "isClosed" = true`);
    return new Set(rows.map((r) => String(r[0])));
  }

  /**
   * For predicted breaches (domain/predict.ts): the open first-response clocks as the last evaluation stored
   * them (with their ticket's owner and creation), and the first replies made since `repliesSince`, each with
   * the team its clock had. One read per evaluation, whatever its scope: a queue spans every open ticket.
   */
  async predictionInputs(repliesSince: Date): Promise<{
    queue: {
      ticketId: string;
      ownerId: string | null;
      createdAt: Date;
      team: string;
      policy: string;
      state: string;
      startedAt: Date;
      dueAt: Date;
      targetMinutes: number;
    }[];
    replies: { ownerId: string | null; team: string; createdAt: Date; firstReplyAt: Date }[];
  }> {
    const ms = (c: string) => this.#ms(c);
    const queue = await this.#rows(
      `SELECT c."ticketId", t."ownerId", ${ms('t."createdAt"')}, c."team", c."policy", c."state",
              ${ms('c."startedAt"')}, ${ms('c."dueAt"')}, c."targetMinutes"
         FROM "ClockState" c JOIN "Ticket" t ON t."id" = c."ticketId"
        WHERE c."clock" = 'firstResponse' AND c."completedAt" IS NULL AND c."dueAt" IS NOT NULL
          AND t."isClosed" = false AND t."archived" = false`,
    );
    const replies = await this.#rows(
      `SELECT t."ownerId", c."team", ${ms('t."createdAt"')}, ${ms('t."firstAgentReplyAt"')}
         FROM "Ticket" t JOIN "ClockState" c ON c."ticketId" = t."id" AND c."clock" = 'firstResponse'
        WHERE t."firstAgentReplyAt" >= ? AND t."archived" = false`,
      [repliesSince],
    );
    const at = (v: unknown) => new Date(Number(v));
    return {
      queue: queue.map((r) => ({
        ticketId: String(r[0]),
        ownerId: str(r[1]),
        createdAt: at(r[2]),
        team: String(r[3]),
        policy: String(r[4]),
        state: String(r[5]),
        startedAt: at(r[6]),
        dueAt: at(r[7]),
        targetMinutes: Number(r[8]),
      })),
      replies: replies.map((r) => ({
        ownerId: str(r[0]),
        team: String(r[1]),
        createdAt: at(r[2]),
        firstReplyAt: at(r[3]),
      })),
    };
  }

  async ownerEmails(): Promise<Map<string, string | null>> {
    const rows = await this.#rows(`SELECT "id", "email" FROM "Owner"`);
    return new Map(rows.map((r) => [String(r[0]), str(r[1])]));
  }

  async tickets(): Promise<SlaTicketRow[]> {
    const ms = (c: string) => this.#ms(`"${c}"`);
    const rows = await this.#rows(
      `SELECT "id", "pipelineId", "stageId", "priority", "ownerId", "hubspotTeamId", "category", "source",
              ${ms('createdAt')}, ${ms('closedAt')}, ${ms('reopenedAt')}, ${ms('firstAgentReplyAt')},
              ${ms('lastCustomerMessageAt')}, ${ms('lastAgentMessageAt')}, ${ms('stageEnteredAt')},
              ${ms('hsFirstResponseDueAt')}, ${ms('hsNextResponseDueAt')}, ${ms('hsCloseDueAt')}, "isClosed", "archived",
              EXISTS (SELECT 1 FROM "ConversationThread" ct
                       WHERE ct."ticketId" = "Ticket"."id" AND ct."messagesSyncedTo" IS NOT NULL)
         FROM "Ticket" WHERE "id" IN (${this.#scope.sql})`,
      this.#scope.params,
    );
    return rows.map((r) => new TicketRow(r));
  }

  /**
   * The synced properties of each ticket's primary company and contact (for SLA rules on customer properties),
   * for tickets that have either. Records many tickets share are parsed once.
   */
  async customers(): Promise<Map<string, TicketCustomers>> {
    const rows = await this.#rows(
      `SELECT t."id", co."properties", ct."properties" FROM "Ticket" t
         LEFT JOIN "Company" co ON co."id" = t."companyId"
         LEFT JOIN "Contact" ct ON ct."id" = t."contactId"
        WHERE t."id" IN (${this.#scope.sql}) AND (co."id" IS NOT NULL OR ct."id" IS NOT NULL)`,
      this.#scope.params,
    );
    const parsed = new Map<string, Record<string, string | null>>();
    const read = (json: unknown) => {
      if (json === null || json === undefined) return null;
      const text = String(json);
      let value = parsed.get(text);
      if (!value) {
        value = JSON.parse(text) as Record<string, string | null>;
        parsed.set(text, value);
      }
      return value;
    };
    return new Map(rows.map((r) => [String(r[0]), { company: read(r[1]), contact: read(r[2]) }]));
  }

  /** Periods in the given stages (waiting-on-customer and closed ones: the only ones that pause clocks). */
  async stagePeriods(stageIds: readonly string[]): Promise<Map<string, TStagePeriod[]>> {
    const out = new Map<string, TStagePeriod[]>();
    if (stageIds.length === 0) return out;
    const rows = await this.#rows(
      `SELECT "ticketId", "stageId", ${this.#ms('"enteredAt"')}, ${this.#ms('"exitedAt"')} FROM "TicketStagePeriod"
        WHERE "stageId" IN (${stageIds.map(() => '?').join(', ')}) AND "ticketId" IN (${this.#scope.sql})`,
      [...stageIds, ...this.#scope.params],
    );
    for (const r of rows) {
      pushTo(out, String(r[0]), { stageId: String(r[1]), enteredAt: date(r[2])!, exitedAt: date(r[3]) });
    }
    return out;
  }

  /**
   * Messages that can matter to the clocks. A ticket whose conversation Heed has read: all of them (the first reply
   * is found among them, and HubSpot's reply properties, which count notes' authors and automated answers alike,
   * cannot bound the window). Other tickets: from the start of a still-open cycle (or the last agent message) on.
   * Text is cut to 2,000 characters: enough to tell a real question from a thank-you, and to quote it.
   */
  async recentMessages(): Promise<Map<string, TTicketMessage[]>> {
    const rows = await this.#rows(
      `SELECT m."ticketId", m."direction", ${this.#ms('m."createdAt"')}, SUBSTR(m."text", 1, 2000), m."type", m."senderKind"
         FROM "TicketMessage" m
         JOIN "Ticket" t ON t."id" = m."ticketId"
         LEFT JOIN "ClockState" cs ON cs."ticketId" = m."ticketId" AND cs."clock" = 'nextResponse'
        WHERE t."id" IN (${this.#scope.sql})
          AND (EXISTS (SELECT 1 FROM "ConversationThread" ct
                        WHERE ct."ticketId" = t."id" AND ct."messagesSyncedTo" IS NOT NULL)
            OR m."createdAt" >= CASE
                WHEN cs."completedAt" IS NULL AND cs."startedAt" IS NOT NULL
                     AND (t."lastAgentMessageAt" IS NULL OR cs."startedAt" < t."lastAgentMessageAt") THEN cs."startedAt"
                ELSE COALESCE(t."lastAgentMessageAt", t."createdAt") END)`,
      this.#scope.params,
    );
    const out = new Map<string, TTicketMessage[]>();
    for (const r of rows) {
      pushTo(out, String(r[0]), new MessageRow(r));
    }
    return out;
  }

  /** The clocks as last stored, with what the engine compares and carries over (not the figures for display). */
  async clockStates(): Promise<Map<string, PreviousClockRow[]>> {
    const ms = (c: string) => this.#ms(`"${c}"`);
    const rows = await this.#rows(
      `SELECT "ticketId", "clock", "cycle", "policy", "team", "state", ${ms('startedAt')}, ${ms('dueAt')},
              ${ms('completedAt')}, "targetMinutes", ${ms('nextCheckAt')}, "source", ${ms('quoteAt')}
         FROM "ClockState" WHERE "ticketId" IN (${this.#scope.sql})`,
      this.#scope.params,
    );
    const out = new Map<string, PreviousClockRow[]>();
    for (const r of rows) {
      pushTo(out, String(r[0]), new ClockRow(r));
    }
    return out;
  }

  /** Ticket flags of the tickets in scope (earlier cycles included), by ticket id. */
  async ticketFlags(): Promise<Map<string, StoredFlag[]>> {
    const rows = await this.#rows(
      `SELECT ${this.#flagSelect('f')} FROM "Flag" f WHERE f."kind" = 'ticket' AND f."ticketId" IN (${this.#scope.sql})`,
      this.#scope.params,
    );
    const out = new Map<string, StoredFlag[]>();
    for (const r of rows) {
      const flag = toStoredFlag(r);
      pushTo(out, flag.ticketId!, flag);
    }
    return out;
  }

  /** Negative-looking feedback without a flag yet, and feedback whose flag is still open. */
  async feedbackCandidates(query: FeedbackQuery): Promise<FeedbackCandidate[]> {
    const negative = [
      `(UPPER(f."surveyType") = 'NPS' AND f."value" <= ?)`,
      `(UPPER(f."surveyType") = 'CSAT' AND f."value" <= ?)`,
      `(UPPER(f."surveyType") = 'CES' AND f."value" <= ?)`,
      `UPPER(f."responseGroup") = 'DETRACTOR'`,
      ...(query.commentsCount ? [`(f."content" IS NOT NULL AND TRIM(f."content") <> '')`] : []),
    ].join(' OR ');
    const columns = `f."id", f."surveyType", f."value", f."content", ${this.#ms('f."submittedAt"')}, f."contactId",
              f."contactName", f."ticketId", f."archived", f."responseGroup",
              t."hubspotTeamId", t."pipelineId", t."ownerId", ${this.#ms('t."lastAgentMessageAt"')},
              (SELECT ${this.#ms('MIN(m."createdAt")')} FROM "TicketMessage" m
                WHERE m."ticketId" = f."ticketId" AND UPPER(m."direction") LIKE 'OUT%'
                  AND m."createdAt" > f."submittedAt"),
              (SELECT ${this.#ms('MIN(c."createdAt")')} FROM "Ticket" c
                WHERE f."contactId" IS NOT NULL AND c."contactId" = f."contactId"
                  AND c."createdAt" > f."submittedAt"),
              ${this.#flagSelect('fl')}`;
    // Two parts, each from its own index: answers of the look-back window without a flag, and flagged ones
    // still owed a follow-up (or handled without the outcome recorded).
    const rows = await this.#rows(
      `SELECT ${columns}
         FROM "FeedbackSubmission" f
         LEFT JOIN "Ticket" t ON t."id" = f."ticketId"
         LEFT JOIN "Flag" fl ON fl."feedbackId" = f."id" AND fl."kind" = 'feedback'
        WHERE f."submittedAt" >= ? AND f."submittedAt" <= ? AND f."archived" = false AND fl."key" IS NULL
          AND (${negative})
          -- Answers already followed up (a later agent reply on the ticket, a new ticket from the contact) are
          -- never flagged: skipping them here spares the follow-up subqueries for most answers.
          AND (t."lastAgentMessageAt" IS NULL OR t."lastAgentMessageAt" <= f."submittedAt"
               OR t."lastAgentMessageAt" > ?)
          AND NOT EXISTS (SELECT 1 FROM "Ticket" c
                           WHERE f."contactId" IS NOT NULL AND c."contactId" = f."contactId"
                             AND c."createdAt" > f."submittedAt" AND c."createdAt" <= ?)
       UNION ALL
       SELECT ${columns}
         FROM "Flag" fl
         JOIN "FeedbackSubmission" f ON f."id" = fl."feedbackId"
         LEFT JOIN "Ticket" t ON t."id" = f."ticketId"
        WHERE fl."kind" = 'feedback'
          AND (fl."state" IN ('pending', 'overdue') OR (fl."state" = 'handled' AND fl."outcome" IS NULL))`,
      [query.since, query.until, query.npsAtMost, query.csatAtMost, query.cesAtMost, query.until, query.until],
    );
    const FLAG_AT = 16;
    return rows.map((r) => ({
      id: String(r[0]),
      surveyType: String(r[1]),
      value: num(r[2]),
      content: str(r[3]),
      submittedAt: date(r[4])!,
      contactId: str(r[5]),
      contactName: str(r[6]),
      ticketId: str(r[7]),
      archived: bool(r[8]),
      responseGroup: str(r[9]),
      ticketHubspotTeamId: str(r[10]),
      ticketPipelineId: str(r[11]),
      ticketOwnerId: str(r[12]),
      ticketLastAgentMessageAt: date(r[13]),
      firstReplyAfter: date(r[14]),
      contactTicketAfter: date(r[15]),
      flag: r[FLAG_AT] === null || r[FLAG_AT] === undefined ? null : toStoredFlag(r.slice(FLAG_AT)),
    }));
  }

  async cursor(): Promise<EvaluationCursor | undefined> {
    const rows = await this.#rows(`SELECT "value" FROM "SyncCursor" WHERE "name" = ?`, [CURSOR_NAME]);
    if (rows.length === 0) return undefined;
    try {
      const value = JSON.parse(String(rows[0]![0])) as { lastRunAt: string; lastFullAt: string; policyHash: string };
      return {
        lastRunAt: new Date(value.lastRunAt),
        lastFullAt: new Date(value.lastFullAt),
        policyHash: value.policyHash,
      };
    } catch {
      // Unreadable: the next evaluation is a full one, which rewrites it.
      return undefined;
    }
  }

  async writeCursor(cursor: EvaluationCursor, now: Date): Promise<void> {
    const value = JSON.stringify({
      lastRunAt: cursor.lastRunAt.toISOString(),
      lastFullAt: cursor.lastFullAt.toISOString(),
      policyHash: cursor.policyHash,
    });
    const sql = `INSERT INTO "SyncCursor" ("name", "value", "updatedAt") VALUES (?, ?, ?)
      ON CONFLICT ("name") DO UPDATE SET "value" = excluded."value", "updatedAt" = excluded."updatedAt"`;
    const db = this.#db;
    if (db.provider === 'sqlite') {
      await sqliteWrite(db.sqlite, () => cachedStatement(db.sqlite, sql).run(CURSOR_NAME, value, sqliteDate(now)));
    } else {
      await db.pg.query(sql.replace('?, ?, ?', '$1, $2, $3::timestamp(3)'), [CURSOR_NAME, value, now.toISOString()]);
    }
  }

  /** Open feedback flags whose answer is gone from the copy altogether (deleted in HubSpot before Heed saw it archived). */
  async orphanFeedbackFlags(): Promise<StoredFlag[]> {
    const rows = await this.#rows(
      `SELECT ${this.#flagSelect('fl')} FROM "Flag" fl
        WHERE fl."kind" = 'feedback' AND fl."state" IN ('pending', 'overdue')
          AND NOT EXISTS (SELECT 1 FROM "FeedbackSubmission" f WHERE f."id" = fl."feedbackId")`,
    );
    return rows.map(toStoredFlag);
  }

  /** Upserts and deletes ClockState rows in one transaction. */
  async writeClockStates(upserts: RowColumns<StoredClock>, deletes: RowColumns<ClockKey>): Promise<void> {
    if (upserts.size === 0 && deletes.size === 0) return;
    const columns = CLOCK_STATE_COLUMNS;
    const updates = columns.slice(2).map((c) => `"${c}" = excluded."${c}"`);
    const upsertSql = `INSERT INTO "ClockState" (${columns.map((c) => `"${c}"`).join(', ')})`;
    const conflict = `ON CONFLICT ("ticketId", "clock") DO UPDATE SET ${updates.join(', ')}`;
    const db = this.#db;
    if (db.provider === 'sqlite') {
      const upsert = cachedStatement(
        db.sqlite,
        `${upsertSql} VALUES (${columns.map(() => '?').join(', ')}) ${conflict}`,
      );
      const remove = cachedStatement(db.sqlite, `DELETE FROM "ClockState" WHERE "ticketId" = ? AND "clock" = ?`);
      await sqliteWrite(db.sqlite, () => {
        upserts.forEachRow(sqliteDate, (args) => upsert.run(args));
        deletes.forEachRow(sqliteDate, (args) => remove.run(args));
      });
      return;
    }
    await pgTransaction(db.pg, async (client) => {
      for (const chunk of upserts.pgChunks(CHUNK)) {
        await client.query(`${upsertSql} SELECT * FROM UNNEST(${unnestCasts(CLOCK_STATE_TYPES)}) ${conflict}`, chunk);
      }
      for (const chunk of deletes.pgChunks(CHUNK)) {
        await client.query(
          `DELETE FROM "ClockState" WHERE ("ticketId", "clock") IN (SELECT * FROM UNNEST($1::text[], $2::text[]))`,
          chunk,
        );
      }
    });
  }

  /**
   * Upserts the engine's columns of Flag rows. The WHERE on the conflict update keeps what people do in Slack
   * while the evaluation runs: an open state is not written over a flag marked handled meanwhile, nor a
   * handled one over a flag whose "handled" was undone meanwhile. An ending (resolved) is always written: the
   * facts ended the flag whatever was clicked (the handler stays recorded in the Slack columns).
   */
  async writeFlags(flags: RowColumns<EngineFlag>): Promise<void> {
    if (flags.size === 0) return;
    const columns = ENGINE_FLAG_COLUMNS;
    const updates = columns.slice(1).map((c) => `"${c}" = excluded."${c}"`);
    const insert = `INSERT INTO "Flag" (${columns.map((c) => `"${c}"`).join(', ')})`;
    const conflict =
      `ON CONFLICT ("key") DO UPDATE SET ${updates.join(', ')} ` +
      `WHERE ("Flag"."state" = 'handled') = (excluded."state" = 'handled') OR excluded."state" = 'resolved'`;
    const db = this.#db;
    if (db.provider === 'sqlite') {
      const upsert = cachedStatement(db.sqlite, `${insert} VALUES (${columns.map(() => '?').join(', ')}) ${conflict}`);
      await sqliteWrite(db.sqlite, () => flags.forEachRow(sqliteDate, (args) => upsert.run(args)));
      return;
    }
    await pgTransaction(db.pg, async (client) => {
      for (const chunk of flags.pgChunks(CHUNK)) {
        await client.query(`${insert} SELECT * FROM UNNEST(${unnestCasts(ENGINE_FLAG_TYPES)}) ${conflict}`, chunk);
      }
    });
  }
}

/** A ClockState row's key (for deletes). */
export interface ClockKey {
  readonly ticketId: string;
  readonly clock: string;
}

/** ClockState's columns in write order, with their PostgreSQL types (UNNEST casts). */
const CLOCK_STATE_TYPES = {
  ticketId: 'text',
  clock: 'text',
  cycle: 'int',
  policy: 'text',
  team: 'text',
  state: 'text',
  startedAt: 'timestamp(3)',
  dueAt: 'timestamp(3)',
  completedAt: 'timestamp(3)',
  targetMinutes: 'int',
  usedMinutes: 'int',
  overdueMinutes: 'int',
  evaluatedAt: 'timestamp(3)',
  nextCheckAt: 'timestamp(3)',
  source: 'text',
  quoteText: 'text',
  quoteAt: 'timestamp(3)',
} as const satisfies Record<keyof StoredClock, string>;
const CLOCK_STATE_COLUMNS = columnsOf(CLOCK_STATE_TYPES);

/** A column-type record's keys, in its (insertion) order. */
function columnsOf<K extends string>(types: Record<K, string>): K[] {
  return Object.keys(types) as K[];
}

/** `$1::text[], $2::int[], …` for `SELECT * FROM UNNEST(…)`. */
function unnestCasts(types: Record<string, string>): string {
  return Object.values(types)
    .map((type, n) => `$${n + 1}::${type}[]`)
    .join(', ');
}

/**
 * Rows waiting to be written, held column by column: no object per row lives on until the write, and
 * PostgreSQL's UNNEST takes the columns as they are. (Row objects kept alive across a whole evaluation make
 * V8 allocate every later object of their kind straight into the old generation; see evaluate.ts.)
 */
export class RowColumns<T> {
  readonly #names: readonly (keyof T & string)[];
  readonly #values: unknown[][];
  #size = 0;

  constructor(names: readonly (keyof T & string)[]) {
    this.#names = names;
    this.#values = names.map(() => []);
  }

  get size(): number {
    return this.#size;
  }

  push(row: T): void {
    for (let c = 0; c < this.#names.length; c++) this.#values[c]!.push(row[this.#names[c]!]);
    this.#size++;
  }

  clear(): void {
    for (const column of this.#values) column.length = 0;
    this.#size = 0;
  }

  /**
   * Calls `run` with each row's values in column order (one array, reused), dates formatted by `date`.
   * A column repeating the previous row's instant (every row's evaluatedAt/updatedAt is the run's `now`)
   * reuses its text.
   */
  forEachRow(date: (value: Date) => string, run: (args: unknown[]) => void): void {
    const width = this.#names.length;
    const args: unknown[] = new Array(width);
    const lastTime: number[] = new Array(width).fill(Number.NaN);
    const lastText: string[] = new Array(width).fill('');
    for (let i = 0; i < this.#size; i++) {
      for (let c = 0; c < width; c++) {
        const value = this.#values[c]![i];
        if (value instanceof Date) {
          const time = value.getTime();
          if (time !== lastTime[c]) {
            lastTime[c] = time;
            lastText[c] = date(value);
          }
          args[c] = lastText[c];
        } else {
          args[c] = value;
        }
      }
      run(args);
    }
  }

  /** The columns in slices of at most `size` rows, dates as ISO strings, for UNNEST parameters. */
  *pgChunks(size: number): Generator<unknown[][]> {
    for (let i = 0; i < this.#size; i += size) {
      yield this.#values.map((column) =>
        column.slice(i, i + size).map((value) => (value instanceof Date ? value.toISOString() : value)),
      );
    }
  }
}

/** One evaluation's pending writes. */
export function clockStateColumns(): RowColumns<StoredClock> {
  return new RowColumns<StoredClock>(CLOCK_STATE_COLUMNS);
}

export function clockKeyColumns(): RowColumns<ClockKey> {
  return new RowColumns<ClockKey>(['ticketId', 'clock']);
}

export function engineFlagColumns(): RowColumns<EngineFlag> {
  return new RowColumns<EngineFlag>(ENGINE_FLAG_COLUMNS);
}

/** A flag from a row holding FLAG_COLUMNS in order. */
function toStoredFlag(r: Raw): StoredFlag {
  return new FlagRow(r);
}

// Rows an evaluation reads are built by class constructors rather than object literals. V8 tracks each object
// literal's site and, when most objects from a site outlive a young-generation collection (true of a chunk's
// rows while it is judged), allocates all later ones straight into the old generation, where they pile up as
// garbage until a full collection: ~50 MB more heap per evaluation. Class instances are not tracked that way.

class TicketRow implements SlaTicketRow {
  readonly id: string;
  readonly pipelineId: string | null;
  readonly stageId: string | null;
  readonly priority: string | null;
  readonly ownerId: string | null;
  readonly hubspotTeamId: string | null;
  readonly category: string | null;
  readonly source: string | null;
  readonly createdAt: Date;
  readonly closedAt: Date | null;
  readonly reopenedAt: Date | null;
  readonly firstAgentReplyAt: Date | null;
  readonly lastCustomerMessageAt: Date | null;
  readonly lastAgentMessageAt: Date | null;
  readonly stageEnteredAt: Date | null;
  readonly hsFirstResponseDueAt: Date | null;
  readonly hsNextResponseDueAt: Date | null;
  readonly hsCloseDueAt: Date | null;
  readonly isClosed: boolean;
  readonly archived: boolean;
  readonly hasConversation: boolean;

  /** From a row of SlaRepo.tickets()'s SELECT list. */
  constructor(r: Raw) {
    this.id = String(r[0]);
    this.pipelineId = str(r[1]);
    this.stageId = str(r[2]);
    this.priority = str(r[3]);
    this.ownerId = str(r[4]);
    this.hubspotTeamId = str(r[5]);
    this.category = str(r[6]);
    this.source = str(r[7]);
    this.createdAt = date(r[8])!;
    this.closedAt = date(r[9]);
    this.reopenedAt = date(r[10]);
    this.firstAgentReplyAt = date(r[11]);
    this.lastCustomerMessageAt = date(r[12]);
    this.lastAgentMessageAt = date(r[13]);
    this.stageEnteredAt = date(r[14]);
    this.hsFirstResponseDueAt = date(r[15]);
    this.hsNextResponseDueAt = date(r[16]);
    this.hsCloseDueAt = date(r[17]);
    this.isClosed = bool(r[18]);
    this.archived = bool(r[19]);
    this.hasConversation = bool(r[20]);
  }
}

const MESSAGE_TYPES: ReadonlySet<string> = new Set<TMessageType>(['MESSAGE', 'COMMENT', 'WELCOME_MESSAGE']);
const SENDER_KIND_SET: ReadonlySet<string> = new Set<string>(SENDER_KINDS);

class MessageRow implements TTicketMessage {
  readonly direction: string;
  readonly createdAt: Date;
  readonly text: string | null;
  readonly type: TMessageType | undefined;
  readonly senderKind: TSenderKind | undefined;

  /** From a row of SlaRepo.recentMessages()'s SELECT list; an unknown type or sender reads as absent. */
  constructor(r: Raw) {
    this.direction = String(r[1]);
    this.createdAt = date(r[2])!;
    this.text = str(r[3]);
    const type = String(r[4]);
    this.type = MESSAGE_TYPES.has(type) ? (type as TMessageType) : undefined;
    const sender = String(r[5]);
    this.senderKind = SENDER_KIND_SET.has(sender) ? (sender as TSenderKind) : undefined;
  }
}

class ClockRow implements PreviousClockRow {
  readonly ticketId: string;
  readonly clock: ClockName;
  readonly cycle: number;
  readonly policy: string;
  readonly team: string;
  readonly state: ClockStateName;
  readonly startedAt: Date;
  readonly dueAt: Date | null;
  readonly completedAt: Date | null;
  readonly targetMinutes: number;
  readonly nextCheckAt: Date | null;
  readonly source: string;
  readonly quoteAt: Date | null;

  /** From a row of SlaRepo.clockStates()'s SELECT list. */
  constructor(r: Raw) {
    this.ticketId = String(r[0]);
    this.clock = String(r[1]) as ClockName;
    this.cycle = Number(r[2]);
    this.policy = String(r[3]);
    this.team = String(r[4]);
    this.state = String(r[5]) as ClockStateName;
    this.startedAt = date(r[6])!;
    this.dueAt = date(r[7]);
    this.completedAt = date(r[8]);
    this.targetMinutes = Number(r[9]);
    this.nextCheckAt = date(r[10]);
    this.source = String(r[11] ?? 'properties');
    this.quoteAt = date(r[12]);
  }
}

class FlagRow implements StoredFlag {
  readonly key: string;
  readonly kind: FlagKind;
  readonly ticketId: string | null;
  readonly feedbackId: string | null;
  readonly clock: ClockName | null;
  readonly team: string;
  readonly state: FlagState;
  readonly escalationLevel: EscalationLevel;
  readonly raisedAt: Date;
  readonly dueAt: Date | null;
  readonly breachedAt: Date | null;
  readonly resolvedAt: Date | null;
  readonly outcome: FlagOutcome | null;
  readonly origin: FlagOrigin;
  readonly seenAt: Date | null;
  readonly movedFrom: string | null;
  readonly movedAt: Date | null;
  readonly updatedAt: Date;
  readonly claimedAt: Date | null;
  readonly handledAt: Date | null;
  readonly snoozedUntil: Date | null;

  /** From a row holding FLAG_COLUMNS in order. */
  constructor(r: Raw) {
    this.key = String(r[0]);
    this.kind = String(r[1]) as FlagKind;
    this.ticketId = str(r[2]);
    this.feedbackId = str(r[3]);
    this.clock = str(r[4]) as ClockName | null;
    this.team = String(r[5]);
    this.state = String(r[6]) as FlagState;
    this.escalationLevel = Number(r[7] ?? 0) as EscalationLevel;
    this.raisedAt = date(r[8])!;
    this.dueAt = date(r[9]);
    this.breachedAt = date(r[10]);
    this.resolvedAt = date(r[11]);
    this.outcome = str(r[12]) as FlagOutcome | null;
    this.origin = (str(r[13]) ?? 'live') as FlagOrigin;
    this.seenAt = date(r[14]);
    this.movedFrom = str(r[15]);
    this.movedAt = date(r[16]);
    this.updatedAt = date(r[17])!;
    this.claimedAt = date(r[18]);
    this.handledAt = date(r[19]);
    this.snoozedUntil = date(r[20]);
  }
}

function pushTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
