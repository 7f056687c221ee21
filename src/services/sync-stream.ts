// Resumable copying of one HubSpot object type (tickets, feedback submissions) into the database.
//
// First run: a backfill through the list endpoint, 100 per page; the list's `after` token is the cursor.
// Later runs: incremental through search on hs_lastmodifieddate, windowed so the 10,000-result cap never bites:
//   window = [since, now − searchLag], sorted ascending, paged by offset; when the offset would pass 10,000 the
//   window restarts from the last timestamp seen; when more than 10,000 records share one timestamp that
//   timestamp is pinned and paged by hs_object_id. If the search's `total` drops while paging (records modified
//   meanwhile leave the window and shift the offsets), the window restarts from the last timestamp too, so no
//   record is skipped.
// Every page commits together with the cursor that points past it (see db/page-writer.ts), so a sync killed at any
// moment resumes from its last committed page without loss and without starting over.
import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import type { CursorWrite } from '../db/page-writer.ts';
import type { HubspotApi } from '../hubspot/client.ts';
import { type CrmObjectType, listObjectsPage, type SearchFilter, searchObjectsPage } from '../hubspot/crm.ts';
import type { Parsed } from '../hubspot/map.ts';
import type { TListPage, TSearchPage } from '../hubspot/schemas.ts';

/** HubSpot's search refuses to page past this many results. */
export const SEARCH_CAP = 10_000;

export type StreamCursor =
  | { phase: 'backfill'; startedAt: number; after?: string }
  /** `since` is inclusive; with `pinnedId`, records at exactly `since` with ids ≤ pinnedId are done. */
  | { phase: 'incremental'; since: number; pinnedId?: string };

export type StreamSpec<Row> = {
  cursorName: string;
  type: CrmObjectType;
  properties: readonly string[];
  /** Associations the list endpoint returns inline (search cannot). */
  listAssociations: readonly string[];
  map(raws: readonly unknown[]): Parsed<Row>;
  modifiedAt(row: Row): number;
  /** Writes a page and the cursor in one transaction. */
  write(rows: Row[], cursor: CursorWrite): Promise<{ inserted: string[] }>;
  /** Called after each committed page (the follow-up work: associations, names). */
  afterPage?(rows: Row[], inserted: string[], source: 'list' | 'search'): Promise<void>;
};

export type StreamResult = {
  records: number;
  rejected: number;
  pages: number;
  mode: 'backfill' | 'incremental';
  /** Incremental: window restarts because of the 10,000 cap (or a shrinking total). */
  restarts: number;
  pinned: number;
};

export type StreamDeps = {
  api: HubspotApi;
  clock: Pick<Clock, 'now'>;
  logger: Logger;
  getCursor(name: string): Promise<string | undefined>;
  onProgress?: (event: { stream: string; done: number; total?: number | undefined }) => void;
  /** Search lags writes by seconds: the window ends this long before now so nothing is passed over. */
  searchLagMs: number;
  /** Overlap between a backfill's start and the first incremental window. */
  backfillOverlapMs: number;
  searchPageSize: number;
  /** Give the event loop a turn after each committed page (default true; see `yieldToEventLoop`). */
  yieldBetweenPages?: boolean;
};

/**
 * One turn of the event loop for everything else: HTTP requests waiting for their answer (Slack wants an ack within
 * 3 s), timers, the outbox. A page's parse, mapping and SQLite transaction run synchronously, and when HubSpot
 * answers fast the next page is often already there, so without this a backfill can hold the loop for as long as
 * its pages keep coming. `setImmediate` runs after pending I/O callbacks, unlike a resolved promise.
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolveTurn) => setImmediate(resolveTurn));
}

export function parseCursor(value: string | undefined): StreamCursor | undefined {
  if (!value) return undefined;
  try {
    const parsed = JSON.parse(value) as StreamCursor;
    if (parsed.phase === 'backfill' && typeof parsed.startedAt === 'number') return parsed;
    if (parsed.phase === 'incremental' && typeof parsed.since === 'number') return parsed;
  } catch {
    // fall through: an unreadable cursor means a new backfill
  }
  return undefined;
}

export async function syncStream<Row>(
  deps: StreamDeps,
  spec: StreamSpec<Row>,
  options: { full: boolean },
): Promise<StreamResult> {
  let cursor = parseCursor(await deps.getCursor(spec.cursorName));
  // --full starts a backfill, unless one is already under way (then it resumes: a killed --full is not redone).
  if (!cursor || (options.full && cursor.phase !== 'backfill')) {
    cursor = { phase: 'backfill', startedAt: deps.clock.now().getTime() };
  }
  const result: StreamResult = {
    records: 0,
    rejected: 0,
    pages: 0,
    mode: cursor.phase,
    restarts: 0,
    pinned: 0,
  };
  if (cursor.phase === 'backfill') {
    cursor = await backfill(deps, spec, cursor, result);
  }
  await incremental(deps, spec, cursor, result);
  return result;
}

function logRejected(deps: StreamDeps, spec: StreamSpec<unknown>, rejected: Parsed<unknown>['rejected']): void {
  for (const r of rejected) {
    deps.logger.warn({ objectType: spec.type, id: r.id, reason: r.reason }, 'Skipped a malformed HubSpot record');
  }
}

async function backfill<Row>(
  deps: StreamDeps,
  spec: StreamSpec<Row>,
  start: Extract<StreamCursor, { phase: 'backfill' }>,
  result: StreamResult,
): Promise<StreamCursor> {
  const fetchPage = (after: string | undefined) =>
    listObjectsPage(deps.api, spec.type, {
      after,
      properties: spec.properties,
      associations: spec.listAssociations,
    });
  // The next page is requested while the current one is written: the rate limit, not the database, sets the pace.
  let pending: Promise<TListPage> = fetchPage(start.after);
  for (;;) {
    const page = await pending;
    const next = page.paging?.next?.after;
    if (next) {
      pending = fetchPage(next);
      pending.catch(() => undefined);
    }
    const parsed = spec.map(page.results);
    logRejected(deps, spec as StreamSpec<unknown>, parsed.rejected);
    const cursor: StreamCursor = next
      ? { phase: 'backfill', startedAt: start.startedAt, after: next }
      : { phase: 'incremental', since: start.startedAt - deps.backfillOverlapMs };
    const { inserted } = await spec.write(parsed.rows, { name: spec.cursorName, value: JSON.stringify(cursor) });
    result.records += parsed.rows.length;
    result.rejected += parsed.rejected.length;
    result.pages++;
    deps.onProgress?.({ stream: spec.type, done: result.records });
    await spec.afterPage?.(parsed.rows, inserted, 'list');
    if (deps.yieldBetweenPages !== false) await yieldToEventLoop();
    if (!next) return cursor;
  }
}

async function incremental<Row>(
  deps: StreamDeps,
  spec: StreamSpec<Row>,
  start: StreamCursor,
  result: StreamResult,
): Promise<void> {
  if (start.phase !== 'incremental') return;
  const upper = deps.clock.now().getTime() - deps.searchLagMs;
  let since = start.since;
  let pinnedId = start.pinnedId;
  if (since > upper) return;
  const commit = async (rows: Row[], cursor: StreamCursor) => {
    const { inserted } = await spec.write(rows, { name: spec.cursorName, value: JSON.stringify(cursor) });
    await spec.afterPage?.(rows, inserted, 'search');
    if (deps.yieldBetweenPages !== false) await yieldToEventLoop();
  };
  for (;;) {
    if (pinnedId !== undefined) {
      // More than 10,000 records share `since`: walk them by id, restarting the query as often as the cap requires.
      result.pinned++;
      let afterId: string = pinnedId;
      let offset = 0;
      for (;;) {
        const page = await search(
          deps,
          spec,
          [
            { propertyName: 'hs_lastmodifieddate', operator: 'EQ', value: String(since) },
            { propertyName: 'hs_object_id', operator: 'GT', value: afterId },
          ],
          'hs_object_id',
          offset,
        );
        const parsed = spec.map(page.results);
        logRejected(deps, spec as StreamSpec<unknown>, parsed.rejected);
        const lastRaw = page.results.at(-1) as { id?: string } | undefined;
        const lastId: string = lastRaw?.id ?? afterId;
        const next = page.paging?.next?.after;
        const done = !next;
        const cursor: StreamCursor = done
          ? { phase: 'incremental', since: since + 1 }
          : { phase: 'incremental', since, pinnedId: lastId };
        await commit(parsed.rows, cursor);
        count(deps, spec, result, parsed, page.total);
        if (done) break;
        if (Number(next) >= SEARCH_CAP) {
          afterId = lastId;
          offset = 0;
          result.restarts++;
        } else {
          offset = Number(next);
        }
      }
      pinnedId = undefined;
      since += 1;
      continue;
    }
    // One window: [since, upper], ascending, offset paging until done or the cap.
    const windowStart = since;
    let offset = 0;
    let lastT = since;
    let expectedTotal: number | undefined;
    for (;;) {
      const page = await search(
        deps,
        spec,
        [
          { propertyName: 'hs_lastmodifieddate', operator: 'GTE', value: String(since) },
          { propertyName: 'hs_lastmodifieddate', operator: 'LTE', value: String(upper) },
        ],
        'hs_lastmodifieddate',
        offset,
      );
      const parsed = spec.map(page.results);
      logRejected(deps, spec as StreamSpec<unknown>, parsed.rejected);
      const previousT = lastT;
      for (const row of parsed.rows) lastT = Math.max(lastT, spec.modifiedAt(row));
      const next = page.paging?.next?.after;
      // Records modified while we page leave the window and shift later ones onto offsets already read:
      // whatever was skipped lies at or after the previous page's last timestamp, so re-read from there.
      const shrank = offset > 0 && expectedTotal !== undefined && page.total < expectedTotal;
      expectedTotal = page.total;
      if (shrank) {
        await commit(parsed.rows, { phase: 'incremental', since: previousT });
        count(deps, spec, result, parsed, page.total);
        result.restarts++;
        since = previousT;
        lastT = previousT;
        break;
      }
      if (!next) {
        await commit(parsed.rows, { phase: 'incremental', since: upper + 1 });
        count(deps, spec, result, parsed, page.total);
        return;
      }
      await commit(parsed.rows, { phase: 'incremental', since: lastT });
      count(deps, spec, result, parsed, page.total);
      if (Number(next) >= SEARCH_CAP) {
        result.restarts++;
        // A whole cap's worth of records shares one timestamp: pin it and walk it by id.
        if (lastT === windowStart) pinnedId = '0';
        else since = lastT;
        break;
      }
      offset = Number(next);
    }
  }
}

function count<Row>(deps: StreamDeps, spec: StreamSpec<Row>, result: StreamResult, parsed: Parsed<Row>, total: number) {
  result.records += parsed.rows.length;
  result.rejected += parsed.rejected.length;
  result.pages++;
  deps.onProgress?.({ stream: spec.type, done: result.records, total });
}

function search<Row>(
  deps: StreamDeps,
  spec: StreamSpec<Row>,
  filters: SearchFilter[],
  sortBy: string,
  offset: number,
): Promise<TSearchPage> {
  return searchObjectsPage(deps.api, spec.type, {
    filters,
    sort: { propertyName: sortBy, direction: 'ASCENDING' },
    properties: spec.properties,
    limit: deps.searchPageSize,
    after: offset > 0 ? String(offset) : undefined,
  });
}
