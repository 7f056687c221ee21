// The rows behind the per-agent SLA figures (`/heed stats`, the weekly report): the clocks decided or stopped in
// a window, with their ticket's owner, and the nudges marked handled in it. Only the window's rows are read, each
// by an index range on both databases: clocks that stopped by ClockState.completedAt, the late ones by
// (state, clock, dueAt), marks by Flag.handledAt.
import type { TAgentClock, THandledMark, TWindow } from '../domain/agent-stats.ts';
import { CLOCK_NAMES, type ClockName } from '../domain/flag.ts';
import type { PrismaClient } from '../generated/sqlite/client.ts';
import type { Db, DbDriver } from './client.ts';
import { epochMs, rawRows } from './raw-sql.ts';

export interface AgentOwnerRow {
  id: string;
  email: string | null;
  firstName: string | null;
  lastName: string | null;
}

/** Ids per `IN (…)` list: well under SQLite's and PostgreSQL's bound-parameter limits. */
const CHUNK = 5000;

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK));
  return out;
}

const OWNER_COLUMNS = { id: true, email: true, firstName: true, lastName: true } as const;

export class AgentStatsRepo {
  readonly #prisma: PrismaClient;
  readonly #db: DbDriver;

  constructor(db: Pick<Db, 'prisma'> & DbDriver) {
    this.#prisma = db.prisma;
    this.#db = db;
  }

  /**
   * Clocks whose outcome or stop falls in the window: stopped in it (met, late or closed), or late in it — due
   * inside it and then still unanswered (breached; or running/at risk as last stored, when the evaluation that
   * would say breached has not run since) or answered after (missed). Paused clocks are not late. Deleted tickets
   * are left out, as everywhere in Heed's figures. `teams` undefined: every team.
   */
  async clocks(window: TWindow, teams?: readonly string[]): Promise<TAgentClock[]> {
    if (teams && teams.length === 0) return [];
    const ms = (column: string) => epochMs(this.#db, column);
    // The teams are filtered here, not in SQL: with a team condition SQLite's planner prefers the (team, state)
    // index and walks every clock the team ever had, where the window's index range is a few thousand rows.
    const wanted = teams ? new Set(teams) : undefined;
    const select = `SELECT c."ticketId", c."clock", c."team", c."state", ${ms('c."dueAt"')}, ${ms('c."completedAt"')},
              c."usedMinutes", c."targetMinutes", t."ownerId", t."isClosed", ${ms('t."closedAt"')}
         FROM "ClockState" c JOIN "Ticket" t ON t."id" = c."ticketId"`;
    const [stopped, late] = await Promise.all([
      rawRows(this.#db, `${select} WHERE c."completedAt" >= ? AND c."completedAt" < ? AND t."archived" = ?`, [
        window.start,
        window.end,
        false,
      ]),
      rawRows(
        this.#db,
        `${select} WHERE c."state" IN ('running', 'at_risk', 'breached', 'missed') AND c."clock" IN (${CLOCK_NAMES.map(() => '?').join(', ')})
            AND c."dueAt" >= ? AND c."dueAt" < ? AND t."archived" = ?`,
        [...CLOCK_NAMES, window.start, window.end, false],
      ),
    ]);
    const out = new Map<string, TAgentClock>();
    const date = (v: unknown) => (v === null || v === undefined ? null : new Date(Number(v)));
    for (const r of [...stopped, ...late]) {
      const key = `${r[0]}:${r[1]}`;
      if (out.has(key) || (wanted && !wanted.has(String(r[2])))) continue;
      const closed = r[9] === true || r[9] === 1;
      out.set(key, {
        ticketId: String(r[0]),
        clock: String(r[1]) as ClockName,
        team: String(r[2]),
        state: String(r[3]),
        dueAt: date(r[4]),
        completedAt: date(r[5]),
        usedMinutes: Number(r[6]),
        targetMinutes: Number(r[7]),
        ownerId: r[8] === null || r[8] === undefined ? null : String(r[8]),
        ticketClosedAt: closed ? date(r[10]) : null,
      });
    }
    return [...out.values()];
  }

  /** Nudges (ticket or feedback flags) marked ✅ handled inside the window. */
  async handled(window: TWindow, teams?: readonly string[]): Promise<THandledMark[]> {
    if (teams && teams.length === 0) return [];
    const rows = await this.#prisma.flag.findMany({
      where: {
        handledAt: { gte: window.start, lt: window.end },
        handledBy: { not: null },
        ...(teams ? { team: { in: [...teams] } } : {}),
      },
      select: { key: true, ticketId: true, team: true, handledBy: true, handledAt: true },
    });
    return rows.map((r) => ({
      flagKey: r.key,
      ticketId: r.ticketId,
      team: r.team,
      handledBy: r.handledBy!,
      handledAt: r.handledAt!,
    }));
  }

  async ownersByIds(ids: readonly string[]): Promise<AgentOwnerRow[]> {
    const out: AgentOwnerRow[] = [];
    for (const list of chunks([...new Set(ids)])) {
      out.push(...(await this.#prisma.owner.findMany({ where: { id: { in: list } }, select: OWNER_COLUMNS })));
    }
    return out;
  }

  /** Owners by email, compared case-insensitively (HubSpot and Slack may differ in case). */
  async ownersByEmails(emails: readonly string[]): Promise<AgentOwnerRow[]> {
    const wanted = new Set(emails.map((e) => e.toLowerCase()));
    const variants = [...new Set(emails.flatMap((e) => [e, e.toLowerCase()]))];
    const out: AgentOwnerRow[] = [];
    for (const list of chunks(variants)) {
      out.push(
        ...(await this.#prisma.owner.findMany({
          where: { email: { in: list }, archived: false },
          select: OWNER_COLUMNS,
        })),
      );
    }
    return out.filter((o) => o.email !== null && wanted.has(o.email.toLowerCase()));
  }

  /** The Slack users of these emails Heed has looked up (SlackUser cache); misses are absent. */
  async slackUsersByEmails(emails: readonly string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const list of chunks([...new Set(emails.map((e) => e.toLowerCase()))])) {
      for (const row of await this.#prisma.slackUser.findMany({ where: { email: { in: list } } })) {
        if (row.slackUserId) out.set(row.email, row.slackUserId);
      }
    }
    return out;
  }

  /** The emails these Slack users are known by in the lookup cache. */
  async emailsOfSlackUsers(slackUserIds: readonly string[]): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    for (const list of chunks([...new Set(slackUserIds)])) {
      for (const row of await this.#prisma.slackUser.findMany({ where: { slackUserId: { in: list } } })) {
        out.set(row.slackUserId!, [...(out.get(row.slackUserId!) ?? []), row.email]);
      }
    }
    return out;
  }
}
