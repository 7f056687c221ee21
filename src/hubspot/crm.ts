// The HubSpot endpoints Heed calls, one function each, over HubspotApi (limits, retries, validation). Paths come
// from ./api-version.ts (one date-versioned family, 2026-09). Records inside pages are returned raw: callers map
// them with ./map.ts, which rejects bad records one by one.
import { type CrmObjectType, paths } from './api-version.ts';
import { type HubspotApi, HubspotError } from './client.ts';
import {
  type TAccountDetails,
  type TCrmObject,
  type TListPage,
  type TOwner,
  type TPipeline,
  type TSearchPage,
  ZAccountDetails,
  ZAssociationBatchResponse,
  ZBatchReadResponse,
  ZCrmObject,
  ZListPage,
  ZOwner,
  ZPipelinesResponse,
  ZSearchPage,
} from './schemas.ts';

export type { CrmObjectType } from './api-version.ts';

export async function getAccountDetails(api: HubspotApi): Promise<TAccountDetails> {
  return (await api.request({ method: 'GET', path: paths.accountDetails() }, ZAccountDetails, [200])).data;
}

/** Every owner (HubSpot pages owners; 500 per page covers almost every portal in one call). */
export async function listOwners(
  api: HubspotApi,
): Promise<{ owners: TOwner[]; rejected: { id?: string; reason: string }[] }> {
  const owners: TOwner[] = [];
  const rejected: { id?: string; reason: string }[] = [];
  let after: string | undefined;
  do {
    const query: [string, string][] = [['limit', '500']];
    if (after) query.push(['after', after]);
    const page = (await api.request({ method: 'GET', path: paths.owners(), query }, ZListPage, [200])).data;
    for (const raw of page.results) {
      const parsed = ZOwner.safeParse(raw);
      if (parsed.success) owners.push(parsed.data);
      else rejected.push({ id: (raw as { id?: string })?.id, reason: parsed.error.issues[0]?.message ?? 'invalid' });
    }
    after = page.paging?.next?.after;
  } while (after);
  return { owners, rejected };
}

export async function getTicketPipelines(api: HubspotApi): Promise<TPipeline[]> {
  return (await api.request({ method: 'GET', path: paths.pipelines('tickets') }, ZPipelinesResponse, [200])).data
    .results;
}

export type ListPageRequest = {
  after?: string | undefined;
  properties: readonly string[];
  associations?: readonly string[];
  archived?: boolean;
  limit?: number;
};

/** One page of the list endpoint (GET /crm/objects/2026-09/{type}); 100 is the most HubSpot gives per page. */
export async function listObjectsPage(
  api: HubspotApi,
  type: CrmObjectType,
  request: ListPageRequest,
): Promise<TListPage> {
  const query: [string, string][] = [['limit', String(request.limit ?? 100)]];
  if (request.after) query.push(['after', request.after]);
  // Comma-joined: one parameter instead of 26 keeps the URL short; the spec declares the lists comma-separated.
  query.push(['properties', request.properties.join(',')]);
  if (request.associations && request.associations.length > 0) {
    query.push(['associations', request.associations.join(',')]);
  }
  query.push(['archived', String(request.archived ?? false)]);
  return (await api.request({ method: 'GET', path: paths.objects(type), query }, ZListPage, [200])).data;
}

export type SearchFilter = {
  propertyName: string;
  operator: 'EQ' | 'GT' | 'GTE' | 'LT' | 'LTE';
  value: string;
};

export type SearchRequest = {
  filters: SearchFilter[];
  sort: { propertyName: string; direction: 'ASCENDING' | 'DESCENDING' };
  properties: readonly string[];
  limit?: number;
  after?: string | undefined;
};

export async function searchObjectsPage(
  api: HubspotApi,
  type: CrmObjectType,
  request: SearchRequest,
): Promise<TSearchPage> {
  // PublicObjectSearchRequest (2026-09) requires `after` (the first page is offset "0") and declares `sorts` as
  // strings: a property name sorts ascending, a leading "-" descending.
  const { propertyName, direction } = request.sort;
  const body = {
    filterGroups: [{ filters: request.filters }],
    sorts: [direction === 'DESCENDING' ? `-${propertyName}` : propertyName],
    properties: request.properties,
    limit: request.limit ?? 200,
    after: request.after ?? '0',
  };
  return (await api.request({ method: 'POST', path: paths.search(type), body, search: true }, ZSearchPage, [200])).data;
}

/** Batch read of up to 100 objects. `missing` lists the ids HubSpot could not return (deleted or unknown). */
export async function batchReadObjects(
  api: HubspotApi,
  type: CrmObjectType,
  ids: readonly string[],
  properties: readonly string[],
): Promise<{ results: unknown[]; missing: string[] }> {
  if (ids.length === 0) return { results: [], missing: [] };
  if (ids.length > 100) throw new RangeError('batchReadObjects: at most 100 ids per call');
  const { data } = await api.request(
    {
      method: 'POST',
      path: paths.batchRead(type),
      body: { inputs: ids.map((id) => ({ id })), properties, propertiesWithHistory: [] },
    },
    ZBatchReadResponse,
  );
  const missing = (data.errors ?? []).flatMap((e) => e.context?.['ids'] ?? []);
  return { results: data.results, missing };
}

/** Associations batch read (2026-09): from-id → associated ids (the one labelled primary first). */
export async function batchReadAssociations(
  api: HubspotApi,
  from: CrmObjectType,
  to: CrmObjectType,
  ids: readonly string[],
): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  if (ids.length === 0) return out;
  const { data } = await api.request(
    {
      method: 'POST',
      path: paths.associationsBatchRead(from, to),
      body: { inputs: ids.map((id) => ({ id })) },
    },
    ZAssociationBatchResponse,
  );
  for (const result of data.results) {
    const sorted = [...result.to].sort(
      (a, b) => Number(isPrimary(b.associationTypes)) - Number(isPrimary(a.associationTypes)),
    );
    out.set(
      result.from.id,
      sorted.map((t) => t.toObjectId),
    );
  }
  return out;
}

function isPrimary(types: readonly { label?: string | null | undefined; typeId: number }[]): boolean {
  // 26 is ticket→company "primary"; labelled associations say so in their label.
  return types.some((t) => t.typeId === 26 || /primary/i.test(t.label ?? ''));
}

/**
 * Sets a ticket's owner (PATCH, 2026-09). Used by claims. Since 2026-09 HubSpot applies the account's validation
 * rules to API writes: a refusal throws HUBSPOT_WRITE_REFUSED with the rule in HubSpot's words; a ticket that
 * no longer exists throws HUBSPOT_NOT_FOUND.
 */
export async function setTicketOwner(api: HubspotApi, ticketId: string, ownerId: string | null): Promise<TCrmObject> {
  return patchTicket(api, ticketId, { hubspot_owner_id: ownerId ?? '' }, `set the owner of ticket ${ticketId}`);
}

/** Moves a ticket to a stage of its pipeline (PATCH, 2026-09): ✅ handled, when the policy says so. */
export async function setTicketStage(api: HubspotApi, ticketId: string, stageId: string): Promise<TCrmObject> {
  return patchTicket(api, ticketId, { hs_pipeline_stage: stageId }, `move ticket ${ticketId} to stage ${stageId}`);
}

/** A ticket's current owner id as HubSpot has it now (null: unassigned); undefined when the ticket is gone. */
export async function readTicketOwner(api: HubspotApi, ticketId: string): Promise<string | null | undefined> {
  const { results } = await batchReadObjects(api, 'tickets', [ticketId], ['hubspot_owner_id']);
  const parsed = ZCrmObject.safeParse(results[0]);
  if (!parsed.success) return undefined;
  return parsed.data.properties['hubspot_owner_id'] || null;
}

async function patchTicket(
  api: HubspotApi,
  ticketId: string,
  properties: Record<string, string>,
  what: string,
): Promise<TCrmObject> {
  try {
    return (
      await api.request(
        { method: 'PATCH', path: paths.object('tickets', ticketId), body: { properties }, notFound: 'object' },
        ZCrmObject,
        [200],
      )
    ).data;
  } catch (error) {
    if (error instanceof HubspotError && error.code === 'HUBSPOT_WRITE_REFUSED') {
      throw new HubspotError(
        'HUBSPOT_WRITE_REFUSED',
        error.message.replace(
          `HubSpot refused PATCH ${paths.object('tickets', ticketId)}`,
          `HubSpot refused to ${what}`,
        ),
        { status: error.status, body: error.body, ...(error.fix ? { fix: error.fix } : {}) },
      );
    }
    throw error;
  }
}
