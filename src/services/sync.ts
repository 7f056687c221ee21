// One sync pass: account details, owners and teams, pipelines, tickets, archived tickets, contact/company names
// for open tickets, feedback, users with their availability, and tickets' conversations (./sync-conversations.ts). Every step is resumable (see ./sync-stream.ts) and the pass is recorded in
// SyncRun with its figures. Dependencies come in; nothing here reads the environment or the wall clock directly.
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import type { HubspotRepos } from '../db/hubspot-repos.ts';
import { type HubspotApi, HubspotError } from '../hubspot/client.ts';
import {
  batchReadAssociations,
  batchReadObjects,
  getAccountDetails,
  getTicketPipelines,
  listObjectsPage,
  listOwners,
} from '../hubspot/crm.ts';
import {
  COMPANY_PROPERTIES,
  CONTACT_PROPERTIES,
  contactName,
  FEEDBACK_PROPERTIES,
  type FeedbackRow,
  feedbackRow,
  mapRecords,
  ownerRow,
  pipelineRows,
  type StageLookup,
  TICKET_PROPERTIES,
  type TicketRow,
  teamRows,
  ticketRow,
  USER_PROPERTIES,
  type UserRow,
  userRow,
  ZFeedbackObject,
  ZTicketObject,
  ZUserObject,
} from '../hubspot/map.ts';
import { ZCrmObject } from '../hubspot/schemas.ts';
import { type ConversationSyncOptions, type ConversationSyncResult, syncConversations } from './sync-conversations.ts';
import {
  type CustomerProperties,
  type CustomerSyncStats,
  type CustomerType,
  refetchCustomers,
  syncCustomers,
} from './sync-customers.ts';
import { isTokenRejected, type SyncGate } from './sync-gate.ts';
import { type StreamDeps, type StreamResult, syncStream, yieldToEventLoop } from './sync-stream.ts';

export type SyncOptions = {
  /** Search lags writes by seconds; windows end this long before now. */
  searchLagMs?: number;
  backfillOverlapMs?: number;
  searchPageSize?: number;
  /** How often the archived-ticket list is swept (webhook deletions are immediate; this is the safety net). */
  archivedSweepMs?: number;
  /** Names are looked up for at most this many tickets per pass (open ones first). */
  namesPerPass?: number;
  /** Feedback older than this does not get contact names (nobody follows it up any more). */
  feedbackNamesDays?: number;
  /** The conversation sync's settings (look-back, calls per pass); false leaves conversations out. */
  conversations?: Partial<ConversationSyncOptions> | false;
  /**
   * Give the event loop a turn between pages and batches (default true), so Slack's requests are answered while a
   * sync runs. Off only to measure what it buys (`npm run bench:commands`).
   */
  yieldBetweenBatches?: boolean;
};

export type SyncDeps = {
  api: HubspotApi;
  repos: HubspotRepos;
  clock: Pick<Clock, 'now' | 'sleep'>;
  logger: Logger;
  onProgress?: (event: { stream: string; done: number; total?: number | undefined }) => void;
  options?: SyncOptions;
  /** The company and contact properties the policy's SLA rules name (sla-policy.ts customerProperties). */
  customerProperties?: CustomerProperties;
  /**
   * The long-running process's gate (./sync-gate.ts): a pass it does not admit is skipped (HubSpot refused the
   * token, or does not answer), and each outcome is reported to it. `heed sync` runs without one.
   */
  gate?: Pick<SyncGate, 'admit' | 'succeeded' | 'failed'>;
};

export type SyncStats = {
  kind: 'backfill' | 'incremental' | 'full';
  /** Set when the gate did not admit the pass: nothing was called or written. */
  skipped?: 'paused';
  records: {
    tickets: number;
    ticketsRejected: number;
    archived: number;
    feedback: number | 'forbidden';
    feedbackRejected: number;
    /**
     * HubSpot users with their availability; 'forbidden' without the crm.objects.users.read scope. Optional: runs
     * recorded before users were synced have none.
     */
    users?: number | 'forbidden';
    /**
     * Conversation threads whose new messages were read, and the messages stored; 'forbidden' without the
     * conversations.read scope. Optional: runs recorded before conversations were synced have none.
     */
    threads?: number | 'forbidden';
    messages?: number;
    owners: number;
    pipelines: number;
    stages: number;
    names: number;
    /** Companies and contacts with the properties SLA rules name; absent when the rules name none. */
    customers?: CustomerSyncStats;
  };
  pages: { tickets: number; feedback: number; users?: number };
  /** The conversation pass in detail (calls, threads deferred, whether it caught up). */
  conversations?: ConversationSyncResult;
  restarts: number;
  apiCalls: number;
  apiCallsByEndpoint: Record<string, number>;
  durationMs: number;
  ticketsPerSecond: number;
};

const TICKETS_CURSOR = 'tickets';
const FEEDBACK_CURSOR = 'feedback';
const USERS_CURSOR = 'users';
const SWEEP_CURSOR = 'tickets.archived-sweep';
const DAY = 86_400_000;
/** Names are looked up this many tickets at a time (10 contact batch reads). */
const NAMES_CHUNK = 1000;

function emptyStats(kind: SyncStats['kind']): SyncStats {
  return {
    kind,
    records: {
      tickets: 0,
      ticketsRejected: 0,
      archived: 0,
      feedback: 0,
      feedbackRejected: 0,
      users: 0,
      owners: 0,
      pipelines: 0,
      stages: 0,
      names: 0,
    },
    pages: { tickets: 0, feedback: 0, users: 0 },
    restarts: 0,
    apiCalls: 0,
    apiCallsByEndpoint: {},
    durationMs: 0,
    ticketsPerSecond: 0,
  };
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export class SyncService {
  private feedbackForbiddenLogged = false;
  private usersForbiddenLogged = false;
  private conversationsForbiddenLogged = false;
  private readonly options: Required<SyncOptions>;
  /** Ticket → company from list payloads, used for names within the pass (not stored: the schema keeps names only). */
  private readonly companyByTicket = new Map<string, string>();
  /** Names read during this pass (contacts and companies repeat across chunks of tickets). */
  private readonly contactCache = new Map<
    string,
    { name: string | null; email: string | null; companyId: string | null }
  >();
  private readonly companyCache = new Map<string, string | null>();

  private readonly deps: SyncDeps;

  constructor(deps: SyncDeps) {
    this.deps = deps;
    this.options = {
      searchLagMs: 30_000,
      backfillOverlapMs: 60_000,
      searchPageSize: 200,
      archivedSweepMs: 60 * 60_000,
      namesPerPass: 1_000_000,
      feedbackNamesDays: 30,
      conversations: {},
      yieldBetweenBatches: true,
      ...deps.options,
    };
  }

  private running: Promise<unknown> | undefined;

  /** Between two batches of writes (see `yieldToEventLoop`). */
  private async breathe(): Promise<void> {
    if (this.options.yieldBetweenBatches) await yieldToEventLoop();
  }

  /**
   * One pass. Throws HUBSPOT_DAILY_LIMIT (with resetAt) when HubSpot's daily limit stops it; the next pass resumes.
   * Passes in one process run one after another (the journal's catch-up may ask while the scheduled pass runs): a
   * pass keeps per-pass caches on this object.
   */
  async run(options: { full?: boolean } = {}): Promise<SyncStats> {
    const previous = this.running;
    const mine = (async () => {
      await previous?.catch(() => undefined);
      return this.runPass(options);
    })();
    this.running = mine;
    try {
      return await mine;
    } finally {
      if (this.running === mine) this.running = undefined;
    }
  }

  private async runPass(options: { full?: boolean }): Promise<SyncStats> {
    const { api, repos, clock, logger } = this.deps;
    const full = options.full ?? false;
    const started = clock.now().getTime();
    const callsBefore = api.callsByEndpoint();
    const runId = randomUUID();
    const hadCursor = (await repos.cursors.get(TICKETS_CURSOR)) !== undefined;
    const kind: SyncStats['kind'] = full ? 'full' : hadCursor ? 'incremental' : 'backfill';
    const gate = this.deps.gate;
    if (gate && !(await gate.admit())) {
      // Not recorded as a SyncRun: readiness keeps counting the age of the last pass that really ran.
      return { ...emptyStats(kind), skipped: 'paused', durationMs: clock.now().getTime() - started };
    }
    await repos.runs.start({ id: runId, kind }, started);
    const stats = emptyStats(kind);
    const finish = () => {
      const now = clock.now().getTime();
      stats.durationMs = now - started;
      const after = api.callsByEndpoint();
      stats.apiCallsByEndpoint = Object.fromEntries(
        Object.entries(after)
          .map(([k, v]) => [k, v - (callsBefore[k] ?? 0)] as const)
          .filter(([, v]) => v > 0),
      );
      stats.apiCalls = Object.values(stats.apiCallsByEndpoint).reduce((a, b) => a + b, 0);
      stats.ticketsPerSecond = stats.durationMs > 0 ? Math.round((stats.records.tickets * 1000) / stats.durationMs) : 0;
      return now;
    };
    try {
      await this.syncAccount();
      const owners = await listOwners(api);
      for (const r of owners.rejected) logger.warn({ id: r.id, reason: r.reason }, 'Skipped a malformed HubSpot owner');
      await repos.owners.replace(owners.owners.map(ownerRow), teamRows(owners.owners), clock.now().getTime());
      stats.records.owners = owners.owners.length;
      const pipelines = pipelineRows(await getTicketPipelines(api));
      await repos.pipelines.replace(pipelines.pipelines, pipelines.stages, clock.now().getTime());
      stats.records.pipelines = pipelines.pipelines.length;
      stats.records.stages = pipelines.stages.length;

      const tickets = await this.syncTickets(full);
      stats.records.tickets = tickets.records;
      stats.records.ticketsRejected = tickets.rejected;
      stats.pages.tickets = tickets.pages;
      stats.restarts += tickets.restarts;
      stats.records.archived = await this.sweepArchived(full, tickets.mode === 'backfill');
      stats.records.names = await this.resolveTicketNames();
      if (this.wantsCompanies() || (this.deps.customerProperties?.contacts.length ?? 0) > 0) {
        stats.records.customers = await syncCustomers(
          { api, repos, clock, logger, searchLagMs: this.options.searchLagMs },
          this.deps.customerProperties!,
        );
      }

      const feedback = await this.syncFeedback(full);
      if (feedback === 'forbidden') {
        stats.records.feedback = 'forbidden';
      } else {
        stats.records.feedback = feedback.records;
        stats.records.feedbackRejected = feedback.rejected;
        stats.pages.feedback = feedback.pages;
        stats.restarts += feedback.restarts;
      }

      const users = await this.syncUsers(full);
      if (users === 'forbidden') {
        stats.records.users = 'forbidden';
      } else {
        stats.records.users = users.records;
        stats.pages.users = users.pages;
        stats.restarts += users.restarts;
      }

      const conversations = await this.syncConversations(full);
      if (conversations === 'forbidden') {
        stats.records.threads = 'forbidden';
      } else if (conversations) {
        stats.records.threads = conversations.read;
        stats.records.messages = conversations.messages;
        stats.conversations = conversations;
      }
      const now = finish();
      await repos.runs.finish({ id: runId, status: 'ok', stats }, now);
      gate?.succeeded();
      return stats;
    } catch (error) {
      gate?.failed(error);
      const now = finish();
      const daily = error instanceof HubspotError && error.code === 'HUBSPOT_DAILY_LIMIT';
      await repos.runs
        .finish({ id: runId, status: daily ? 'daily-limit' : 'failed', stats, error: (error as Error).message }, now)
        .catch((e: unknown) => logger.error({ err: e }, 'Could not record the failed sync run'));
      // The gate logged the one clear error and paused sync; the pass is not a job failure on top of it.
      if (gate && isTokenRejected(error)) return { ...stats, skipped: 'paused' };
      throw error;
    } finally {
      this.companyByTicket.clear();
      this.contactCache.clear();
      this.companyCache.clear();
    }
  }

  /**
   * Re-fetches tickets named by webhooks (batch read, ≤ 100 per call); those HubSpot no longer returns are archived.
   * Returns how many were updated and archived.
   */
  /** Companies or contacts a webhook named: those Heed keeps are read again (sync-customers.ts). */
  async refetchCustomers(type: CustomerType, ids: readonly string[]): Promise<{ read: number; changed: number }> {
    const names =
      type === 'companies' ? this.deps.customerProperties?.companies : this.deps.customerProperties?.contacts;
    if (!names || names.length === 0) return { read: 0, changed: 0 };
    const { api, repos, clock, logger } = this.deps;
    try {
      const result = await refetchCustomers(
        { api, repos, clock, logger, searchLagMs: this.options.searchLagMs },
        type,
        ids,
        names,
      );
      this.deps.gate?.succeeded();
      return result;
    } catch (error) {
      this.deps.gate?.failed(error);
      throw error;
    }
  }

  async refetchTickets(ids: readonly string[]): Promise<{ updated: number; archived: number }> {
    try {
      const result = await this.refetch(ids);
      this.deps.gate?.succeeded();
      return result;
    } catch (error) {
      this.deps.gate?.failed(error);
      throw error;
    }
  }

  private async refetch(ids: readonly string[]): Promise<{ updated: number; archived: number }> {
    const { api, repos, clock, logger } = this.deps;
    const lookup = await this.stageLookup();
    let updated = 0;
    let archived = 0;
    for (const batch of chunks([...new Set(ids)], 100)) {
      const { results, missing } = await batchReadObjects(api, 'tickets', batch, TICKET_PROPERTIES);
      const parsed = mapRecords(results, (o) => ticketRow(o, lookup), ZTicketObject);
      for (const r of parsed.rejected)
        logger.warn({ id: r.id, reason: r.reason }, 'Skipped a malformed HubSpot ticket');
      const result = await repos.tickets.upsertPage(parsed.rows, clock.now().getTime());
      updated += parsed.rows.length - result.stale;
      await this.fetchTicketAssociations(result.inserted);
      archived += await repos.tickets.archive(missing, clock.now().getTime());
      await this.breathe();
    }
    // One chunk (open tickets first): a webhook drain must stay quick; the scheduled pass names the rest.
    try {
      await this.resolveTicketNamesChunk(NAMES_CHUNK);
    } finally {
      // The caches live for one pass or one drain, so names never go stale in a long-running process.
      this.contactCache.clear();
      this.companyCache.clear();
    }
    return { updated, archived };
  }

  /**
   * Re-fetches feedback answers named by the webhooks journal (batch read, ≤ 100 per call) with their contact and
   * ticket. Answers HubSpot no longer returns are left as they are (feedback is never deleted in practice).
   */
  async refetchFeedback(ids: readonly string[]): Promise<{ updated: number }> {
    const { api, repos, clock, logger } = this.deps;
    let updated = 0;
    for (const batch of chunks([...new Set(ids)], 100)) {
      const { results } = await batchReadObjects(api, 'feedback_submissions', batch, FEEDBACK_PROPERTIES);
      const parsed = mapRecords(results, feedbackRow, ZFeedbackObject);
      for (const r of parsed.rejected)
        logger.warn({ id: r.id, reason: r.reason }, 'Skipped a malformed HubSpot feedback answer');
      await repos.feedback.upsertPage(parsed.rows, clock.now().getTime());
      // Batch read carries no associations: fetch contact and ticket for every answer (they may have changed).
      await this.fetchFeedbackAssociations(parsed.rows.map((r) => r.id));
      updated += parsed.rows.length;
    }
    return { updated };
  }

  /** The portal id (for the journal's installPortalId): stored by the first pass, else asked of HubSpot. */
  async portalId(): Promise<string> {
    const stored = await this.deps.repos.portal.get();
    if (stored) return stored.id;
    await this.syncAccount();
    const portal = await this.deps.repos.portal.get();
    if (!portal) throw new Error('HubSpot account details were not stored');
    return portal.id;
  }

  private async syncAccount(): Promise<void> {
    const { api, repos, clock } = this.deps;
    const details = await getAccountDetails(api);
    if (details.timeZone) api.timeZone = details.timeZone;
    await repos.portal.upsert(
      { id: String(details.portalId), uiDomain: details.uiDomain, timeZone: details.timeZone ?? null },
      clock.now().getTime(),
    );
  }

  private async stageLookup(): Promise<StageLookup> {
    const states = await this.deps.repos.pipelines.stageStates();
    return (pipelineId, stageId) => states.get(`${pipelineId}/${stageId}`);
  }

  private streamDeps(): StreamDeps {
    const { api, clock, logger, repos, onProgress } = this.deps;
    return {
      api,
      clock,
      logger,
      getCursor: (name) => repos.cursors.get(name),
      onProgress,
      searchLagMs: this.options.searchLagMs,
      backfillOverlapMs: this.options.backfillOverlapMs,
      searchPageSize: this.options.searchPageSize,
      yieldBetweenPages: this.options.yieldBetweenBatches,
    };
  }

  private async syncTickets(full: boolean): Promise<StreamResult> {
    const { repos, clock } = this.deps;
    const lookup = await this.stageLookup();
    return syncStream<TicketRow>(
      this.streamDeps(),
      {
        cursorName: TICKETS_CURSOR,
        type: 'tickets',
        properties: TICKET_PROPERTIES,
        listAssociations: ['contacts', 'companies'],
        map: (raws) => mapRecords(raws, (o) => ticketRow(o, lookup), ZTicketObject),
        modifiedAt: (row) => row.modifiedAt,
        write: (rows, cursor) => repos.tickets.upsertPage(rows, clock.now().getTime(), cursor),
        afterPage: async (rows, inserted, source) => {
          if (source === 'list') {
            // Remember open tickets' own companies for the names step; closed tickets (most of a backfill) take
            // their contact's company instead, which keeps this map small.
            for (const row of rows) if (!row.isClosed && row.companyId) this.companyByTicket.set(row.id, row.companyId);
            // SLA rules on company properties need the association stored ("" for none: looked up).
            if (this.wantsCompanies()) {
              await repos.tickets.setCompanies(
                rows.map((row) => ({ ticketId: row.id, companyId: row.companyId ?? '' })),
              );
            }
          } else {
            await this.fetchTicketAssociations(inserted);
          }
        },
      },
      { full },
    );
  }

  /** Tickets first seen through search or batch read carry no associations: fetch contact and company (v4). */
  private async fetchTicketAssociations(ids: readonly string[]): Promise<void> {
    const { api, repos } = this.deps;
    for (const batch of chunks(ids, 100)) {
      const contacts = await batchReadAssociations(api, 'tickets', 'contacts', batch);
      const companies = await batchReadAssociations(api, 'tickets', 'companies', batch);
      await repos.tickets.setContacts(
        [...contacts].flatMap(([ticketId, to]) => (to[0] ? [{ ticketId, contactId: to[0] }] : [])),
      );
      for (const [ticketId, to] of companies) if (to[0]) this.companyByTicket.set(ticketId, to[0]);
      if (this.wantsCompanies()) {
        await repos.tickets.setCompanies(
          batch.map((ticketId) => ({ ticketId, companyId: companies.get(ticketId)?.[0] ?? '' })),
        );
      }
      await this.breathe();
    }
  }

  /** Whether SLA rules match company properties (then tickets' company associations are stored). */
  private wantsCompanies(): boolean {
    return (this.deps.customerProperties?.companies.length ?? 0) > 0;
  }

  /**
   * Archived (deleted) tickets leave open work. Webhook deletions do this at once; the sweep through
   * `archived=true` is the safety net, run on --full and at most once per `archivedSweepMs`.
   */
  private async sweepArchived(full: boolean, backfilled: boolean): Promise<number> {
    const { api, repos, clock } = this.deps;
    const now = clock.now().getTime();
    const cursor = await repos.cursors.get(SWEEP_CURSOR);
    const last = Number(cursor ?? 0);
    // The first backfill has nothing archived to find (the list without archived=true never returned them).
    if (backfilled && !full && cursor === undefined) {
      await repos.cursors.set({ name: SWEEP_CURSOR, value: String(now) }, now);
      return 0;
    }
    if (!full && now - last < this.options.archivedSweepMs) return 0;
    let after: string | undefined;
    let changed = 0;
    do {
      const page = await listObjectsPage(api, 'tickets', { after, properties: ['hs_object_id'], archived: true });
      const ids = page.results.flatMap((raw) => {
        const parsed = ZCrmObject.safeParse(raw);
        return parsed.success ? [parsed.data.id] : [];
      });
      changed += await repos.tickets.archive(ids, clock.now().getTime());
      after = page.paging?.next?.after;
      await this.breathe();
    } while (after);
    await repos.cursors.set({ name: SWEEP_CURSOR, value: String(now) }, clock.now().getTime());
    return changed;
  }

  /**
   * Contact and company names for every ticket that lacks them (open ones first): one batch read per 100
   * contacts/companies, each read once per pass. Closed tickets are named too, although only open ones get
   * messages: a ticket that reopens later then needs no lookup, so an incremental pass stays at its search pages.
   * Worked through in chunks of 1,000 so a first backfill's tickets never sit in memory at once.
   */
  private async resolveTicketNames(): Promise<number> {
    let done = 0;
    while (done < this.options.namesPerPass) {
      const named = await this.resolveTicketNamesChunk(Math.min(NAMES_CHUNK, this.options.namesPerPass - done));
      done += named;
      await this.breathe();
      if (named < NAMES_CHUNK) break;
    }
    return done;
  }

  private async resolveTicketNamesChunk(limit: number): Promise<number> {
    const { api, repos } = this.deps;
    const needing = await repos.tickets.needingNames(limit);
    if (needing.length === 0) return 0;
    const contacts = await this.readContacts(needing.map((t) => t.contactId));
    const companyIds = new Set<string>();
    const companyFor = (ticketId: string, contactId: string) =>
      this.companyByTicket.get(ticketId) ?? contacts.get(contactId)?.companyId ?? null;
    for (const t of needing) {
      const company = companyFor(t.id, t.contactId);
      if (company) companyIds.add(company);
    }
    const unknown = [...companyIds].filter((id) => !this.companyCache.has(id));
    for (const batch of chunks(unknown, 100)) {
      const { results } = await batchReadObjects(api, 'companies', batch, COMPANY_PROPERTIES);
      const parsed = mapRecords(results, (o) => ({ id: o.id, name: o.properties['name'] ?? null }));
      for (const id of batch) this.companyCache.set(id, null);
      for (const c of parsed.rows) this.companyCache.set(c.id, c.name);
      await this.breathe();
    }
    const companies = this.companyCache;
    await repos.tickets.setNames(
      needing.map((t) => {
        const contact = contacts.get(t.contactId);
        const company = companyFor(t.id, t.contactId);
        return {
          ticketId: t.id,
          // Empty string: looked up, HubSpot has no name (so the lookup is not repeated every pass).
          contactName: contact?.name ?? '',
          contactEmail: contact?.email ?? null,
          companyName: company ? (companies.get(company) ?? null) : null,
        };
      }),
    );
    for (const t of needing) this.companyByTicket.delete(t.id);
    return needing.length;
  }

  private async readContacts(
    ids: readonly string[],
  ): Promise<Map<string, { name: string | null; email: string | null; companyId: string | null }>> {
    const out = this.contactCache;
    const unknown = [...new Set(ids)].filter((id) => !out.has(id));
    for (const batch of chunks(unknown, 100)) {
      const { results } = await batchReadObjects(this.deps.api, 'contacts', batch, CONTACT_PROPERTIES);
      const parsed = mapRecords(results, (o) => ({
        id: o.id,
        name: contactName(o.properties),
        email: o.properties['email'] ?? null,
        companyId: o.properties['associatedcompanyid'] || null,
      }));
      for (const c of parsed.rows) out.set(c.id, c);
      await this.breathe();
    }
    return out;
  }

  private async syncFeedback(full: boolean): Promise<StreamResult | 'forbidden'> {
    const { repos, clock, logger } = this.deps;
    try {
      const result = await syncStream<FeedbackRow>(
        this.streamDeps(),
        {
          cursorName: FEEDBACK_CURSOR,
          type: 'feedback_submissions',
          properties: FEEDBACK_PROPERTIES,
          listAssociations: ['contacts', 'tickets'],
          map: (raws) => mapRecords(raws, feedbackRow, ZFeedbackObject),
          modifiedAt: (row) => row.modifiedAt,
          write: (rows, cursor) => repos.feedback.upsertPage(rows, clock.now().getTime(), cursor),
          afterPage: async (_rows, inserted, source) => {
            if (source === 'search') await this.fetchFeedbackAssociations(inserted);
          },
        },
        { full },
      );
      await this.resolveFeedbackNames();
      return result;
    } catch (error) {
      if (error instanceof HubspotError && error.status === 403) {
        // Portals without Service Hub Professional have no feedback API: say so once, then carry on without it.
        if (!this.feedbackForbiddenLogged) {
          logger.warn(
            { reason: error.message },
            'HubSpot refused feedback submissions (403): this portal needs Service Hub Professional and the ' +
              'crm.objects.feedback_submissions.read scope. Heed carries on without feedback.',
          );
          this.feedbackForbiddenLogged = true;
        }
        return 'forbidden';
      }
      throw error;
    }
  }

  /**
   * HubSpot users with availability, out-of-office periods, working hours and time zone (for routing). Backfilled
   * through the list, then kept up to date through search on hs_lastmodifieddate like tickets. Without the
   * crm.objects.users.read scope (optional) HubSpot answers 403: Heed says so once and carries on without users.
   */
  private async syncUsers(full: boolean): Promise<StreamResult | 'forbidden'> {
    const { repos, clock, logger } = this.deps;
    try {
      return await syncStream<UserRow>(
        this.streamDeps(),
        {
          cursorName: USERS_CURSOR,
          type: 'users',
          properties: USER_PROPERTIES,
          listAssociations: [],
          map: (raws) => {
            const parsed = mapRecords(raws, userRow, ZUserObject);
            for (const row of parsed.rows) {
              if (row.scheduleProblem) {
                logger.warn(
                  { userId: row.id, reason: row.scheduleProblem },
                  'A HubSpot user’s working hours or out-of-office periods could not be read; stored without them',
                );
              }
            }
            return parsed;
          },
          modifiedAt: (row) => row.modifiedAt,
          write: (rows, cursor) => repos.users.upsertPage(rows, clock.now().getTime(), cursor),
        },
        { full },
      );
    } catch (error) {
      if (error instanceof HubspotError && error.status === 403) {
        if (!this.usersForbiddenLogged) {
          logger.warn(
            { reason: error.message },
            'HubSpot refused users (403): add the crm.objects.users.read scope for users’ availability, ' +
              'out-of-office periods and working hours. Heed carries on without them.',
          );
          this.usersForbiddenLogged = true;
        }
        return 'forbidden';
      }
      throw error;
    }
  }

  /**
   * Tickets' conversation threads and their new messages (./sync-conversations.ts). Without the conversations.read
   * scope (optional) HubSpot answers 403: Heed says so once and carries on, its clocks on the ticket properties.
   */
  private async syncConversations(full: boolean): Promise<ConversationSyncResult | 'forbidden' | undefined> {
    const { api, repos, clock, logger, onProgress } = this.deps;
    const settings = this.options.conversations;
    if (settings === false) return undefined;
    try {
      return await syncConversations(
        {
          api,
          conversations: repos.conversations,
          cursors: repos.cursors,
          clock,
          logger,
          onProgress,
          breathe: () => this.breathe(),
        },
        { ...settings, full },
      );
    } catch (error) {
      if (error instanceof HubspotError && error.status === 403) {
        if (!this.conversationsForbiddenLogged) {
          logger.warn(
            { reason: error.message },
            'HubSpot refused conversations (403): add the conversations.read scope so response clocks follow the ' +
              'messages themselves (internal notes, automated answers, a customer’s “thanks!”). Heed carries on ' +
              'with the ticket properties.',
          );
          this.conversationsForbiddenLogged = true;
        }
        return 'forbidden';
      }
      throw error;
    }
  }

  private async fetchFeedbackAssociations(ids: readonly string[]): Promise<void> {
    const { api, repos } = this.deps;
    for (const batch of chunks(ids, 100)) {
      const contacts = await batchReadAssociations(api, 'feedback_submissions', 'contacts', batch);
      const tickets = await batchReadAssociations(api, 'feedback_submissions', 'tickets', batch);
      await repos.feedback.setAssociations(
        batch.map((id) => ({ id, contactId: contacts.get(id)?.[0] ?? null, ticketId: tickets.get(id)?.[0] ?? null })),
      );
      await this.breathe();
    }
  }

  private async resolveFeedbackNames(): Promise<void> {
    const { repos, clock } = this.deps;
    const since = clock.now().getTime() - this.options.feedbackNamesDays * DAY;
    const needing = await repos.feedback.needingNames(since, this.options.namesPerPass);
    if (needing.length === 0) return;
    const contacts = await this.readContacts(needing.map((f) => f.contactId));
    await repos.feedback.setNames(
      needing.map((f) => ({
        id: f.id,
        contactName: contacts.get(f.contactId)?.name ?? '',
        contactEmail: contacts.get(f.contactId)?.email ?? null,
      })),
    );
  }
}
