// The customers behind open tickets, as far as SLA rules need them: the companies' and contacts' properties the
// policy names (`"when": { "company": { "tier": ["Enterprise"] } }`), and nothing when it names none. One step of
// each sync pass, after the tickets:
// 1. tickets' primary company, for open tickets synced before a rule needed it (associations batch read, 2026-09);
// 2. records open tickets name that Heed has not read yet, and every stored record again when the policy starts
//    naming another property (batch read, only the named properties);
// 3. records changed in HubSpot since the last pass (search on the last-modified date), for the records Heed
//    keeps. A changed property moves the record's changedAt, and the incremental evaluation then re-reads that
//    customer's open tickets: a company moved to Enterprise gets Enterprise targets on its next run.
import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import type { CustomerRecordWrite } from '../db/customer-record-repo.ts';
import type { HubspotRepos } from '../db/hubspot-repos.ts';
import type { HubspotApi } from '../hubspot/client.ts';
import { batchReadAssociations, batchReadObjects, searchObjectsPage } from '../hubspot/crm.ts';
import { mapRecords, parseHubspotTime } from '../hubspot/map.ts';
import { SEARCH_CAP } from './sync-stream.ts';

export interface CustomerProperties {
  readonly companies: readonly string[];
  readonly contacts: readonly string[];
}

export interface CustomerSyncDeps {
  readonly api: HubspotApi;
  readonly repos: Pick<HubspotRepos, 'cursors' | 'tickets' | 'companies' | 'contacts'>;
  readonly clock: Pick<Clock, 'now'>;
  readonly logger: Logger;
  /** Search lags writes: changes are searched up to this long before now (the next pass covers the rest). */
  readonly searchLagMs: number;
  /** Records read per pass at most (missing and re-read ones), so a first pass on a large portal stays bounded. */
  readonly recordsPerPass?: number;
}

export interface CustomerSyncStats {
  /** Open tickets whose company association was looked up. */
  linked: number;
  /** Records read, and of those whose stored properties changed. */
  companies: { read: number; changed: number };
  contacts: { read: number; changed: number };
}

export type CustomerType = 'companies' | 'contacts';

/** The last-modified property each object searches and sorts on. */
const MODIFIED: Record<CustomerType, string> = { companies: 'hs_lastmodifieddate', contacts: 'lastmodifieddate' };
const OVERLAP_MS = 60_000;
const BATCH = 100;

export async function syncCustomers(
  deps: CustomerSyncDeps,
  properties: CustomerProperties,
): Promise<CustomerSyncStats> {
  const stats: CustomerSyncStats = { linked: 0, companies: { read: 0, changed: 0 }, contacts: { read: 0, changed: 0 } };
  if (properties.companies.length > 0) {
    stats.linked = await linkCompanies(deps);
    Object.assign(stats.companies, await syncType(deps, 'companies', properties.companies));
  }
  if (properties.contacts.length > 0)
    Object.assign(stats.contacts, await syncType(deps, 'contacts', properties.contacts));
  return stats;
}

/** Open tickets without a known company association: look it up ("" when the ticket has none). */
async function linkCompanies(deps: CustomerSyncDeps): Promise<number> {
  const limit = deps.recordsPerPass ?? 10_000;
  let linked = 0;
  while (linked < limit) {
    const ids = await deps.repos.tickets.needingCompany(Math.min(1000, limit - linked));
    if (ids.length === 0) break;
    for (let i = 0; i < ids.length; i += BATCH) {
      const batch = ids.slice(i, i + BATCH);
      const found = await batchReadAssociations(deps.api, 'tickets', 'companies', batch);
      await deps.repos.tickets.setCompanies(
        batch.map((ticketId) => ({ ticketId, companyId: found.get(ticketId)?.[0] ?? '' })),
      );
    }
    linked += ids.length;
    if (ids.length < 1000) break;
  }
  return linked;
}

async function syncType(
  deps: CustomerSyncDeps,
  type: CustomerType,
  names: readonly string[],
): Promise<{ read: number; changed: number }> {
  const { repos, clock } = deps;
  const repo = type === 'companies' ? repos.companies : repos.contacts;
  const limit = deps.recordsPerPass ?? 10_000;
  let read = 0;
  let changed = 0;
  const write = async (records: CustomerRecordWrite[]) => {
    read += records.length;
    changed += await repo.upsert(records, clock.now().getTime());
  };

  // A property the policy names for the first time: every stored record is read again for it.
  const propertiesCursor = `${type}.properties`;
  const wanted = names.join(',');
  const stored = await repos.cursors.get(propertiesCursor);
  if (stored !== undefined && stored !== wanted) {
    for (const batch of chunks(await repo.ids(), BATCH)) await write(await readRecords(deps, type, batch, names));
  }
  if (stored !== wanted) await repos.cursors.set({ name: propertiesCursor, value: wanted }, clock.now().getTime());

  // Records open tickets name and Heed has not read.
  while (read < limit) {
    const missing = await repo.missingForOpenTickets(Math.min(1000, limit - read));
    if (missing.length === 0) break;
    for (const batch of chunks(missing, BATCH)) {
      const records = await readRecords(deps, type, batch, names);
      // One HubSpot no longer returns is stored empty: asked once, it matches no condition.
      const returned = new Set(records.map((r) => r.id));
      const gone = batch.filter((id) => !returned.has(id));
      await write([...records, ...gone.map((id) => ({ id, properties: {}, modifiedAt: clock.now().getTime() }))]);
    }
  }

  changed += await searchChanges(deps, type, names);
  return { read, changed };
}

/**
 * Records a webhook named (a company or contact changed in HubSpot): those Heed keeps are read again at once,
 * so a tier change reaches the next evaluation without waiting for the sync's search. Returns how many of the
 * stored records changed.
 */
export async function refetchCustomers(
  deps: CustomerSyncDeps,
  type: CustomerType,
  ids: readonly string[],
  names: readonly string[],
): Promise<{ read: number; changed: number }> {
  if (names.length === 0 || ids.length === 0) return { read: 0, changed: 0 };
  const repo = type === 'companies' ? deps.repos.companies : deps.repos.contacts;
  const kept = [...(await repo.known([...new Set(ids)]))];
  let read = 0;
  let changed = 0;
  for (const batch of chunks(kept, BATCH)) {
    const records = await readRecords(deps, type, batch, names);
    // Deleted (or merged away) in HubSpot: stored empty, so it matches no condition any more.
    const returned = new Set(records.map((r) => r.id));
    const now = deps.clock.now().getTime();
    const gone = batch.filter((id) => !returned.has(id)).map((id) => ({ id, properties: {}, modifiedAt: now }));
    read += records.length;
    changed += await repo.upsert([...records, ...gone], now);
  }
  return { read, changed };
}

/** Batch read of records with the named properties (and the modified date). */
async function readRecords(
  deps: CustomerSyncDeps,
  type: CustomerType,
  ids: readonly string[],
  names: readonly string[],
): Promise<CustomerRecordWrite[]> {
  const { results } = await batchReadObjects(deps.api, type, ids, [...names, MODIFIED[type]]);
  return parse(deps, type, results, names);
}

function parse(
  deps: CustomerSyncDeps,
  type: CustomerType,
  raws: readonly unknown[],
  names: readonly string[],
): CustomerRecordWrite[] {
  const parsed = mapRecords(raws, (o) => ({
    id: o.id,
    properties: Object.fromEntries(names.map((name) => [name, o.properties[name] ?? null])),
    modifiedAt: parseHubspotTime(o.properties[MODIFIED[type]]) ?? Date.parse(o.updatedAt),
  }));
  for (const r of parsed.rejected) {
    deps.logger.warn({ id: r.id, type, reason: r.reason }, 'Skipped a malformed HubSpot record');
  }
  return parsed.rows.map((r) => ({ ...r, modifiedAt: Number.isFinite(r.modifiedAt) ? r.modifiedAt : 0 }));
}

/**
 * Records changed since the cursor, by search on the last-modified date (ascending); only the records Heed keeps
 * are written. The first pass starts the cursor (the records it reads are current). Past the search's 10,000
 * results the window restarts from the last date seen. Returns how many stored records changed.
 */
async function searchChanges(deps: CustomerSyncDeps, type: CustomerType, names: readonly string[]): Promise<number> {
  const { repos, clock, api } = deps;
  const repo = type === 'companies' ? repos.companies : repos.contacts;
  const cursorName = `${type}.modified`;
  const until = clock.now().getTime() - deps.searchLagMs;
  const stored = await repos.cursors.get(cursorName);
  if (stored === undefined) {
    await repos.cursors.set({ name: cursorName, value: String(until) }, clock.now().getTime());
    return 0;
  }
  let from = Number(stored) - OVERLAP_MS;
  let changed = 0;
  for (;;) {
    let after: string | undefined;
    let seen = 0;
    let last = from;
    let restart = false;
    do {
      const page = await searchObjectsPage(api, type, {
        filters: [
          { propertyName: MODIFIED[type], operator: 'GT', value: String(from) },
          { propertyName: MODIFIED[type], operator: 'LTE', value: String(until) },
        ],
        sort: { propertyName: MODIFIED[type], direction: 'ASCENDING' },
        properties: [...names, MODIFIED[type]],
        limit: 200,
        after,
      });
      const records = parse(deps, type, page.results, names);
      const known = await repo.known(records.map((r) => r.id));
      changed += await repo.upsert(
        records.filter((r) => known.has(r.id)),
        clock.now().getTime(),
      );
      for (const r of records) last = Math.max(last, r.modifiedAt);
      seen += page.results.length;
      after = page.paging?.next?.after;
      if (after && seen + 200 > SEARCH_CAP) {
        // The search will not page further: start a new window from the last date seen.
        restart = last > from;
        break;
      }
    } while (after);
    if (!restart) break;
    from = last - 1;
  }
  await repos.cursors.set({ name: cursorName, value: String(until) }, clock.now().getTime());
  return changed;
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
