// Real time without a public URL: reads HubSpot's webhooks journal (a project app's event log, pulled, kept 3 days)
// and applies each entry's events: tickets created or changed are re-fetched, deleted ones archived, feedback
// answers re-fetched. The position is a SyncCursor row ("journal") moved only after the entries before it are
// applied, with a compare-and-set, so a restart resumes after the last applied entry: nothing lost, and an entry
// applied twice (a kill between the writes and the cursor) changes nothing the second time (re-fetching a ticket
// is an upsert of its newest version; archiving is idempotent).
//
// When HubSpot no longer has the stored offset (Heed was down longer than the journal's history), the reader says
// so (a warning and the cursor's state, shown by `heed status`), catches up through the incremental search (the
// polling pass, whose own cursor never depended on the journal), and reads on from the journal's newest entry.
// Polling stays on regardless: it is the safety net, and the only path for a Service Key.
import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import type { SyncCursorRepo } from '../db/sync-cursor-repo.ts';
import type { TicketRepo } from '../db/ticket-repo.ts';
import { OBJECT_TYPE_IDS } from '../hubspot/api-version.ts';
import type { HubspotApi } from '../hubspot/client.ts';
import {
  ensureJournalSubscriptions,
  fetchJournalFile,
  heedJournalSubscriptions,
  journalEarliest,
  journalLatestOffset,
  journalNext,
  journalRead,
} from '../hubspot/journal.ts';
import { TICKET_PROPERTIES } from '../hubspot/map.ts';
import type { TJournalEvent, TJournalFetch } from '../hubspot/schemas.ts';
import { everySchedule } from '../jobs/schedule.ts';
import type { Job } from '../jobs/scheduler.ts';
import type { SyncService } from './sync.ts';

export const JOURNAL_CURSOR = 'journal';

export type JournalState = {
  /** The newest entry whose events are applied; reading continues after it. Absent: from the earliest entry. */
  offset?: string | undefined;
  mode: 'journal' | 'fallback';
  /** Entries applied since Heed started reading this journal. */
  entries: number;
  /** When the last entry was applied (epoch ms). */
  appliedAt?: number | undefined;
  /** Object type ids the journal covers (the rest come by polling). */
  covered?: string[] | undefined;
  /** The last time the journal could not be resumed and the search caught up instead. */
  fallback?: { at: number; reason: string; caughtUpAt?: number | undefined } | undefined;
};

export function parseJournalState(value: string | undefined): JournalState | undefined {
  if (!value) return undefined;
  try {
    const state = JSON.parse(value) as JournalState;
    if ((state.mode === 'journal' || state.mode === 'fallback') && typeof state.entries === 'number') return state;
  } catch {
    // an unreadable state starts the journal afresh; polling covers the gap
  }
  return undefined;
}

export type JournalReadResult = {
  entries: number;
  ticketsFetched: number;
  ticketsArchived: number;
  feedbackFetched: number;
  /** Events of object types or actions Heed does not act on, or that it could not read. */
  ignoredEvents: number;
  /** The stored offset had expired: the search caught up and the journal restarted from its newest entry. */
  fellBack: boolean;
  /** Another reader moved the cursor meanwhile (this one stopped without applying more). */
  lostRace: boolean;
};

export type JournalReaderDeps = {
  /** Sends with the project app's client-credentials token. */
  api: HubspotApi;
  repos: { cursors: Pick<SyncCursorRepo, 'get' | 'compareAndSet'>; tickets: Pick<TicketRepo, 'archive'> };
  sync: Pick<SyncService, 'refetchTickets' | 'refetchFeedback' | 'portalId'>;
  /** Catches up through the incremental search (a sync pass) when the journal cannot be resumed. */
  catchUp: () => Promise<unknown>;
  clock: Pick<Clock, 'now' | 'sleep'>;
  logger: Logger;
  options?: {
    /** Entries asked for per call (HubSpot's batch endpoints take a count). */
    batchSize?: number;
    /** Between reads once caught up. */
    pollMs?: number;
    fileTimeoutMs?: number;
    /** Entry files downloaded at once. */
    downloads?: number;
    fetch?: typeof fetch;
  };
};

const DELETIONS = new Set(['DELETE', 'GDPR_DELETE']);

export class JournalReader {
  private subscriptionsChecked = false;
  private covered: string[] = [];
  private readonly batchSize: number;
  private readonly pollMs: number;

  private readonly deps: JournalReaderDeps;

  constructor(deps: JournalReaderDeps) {
    this.deps = deps;
    this.batchSize = deps.options?.batchSize ?? 100;
    this.pollMs = deps.options?.pollMs ?? 2000;
  }

  /** Reads and applies entries until the journal has nothing newer. */
  async readOnce(): Promise<JournalReadResult> {
    const { repos, clock, logger } = this.deps;
    const result: JournalReadResult = {
      entries: 0,
      ticketsFetched: 0,
      ticketsArchived: 0,
      feedbackFetched: 0,
      ignoredEvents: 0,
      fellBack: false,
      lostRace: false,
    };
    const portalId = await this.deps.sync.portalId();
    await this.ensureSubscriptions(portalId);
    let raw = await repos.cursors.get(JOURNAL_CURSOR);
    let state = parseJournalState(raw);
    if (!state) {
      // Start at the newest entry: what happened before is the backfill's and the search's business.
      const latest = await journalLatestOffset(this.deps.api, portalId);
      state = { offset: latest, mode: 'journal', entries: 0, covered: this.covered };
      const next = JSON.stringify(state);
      if (!(await repos.cursors.compareAndSet(JOURNAL_CURSOR, raw, next, clock.now().getTime()))) {
        result.lostRace = true;
        return result;
      }
      raw = next;
      logger.info({ offset: latest ?? null }, 'Reading the HubSpot webhooks journal from its newest entry');
    }
    for (;;) {
      const entries =
        state.offset === undefined
          ? await journalEarliest(this.deps.api, portalId, this.batchSize)
          : await journalNext(this.deps.api, portalId, state.offset, this.batchSize);
      if (entries === 'expired') {
        const moved = await this.fallBack(portalId, raw, state, result);
        if (!moved) return result;
        raw = moved.raw;
        state = moved.state;
        continue;
      }
      if (entries.length === 0) return result;
      await this.apply(portalId, entries, result);
      const next: JournalState = {
        ...state,
        offset: entries.at(-1)!.currentOffset,
        mode: 'journal',
        entries: state.entries + entries.length,
        appliedAt: clock.now().getTime(),
        covered: this.covered,
      };
      const nextRaw = JSON.stringify(next);
      if (!(await repos.cursors.compareAndSet(JOURNAL_CURSOR, raw, nextRaw, clock.now().getTime()))) {
        logger.info('Another Heed moved the journal position meanwhile; this reader stops');
        result.lostRace = true;
        return result;
      }
      raw = nextRaw;
      state = next;
      result.entries += entries.length;
      if (entries.length < this.batchSize) return result;
    }
  }

  /** Reads, then polls every `pollMs`, until `signal` aborts or `forMs` has passed. */
  async run(signal: AbortSignal, forMs = Number.POSITIVE_INFINITY): Promise<void> {
    const until = this.deps.clock.now().getTime() + forMs;
    while (!signal.aborted && this.deps.clock.now().getTime() < until) {
      const result = await this.readOnce();
      if (result.lostRace) return;
      const wait = Math.min(this.pollMs, until - this.deps.clock.now().getTime());
      if (wait <= 0 || signal.aborted) return;
      await sleep(wait, signal);
    }
  }

  private async ensureSubscriptions(portalId: string): Promise<void> {
    if (this.subscriptionsChecked) return;
    const outcome = await ensureJournalSubscriptions(
      this.deps.api,
      portalId,
      heedJournalSubscriptions(TICKET_PROPERTIES),
    );
    this.covered = outcome.covered;
    if (outcome.created.length > 0) {
      this.deps.logger.info({ objectTypes: outcome.created }, 'Created Heed’s webhooks journal subscriptions');
    }
    for (const refusal of outcome.refused) {
      this.deps.logger.warn(
        { objectTypeId: refusal.objectTypeId, reason: refusal.reason },
        refusal.objectTypeId === OBJECT_TYPE_IDS.feedback_submissions
          ? 'HubSpot’s webhooks journal does not offer feedback submissions here; feedback keeps coming by polling'
          : 'HubSpot refused a webhooks journal subscription; those records keep coming by polling',
      );
    }
    this.subscriptionsChecked = true;
  }

  /** The stored offset is gone: record the fallback, catch up through search, read on from the newest entry. */
  private async fallBack(
    portalId: string,
    raw: string | undefined,
    state: JournalState,
    result: JournalReadResult,
  ): Promise<{ raw: string; state: JournalState } | undefined> {
    const { repos, clock, logger } = this.deps;
    const reason =
      `the journal no longer has the entry after offset ${state.offset} (HubSpot keeps 3 days of history; ` +
      `the last entry was applied ${state.appliedAt ? new Date(state.appliedAt).toISOString() : 'never'})`;
    logger.warn(
      { offset: state.offset, appliedAt: state.appliedAt },
      `Webhooks journal: ${reason}. Catching up through the incremental search, then reading the journal from its newest entry.`,
    );
    result.fellBack = true;
    // The newest offset is taken before the search runs: events after it come from the journal, events before it
    // (back to the search's own cursor, which never depended on the journal) from the search.
    const latest = await journalLatestOffset(this.deps.api, portalId);
    const at = clock.now().getTime();
    const fallback: JournalState = { ...state, offset: latest, mode: 'fallback', fallback: { at, reason } };
    const fallbackRaw = JSON.stringify(fallback);
    if (!(await repos.cursors.compareAndSet(JOURNAL_CURSOR, raw, fallbackRaw, at))) {
      result.lostRace = true;
      return undefined;
    }
    await this.deps.catchUp();
    const resumed: JournalState = {
      ...fallback,
      mode: 'journal',
      fallback: { at, reason, caughtUpAt: clock.now().getTime() },
    };
    const resumedRaw = JSON.stringify(resumed);
    if (!(await repos.cursors.compareAndSet(JOURNAL_CURSOR, fallbackRaw, resumedRaw, clock.now().getTime()))) {
      result.lostRace = true;
      return undefined;
    }
    logger.info({ offset: latest ?? null }, 'Webhooks journal: caught up through search; reading the journal again');
    return { raw: resumedRaw, state: resumed };
  }

  /** Downloads the entries' files and applies their events, in one step per object type. */
  private async apply(portalId: string, entries: readonly TJournalFetch[], result: JournalReadResult): Promise<void> {
    const files = await this.download(portalId, entries);
    // The last action per object decides: a ticket changed then deleted is archived; deleted then restored, fetched.
    const last = new Map<string, { type: string; id: string; action: string }>();
    for (const events of files) {
      for (const event of events) last.set(`${event.objectTypeId}/${event.objectId}`, this.keyOf(event));
    }
    const tickets: string[] = [];
    const deleted: string[] = [];
    const feedback: string[] = [];
    for (const { type, id, action } of last.values()) {
      if (type === OBJECT_TYPE_IDS.tickets) {
        if (DELETIONS.has(action)) deleted.push(id);
        else tickets.push(id);
      } else if (type === OBJECT_TYPE_IDS.feedback_submissions && !DELETIONS.has(action)) {
        feedback.push(id);
      } else {
        result.ignoredEvents++;
      }
    }
    if (deleted.length > 0) {
      result.ticketsArchived += await this.deps.repos.tickets.archive(deleted, this.deps.clock.now().getTime());
    }
    if (tickets.length > 0) {
      const fetched = await this.deps.sync.refetchTickets(tickets);
      result.ticketsFetched += fetched.updated;
      result.ticketsArchived += fetched.archived;
    }
    if (feedback.length > 0) result.feedbackFetched += (await this.deps.sync.refetchFeedback(feedback)).updated;
  }

  private keyOf(event: TJournalEvent): { type: string; id: string; action: string } {
    return { type: event.objectTypeId, id: event.objectId, action: event.action };
  }

  /** Each entry's events, in entry order; a file whose URL expired is fetched again through batch/read. */
  private async download(portalId: string, entries: readonly TJournalFetch[]): Promise<TJournalEvent[][]> {
    const timeoutMs = this.deps.options?.fileTimeoutMs ?? 30_000;
    const parallel = Math.max(1, this.deps.options?.downloads ?? 8);
    const out: TJournalEvent[][] = new Array(entries.length);
    const expired: number[] = [];
    for (let start = 0; start < entries.length; start += parallel) {
      await Promise.all(
        entries.slice(start, start + parallel).map(async (entry, k) => {
          const file = await fetchJournalFile(entry.url, { timeoutMs, fetch: this.deps.options?.fetch });
          if (file.kind === 'url-expired') expired.push(start + k);
          else {
            if (file.skipped > 0) {
              this.deps.logger.warn(
                { offset: entry.currentOffset, skipped: file.skipped },
                'Skipped unreadable journal events',
              );
            }
            out[start + k] = file.events;
          }
        }),
      );
    }
    if (expired.length > 0) {
      const fresh = await journalRead(
        this.deps.api,
        portalId,
        expired.map((i) => entries[i]!.currentOffset),
      );
      for (const i of expired) {
        const again = fresh.get(entries[i]!.currentOffset);
        const file = again
          ? await fetchJournalFile(again.url, { timeoutMs, fetch: this.deps.options?.fetch })
          : undefined;
        if (file?.kind !== 'ok') {
          throw new Error(
            `Webhooks journal entry ${entries[i]!.currentOffset} could not be downloaded; retrying later`,
          );
        }
        out[i] = file.events;
      }
    }
    return out;
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/** One line for `heed status`. */
export function describeJournal(raw: string | undefined, now: number): string | undefined {
  const state = parseJournalState(raw);
  if (!state) return undefined;
  const ago = (ms: number) => {
    const minutes = Math.round((now - ms) / 60_000);
    return minutes < 1 ? 'just now' : minutes < 120 ? `${minutes} min ago` : `${Math.round(minutes / 60)} h ago`;
  };
  const parts = [
    state.mode === 'journal' ? 'reading' : 'catching up through the incremental search',
    `${state.entries} ${state.entries === 1 ? 'entry' : 'entries'} applied${state.appliedAt ? `, last ${ago(state.appliedAt)}` : ''}`,
  ];
  if (state.fallback) {
    parts.push(
      `fell back to the search ${ago(state.fallback.at)} (${state.fallback.reason})` +
        (state.fallback.caughtUpAt ? `, caught up ${ago(state.fallback.caughtUpAt)}` : ''),
    );
  }
  return parts.join('; ');
}

/**
 * The journal as a scheduled job: each minute one replica (the scheduler's lease) reads and polls the journal for
 * most of the minute. A replica that dies mid-run is taken over like any job; the cursor's compare-and-set keeps a
 * replica that lost the lease without knowing from moving the position back.
 */
export function journalJob(reader: JournalReader, options: { windowMs?: number } = {}): Job {
  return {
    name: 'journal',
    schedule: everySchedule(1),
    run: (ctx) => reader.run(ctx.signal, options.windowMs ?? 55_000),
  };
}
