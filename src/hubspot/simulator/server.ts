// The HubSpot simulator: a plain node:http server on 127.0.0.1 that speaks the subset of HubSpot's API Heed uses,
// shaped as the specs in ../shared/specs/hubspot/2026-09/ say (strings for every property, forward paging, the
// search 10,000-result cap, 429 bodies per policy, rate-limit headers), on the date-versioned paths (2026-03 and
// 2026-09) and, unless told HubSpot retired them, on the legacy v3/v4 paths too. With an app's client credentials it
// also runs the webhooks journal (2026-03) and its OAuth token endpoint, and it can push signed webhooks.
// Tests, the offline demo and the benchmarks use it.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LEGACY_PATH } from '../api-version.ts';
import { signV3 } from '../webhook-signature.ts';
import { SimJournal, type SimJournalOptions } from './journal.ts';
import { type PortalOptions, type SimChange, SimPortal } from './portal.ts';

export type SimRateLimit = {
  /** Requests per rolling 10 s window (HubSpot: 100 Free/Starter, 190 Pro/Enterprise). */
  perTenSeconds?: number;
  /** Search requests per second (HubSpot: about 5). */
  searchPerSecond?: number;
  /** Requests per day; the day resets at midnight in the portal's time zone. */
  daily?: number;
};

export type SimFault = {
  /** Matches `"<METHOD> <path>"` by substring, e.g. "POST /crm/v3/objects/tickets/search" or "feedback". */
  match: string;
  /** How many matching requests fail (default 1). */
  times?: number;
} & (
  | { kind: 'status'; status: number; body?: unknown }
  | { kind: 'rate-limit'; policy: 'TEN_SECONDLY_ROLLING' | 'SECONDLY' | 'DAILY' }
  /** Holds the request this long before answering normally (a client with a shorter timeout gives up). */
  | { kind: 'delay'; ms: number }
  /** Destroys the socket without an answer. */
  | { kind: 'reset' }
);

export type SimulatorOptions = {
  portal?: SimPortal;
  /** Used to build a portal when `portal` is not given. */
  portalOptions?: PortalOptions;
  /** When set, requests must carry `Authorization: Bearer <token>`. */
  accessToken?: string;
  rateLimit?: SimRateLimit;
  /** Added before every answer. */
  latencyMs?: number;
  /**
   * Search is eventually consistent at HubSpot: records changed less than this long ago are not in the search
   * index yet (the list and batch-read endpoints see them at once).
   */
  searchLagMs?: number;
  /** Answer feedback endpoints with 403, like a portal without Service Hub Professional. */
  feedbackForbidden?: boolean;
  /** Called for every request as it arrives, with its `"<METHOD> <path>"` and that key's running count. */
  onRequest?: (key: string, count: number) => void;
  /** The simulator's clock (for rate-limit windows and "now"); defaults to the wall clock. */
  clock?: () => number;
  port?: number;
  /** Date versions served on the CRM paths (HubSpot serves each for 18 months). */
  versions?: string[];
  /**
   * Answers as HubSpot will once support ends: every legacy v1–v4 path (`legacy`), and/or whole date versions, with
   * `status` (404 by default, or 410) and HubSpot's error body.
   */
  retired?: { legacy?: boolean; versions?: string[]; status?: 404 | 410 };
  /** The project app: with its client credentials the journal and its token endpoint are on. */
  app?: { clientId: string; clientSecret: string; appId?: number };
  journal?: Partial<Pick<SimJournalOptions, 'historyMs' | 'entrySize' | 'publishDelayMs' | 'urlTtlMs' | 'objectTypes'>>;
  /** Pushes ticket, company and contact changes as signed (v3) webhook batches to `targetUrl`, `delayMs` after the change. */
  webhooks?: { targetUrl: string; clientSecret: string; delayMs?: number };
  /** Keeps every request and its answer in `requests` (for the spec-conformance test). */
  recordRequests?: boolean;
  /** Answer users endpoints with 403, like a credential without crm.objects.users.read. */
  usersForbidden?: boolean;
  /** The scopes the access token was given (a service key's); unset, every scope is granted. */
  scopes?: string[];
};

export type RecordedRequest = {
  method: string;
  path: string;
  query: URLSearchParams;
  body: unknown;
  status: number;
  response: unknown;
};

export type Simulator = {
  url: string;
  portal: SimPortal;
  /** Requests by `"<METHOD> <path>"`, including refused ones. */
  counts: Map<string, number>;
  /** Answers by status code. */
  statuses: Map<number, number>;
  totalRequests(): number;
  resetCounts(): void;
  injectFault(fault: SimFault): void;
  setFeedbackForbidden(forbidden: boolean): void;
  setRateLimit(limit: SimRateLimit | undefined): void;
  setLatency(ms: number): void;
  setUsersForbidden(forbidden: boolean): void;
  /** The token's scopes from now on (a key whose scopes an admin changed); undefined grants every scope. */
  setScopes(scopes: string[] | undefined): void;
  /** Retires legacy paths and/or versions from now on (see SimulatorOptions.retired). */
  setRetired(retired: SimulatorOptions['retired']): void;
  /** The webhooks journal, when the simulator has an app. */
  journal: SimJournal | undefined;
  /** Every request and answer, when `recordRequests` is on. */
  requests: RecordedRequest[];
  /** Webhook batches pushed so far, and how many the target refused. */
  webhookStats: { batches: number; events: number; failed: number };
  close(): Promise<void>;
};

/** The search API refuses to page past this many results. */
export const SEARCH_RESULT_CAP = 10_000;

type Store = {
  count(): number;
  id(i: number): string;
  index(id: string): number | undefined;
  createdAt(i: number): number;
  modifiedAt(i: number): number;
  archived(i: number): boolean;
  archivedAt(i: number): number;
  properties(i: number): Record<string, string | null>;
  /** Associated ids by object type (plural name, as in the URL). */
  associations(i: number, toType: string): { id: string; typeId: number; label?: string }[];
  defaultProperties: string[];
};

const TICKET_DEFAULTS = [
  'content',
  'hs_pipeline',
  'hs_pipeline_stage',
  'hs_ticket_category',
  'hs_ticket_priority',
  'subject',
];
const ALWAYS = ['createdate', 'hs_lastmodifieddate', 'hs_object_id'];

function ticketStore(portal: SimPortal): Store {
  return {
    count: () => portal.ticketCount,
    id: (i) => portal.ticketId(i),
    index: (id) => portal.ticketIndex(id),
    createdAt: (i) => portal.t.createdAt[i]!,
    modifiedAt: (i) => portal.t.modifiedAt[i]!,
    archived: (i) => portal.t.archived[i] === 1,
    archivedAt: (i) => portal.t.archivedAt[i]!,
    properties: (i) => portal.ticketProperties(i),
    associations: (i, toType) => {
      if (toType === 'contacts') return [{ id: portal.contactId(portal.t.contact[i]!), typeId: 16 }];
      if (toType === 'companies' && portal.t.company[i]! >= 0) {
        return [{ id: portal.companyId(portal.t.company[i]!), typeId: 26, label: 'Primary' }];
      }
      return [];
    },
    defaultProperties: [...TICKET_DEFAULTS, ...ALWAYS],
  };
}

function feedbackStore(portal: SimPortal): Store {
  const fb = portal.feedback;
  return {
    count: () => portal.feedbackCount,
    id: (f) => portal.feedbackId(f),
    index: (id) => portal.feedbackIndex(id),
    createdAt: (f) => fb.submittedAt[f]!,
    modifiedAt: (f) => fb.submittedAt[f]!,
    archived: () => false,
    archivedAt: () => Number.NaN,
    properties: (f) => portal.feedbackProperties(f),
    associations: (f, toType) => {
      if (toType === 'contacts') return [{ id: portal.contactId(fb.contact[f]!), typeId: 98 }];
      if (toType === 'tickets' && fb.ticket[f]! >= 0) return [{ id: portal.ticketId(fb.ticket[f]!), typeId: 100 }];
      return [];
    },
    defaultProperties: ['hs_createdate', 'hs_lastmodifieddate', 'hs_object_id', 'hs_survey_type', 'hs_value'],
  };
}

function simpleStore(
  count: () => number,
  id: (i: number) => string,
  index: (id: string) => number | undefined,
  properties: (i: number) => Record<string, string | null>,
  defaults: string[],
  modifiedAt: (i: number) => number,
): Store {
  const epoch = Date.parse('2024-01-01T00:00:00.000Z');
  return {
    count,
    id,
    index,
    createdAt: () => epoch,
    modifiedAt,
    archived: () => false,
    archivedAt: () => Number.NaN,
    properties,
    associations: () => [],
    defaultProperties: defaults,
  };
}

class HttpError extends Error {
  readonly status: number;
  readonly body: unknown;

  constructor(status: number, body: unknown) {
    super(`HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

function errorBody(message: string, category: string): Record<string, unknown> {
  return { status: 'error', message, correlationId: randomUUID(), category };
}

const iso = (ms: number) => new Date(ms).toISOString();

export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const clock = options.clock ?? Date.now;
  const portal = options.portal ?? new SimPortal(options.portalOptions ?? { now: clock() });
  const stores: Record<string, Store> = {
    tickets: ticketStore(portal),
    feedback_submissions: feedbackStore(portal),
    contacts: simpleStore(
      () => portal.contactCount,
      (c) => portal.contactId(c),
      (id) => portal.contactIndex(id),
      (c) => portal.contactProperties(c),
      ['firstname', 'lastname', 'email', 'createdate', 'lastmodifieddate', 'hs_object_id'],
      (c) => portal.contactModifiedAt[c]!,
    ),
    companies: simpleStore(
      () => portal.companyCount,
      (k) => portal.companyId(k),
      (id) => portal.companyIndex(id),
      (k) => portal.companyProperties(k),
      ['name', 'domain', 'createdate', 'hs_lastmodifieddate', 'hs_object_id'],
      (k) => portal.companyModifiedAt[k]!,
    ),
    users: {
      count: () => portal.users.length,
      id: (k) => portal.users[k]!.id,
      index: (id) => portal.userIndex(id),
      createdAt: (k) => portal.users[k]!.createdAt,
      modifiedAt: (k) => portal.users[k]!.modifiedAt,
      archived: () => false,
      archivedAt: () => Number.NaN,
      properties: (k) => portal.userProperties(k),
      associations: () => [],
      defaultProperties: ['hs_createdate', 'hs_lastmodifieddate', 'hs_object_id'],
    },
  };
  const served = new Set(options.versions ?? ['2026-03', '2026-09']);
  let retired = options.retired;
  let usersForbidden = options.usersForbidden ?? false;
  const requests: RecordedRequest[] = [];
  let baseUrl = '';
  const journal = options.app
    ? new SimJournal({
        portalId: portal.portalId,
        appId: options.app.appId ?? 4_242_001,
        clock,
        ...options.journal,
      })
    : undefined;
  /** Client-credentials tokens issued, with their scopes and expiry. */
  const issuedTokens = new Map<string, { scopes: string[]; expiresAt: number }>();
  const webhookStats = { batches: 0, events: 0, failed: 0 };
  let pendingPush: SimChange[] = [];
  let pushTimer: NodeJS.Timeout | undefined;
  let eventSequence = 1;
  const stopListening = portal.onChange((changes) => {
    journal?.record(changes);
    if (options.webhooks) {
      pendingPush.push(
        ...changes.filter(
          (c) => c.objectType === 'tickets' || c.objectType === 'companies' || c.objectType === 'contacts',
        ),
      );
      pushTimer ??= setTimeout(() => void pushWebhooks(), options.webhooks.delayMs ?? 0);
    }
  });

  /** HubSpot's delivery: batches of ≤ 100 events, signed v3 with the app's client secret. */
  async function pushWebhooks(): Promise<void> {
    pushTimer = undefined;
    const hooks = options.webhooks!;
    const changes = pendingPush;
    pendingPush = [];
    const events = changes.flatMap((change) => {
      const base = {
        subscriptionId: 1,
        portalId: portal.portalId,
        appId: options.app?.appId ?? 4_242_001,
        occurredAt: change.at,
        objectTypeId: change.objectType === 'companies' ? '0-2' : change.objectType === 'contacts' ? '0-1' : '0-5',
        attemptNumber: 0,
        objectId: Number(change.objectId),
        changeSource: 'CRM_UI',
      };
      if (change.action !== 'UPDATE') {
        const type = change.action === 'CREATE' ? 'object.creation' : 'object.deletion';
        return [{ eventId: eventSequence++, subscriptionType: type, ...base }];
      }
      return change.properties.map((p) => ({
        eventId: eventSequence++,
        subscriptionType: 'object.propertyChange',
        propertyName: p.name,
        propertyValue: p.value ?? '',
        ...base,
      }));
    });
    for (let k = 0; k < events.length; k += 100) {
      const body = JSON.stringify(events.slice(k, k + 100));
      const timestamp = String(clock());
      try {
        const response = await fetch(hooks.targetUrl, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'x-hubspot-signature-v3': signV3(hooks.clientSecret, 'POST', hooks.targetUrl, body, timestamp),
            'x-hubspot-request-timestamp': timestamp,
          },
          body,
        });
        await response.arrayBuffer();
        webhookStats.batches++;
        webhookStats.events += Math.min(100, events.length - k);
        if (response.status >= 300) webhookStats.failed++;
      } catch {
        webhookStats.failed++;
      }
    }
  }
  const counts = new Map<string, number>();
  const statuses = new Map<number, number>();
  let faults: (SimFault & { left: number })[] = [];
  let feedbackForbidden = options.feedbackForbidden ?? false;
  let rateLimit = options.rateLimit;
  let latencyMs = options.latencyMs ?? 0;
  // Rolling windows of accepted request times.
  let general: number[] = [];
  let search: number[] = [];
  let daily = { day: '', used: 0 };
  const sortCache = new Map<string, { version: number; order: Int32Array }>();

  const dayOf = (ms: number) =>
    new Intl.DateTimeFormat('en-CA', {
      timeZone: portal.timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
    }).format(ms);

  function rateHeaders(now: number): Record<string, string> {
    if (!rateLimit?.perTenSeconds) return {};
    const headers: Record<string, string> = {
      'X-HubSpot-RateLimit-Max': String(rateLimit.perTenSeconds),
      'X-HubSpot-RateLimit-Remaining': String(
        Math.max(0, rateLimit.perTenSeconds - general.filter((t) => t > now - 10_000).length),
      ),
      'X-HubSpot-RateLimit-Interval-Milliseconds': '10000',
    };
    if (rateLimit.daily) {
      headers['X-HubSpot-RateLimit-Daily'] = String(rateLimit.daily);
      headers['X-HubSpot-RateLimit-Daily-Remaining'] = String(Math.max(0, rateLimit.daily - daily.used));
    }
    return headers;
  }

  function rateLimited(policy: 'TEN_SECONDLY_ROLLING' | 'SECONDLY' | 'DAILY'): HttpError {
    const message =
      policy === 'DAILY'
        ? 'You have reached your daily limit.'
        : policy === 'SECONDLY'
          ? 'You have reached your secondly limit.'
          : 'You have reached your ten_secondly_rolling limit.';
    return new HttpError(429, {
      status: 'error',
      message,
      errorType: 'RATE_LIMIT',
      correlationId: randomUUID(),
      policyName: policy,
      groupName: policy === 'SECONDLY' ? 'search' : 'api',
    });
  }

  /** Admits a request against the configured limits, or throws the 429 HubSpot would send. */
  function admit(isSearch: boolean, now: number): void {
    if (!rateLimit) return;
    const today = dayOf(now);
    if (daily.day !== today) daily = { day: today, used: 0 };
    if (rateLimit.daily !== undefined && daily.used >= rateLimit.daily) throw rateLimited('DAILY');
    if (rateLimit.perTenSeconds !== undefined) {
      general = general.filter((t) => t > now - 10_000);
      if (general.length >= rateLimit.perTenSeconds) throw rateLimited('TEN_SECONDLY_ROLLING');
    }
    if (isSearch && rateLimit.searchPerSecond !== undefined) {
      search = search.filter((t) => t > now - 1000);
      if (search.length >= rateLimit.searchPerSecond) throw rateLimited('SECONDLY');
      search.push(now);
    }
    if (rateLimit.perTenSeconds !== undefined) general.push(now);
    daily.used++;
  }

  function render(store: Store, i: number, properties: string[] | undefined, associations?: string[]) {
    const all = store.properties(i);
    const wanted =
      properties && properties.length > 0 ? new Set([...properties, ...ALWAYS]) : new Set(store.defaultProperties);
    const props: Record<string, string | null> = {};
    for (const name of wanted) {
      // Requested properties the object lacks come back as null, as HubSpot does; hs_createdate aliases on feedback.
      if (name in all) props[name] = all[name] ?? null;
      else if (properties?.includes(name)) props[name] = null;
    }
    const out: Record<string, unknown> = {
      id: store.id(i),
      properties: props,
      createdAt: iso(store.createdAt(i)),
      updatedAt: iso(store.modifiedAt(i)),
      archived: store.archived(i),
    };
    if (store.archived(i)) out['archivedAt'] = iso(store.archivedAt(i));
    if (associations && associations.length > 0) {
      const assoc: Record<string, unknown> = {};
      for (const type of associations) {
        const found = store.associations(i, type);
        if (found.length > 0) {
          assoc[type] = {
            results: found.map((a) => ({ id: a.id, type: `${singular(storeName(store))}_to_${singular(type)}` })),
          };
        }
      }
      if (Object.keys(assoc).length > 0) out['associations'] = assoc;
    }
    return out;
  }

  function storeName(store: Store): string {
    return Object.entries(stores).find(([, s]) => s === store)?.[0] ?? 'object';
  }

  function list(store: Store, query: URLSearchParams) {
    const limit = Number(query.get('limit') ?? '10');
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
      throw new HttpError(
        400,
        errorBody(`limit must be between 1 and 100, got ${query.get('limit')}`, 'VALIDATION_ERROR'),
      );
    }
    const archived = query.get('archived') === 'true';
    const properties = multi(query, 'properties');
    const associations = multi(query, 'associations');
    // The `after` token is opaque to clients; here it is the next index to look at, base64-wrapped like HubSpot's.
    const afterRaw = query.get('after');
    let start = 0;
    if (afterRaw) {
      const decoded = Number(Buffer.from(afterRaw, 'base64url').toString('utf8'));
      if (!Number.isInteger(decoded) || decoded < 0)
        throw new HttpError(400, errorBody('Invalid after token', 'VALIDATION_ERROR'));
      start = decoded;
    }
    const results: unknown[] = [];
    let i = start;
    for (; i < store.count() && results.length < limit; i++) {
      if (store.archived(i) === archived) results.push(render(store, i, properties, associations));
    }
    // Skip ahead so a last page that happens to be full does not promise a next one that is empty.
    while (i < store.count() && store.archived(i) !== archived) i++;
    const body: Record<string, unknown> = { results };
    if (i < store.count()) {
      const after = Buffer.from(String(i)).toString('base64url');
      body['paging'] = { next: { after, link: `?after=${after}` } };
    }
    return body;
  }

  /**
   * Legacy v3/v4 batch reads answer 207 when some inputs fail; the date-versioned ones answer 200 with the same
   * `errors` (their specs declare no 207).
   */
  const partialStatus = (version: string) => (/^v\d$/.test(version) ? 207 : 200);

  function batchRead(store: Store, body: unknown, archived: boolean, version: string) {
    const input = body as { inputs?: { id?: unknown }[]; properties?: string[] };
    if (!input || !Array.isArray(input.inputs))
      throw new HttpError(400, errorBody('inputs is required', 'VALIDATION_ERROR'));
    if (input.inputs.length > 100) {
      throw new HttpError(400, errorBody(`Batch size must be ≤ 100, got ${input.inputs.length}`, 'VALIDATION_ERROR'));
    }
    const startedAt = iso(clock());
    const results: unknown[] = [];
    const missing: string[] = [];
    for (const item of input.inputs) {
      const id = String(item?.id ?? '');
      const i = store.index(id);
      if (i === undefined || store.archived(i) !== archived) missing.push(id);
      else results.push(render(store, i, input.properties));
    }
    const out: Record<string, unknown> = { status: 'COMPLETE', results, startedAt, completedAt: iso(clock()) };
    if (missing.length > 0) {
      out['numErrors'] = 1;
      out['errors'] = [
        {
          status: 'error',
          category: 'OBJECT_NOT_FOUND',
          message: 'Could not get some objects, they may be deleted or not exist.',
          context: { ids: missing },
          errors: [],
          links: {},
        },
      ];
      return { status: partialStatus(version), body: out };
    }
    return { status: 200, body: out };
  }

  function sortedByModified(name: string, store: Store): Int32Array {
    const cached = sortCache.get(name);
    if (cached && cached.version === portal.version) return cached.order;
    const live: number[] = [];
    for (let i = 0; i < store.count(); i++) if (!store.archived(i)) live.push(i);
    live.sort((a, b) => store.modifiedAt(a) - store.modifiedAt(b) || a - b);
    const order = Int32Array.from(live);
    sortCache.set(name, { version: portal.version, order });
    return order;
  }

  function searchObjects(name: string, store: Store, body: unknown) {
    const request = body as {
      filterGroups?: { filters?: { propertyName: string; operator: string; value?: string; highValue?: string }[] }[];
      sorts?: (string | { propertyName: string; direction?: string })[];
      properties?: string[];
      limit?: number;
      after?: string | number;
    };
    const limit = request?.limit ?? 10;
    if (!Number.isInteger(limit) || limit < 1 || limit > 200) {
      throw new HttpError(400, errorBody(`limit must be between 1 and 200, got ${limit}`, 'VALIDATION_ERROR'));
    }
    const offset = Number(request.after ?? 0);
    if (!Number.isInteger(offset) || offset < 0)
      throw new HttpError(400, errorBody('Invalid after', 'VALIDATION_ERROR'));
    if (offset >= SEARCH_RESULT_CAP) {
      throw new HttpError(
        400,
        errorBody(
          `The maximum number of results you can page through is ${SEARCH_RESULT_CAP}; narrow the search with filters.`,
          'VALIDATION_ERROR',
        ),
      );
    }
    const groups = request.filterGroups ?? [];
    if (groups.length > 6 || groups.some((g) => (g.filters ?? []).length > 10)) {
      throw new HttpError(400, errorBody('Too many filter groups or filters', 'VALIDATION_ERROR'));
    }
    const value = (i: number, property: string): number => {
      if (property === 'hs_lastmodifieddate' || property === 'lastmodifieddate') return store.modifiedAt(i);
      if (property === 'createdate' || property === 'hs_createdate') return store.createdAt(i);
      if (property === 'hs_object_id') return Number(store.id(i));
      throw new HttpError(400, errorBody(`The simulator cannot filter on ${property}`, 'VALIDATION_ERROR'));
    };
    const toNumber = (raw: string | undefined): number => {
      if (raw === undefined) return Number.NaN;
      return /^-?\d+(\.\d+)?$/.test(raw) ? Number(raw) : Date.parse(raw);
    };
    const matches = (i: number): boolean =>
      groups.length === 0 ||
      groups.some((group) =>
        (group.filters ?? []).every((filter) => {
          const v = value(i, filter.propertyName);
          const x = toNumber(filter.value);
          switch (filter.operator) {
            case 'EQ':
              return v === x;
            case 'NEQ':
              return v !== x;
            case 'GT':
              return v > x;
            case 'GTE':
              return v >= x;
            case 'LT':
              return v < x;
            case 'LTE':
              return v <= x;
            case 'BETWEEN':
              return v >= x && v <= toNumber(filter.highValue);
            default:
              throw new HttpError(400, errorBody(`Unsupported operator ${filter.operator}`, 'VALIDATION_ERROR'));
          }
        }),
      );
    const sort = request.sorts?.[0];
    const sortProperty = typeof sort === 'string' ? sort.replace(/^-/, '') : sort?.propertyName;
    const descending = typeof sort === 'string' ? sort.startsWith('-') : sort?.direction === 'DESCENDING';
    let order: ArrayLike<number>;
    if (sortProperty === undefined || sortProperty === 'hs_lastmodifieddate' || sortProperty === 'lastmodifieddate') {
      order = sortedByModified(name, store);
    } else if (sortProperty === 'hs_object_id') {
      const live: number[] = [];
      for (let i = 0; i < store.count(); i++) if (!store.archived(i)) live.push(i);
      order = live;
    } else {
      throw new HttpError(400, errorBody(`The simulator cannot sort on ${sortProperty}`, 'VALIDATION_ERROR'));
    }
    const hits: number[] = [];
    const indexedUntil = clock() - (options.searchLagMs ?? 0);
    for (let k = 0; k < order.length; k++) {
      const i = order[descending ? order.length - 1 - k : k]!;
      if (store.modifiedAt(i) <= indexedUntil && matches(i)) hits.push(i);
    }
    const page = hits.slice(offset, offset + limit).map((i) => {
      const rendered = render(store, i, request.properties);
      delete rendered['associations'];
      return rendered;
    });
    const out: Record<string, unknown> = { total: hits.length, results: page };
    if (offset + limit < hits.length) out['paging'] = { next: { after: String(offset + limit), link: '' } };
    return out;
  }

  function associationsBatch(fromType: string, toType: string, body: unknown, version: string) {
    const store = stores[fromType];
    if (!store) throw new HttpError(404, errorBody(`Unknown object type ${fromType}`, 'OBJECT_NOT_FOUND'));
    const input = body as { inputs?: { id?: unknown }[] };
    if (!input || !Array.isArray(input.inputs))
      throw new HttpError(400, errorBody('inputs is required', 'VALIDATION_ERROR'));
    if (input.inputs.length > 1000)
      throw new HttpError(400, errorBody('Batch size must be ≤ 1000', 'VALIDATION_ERROR'));
    const startedAt = iso(clock());
    const results: unknown[] = [];
    const none: string[] = [];
    for (const item of input.inputs) {
      const id = String(item?.id ?? '');
      const i = store.index(id);
      const found = i === undefined ? [] : store.associations(i, toType);
      if (found.length === 0) {
        none.push(id);
        continue;
      }
      results.push({
        from: { id },
        to: found.map((a) => ({
          toObjectId: a.id,
          associationTypes: [
            a.label
              ? { category: 'HUBSPOT_DEFINED', typeId: a.typeId, label: a.label }
              : { category: 'HUBSPOT_DEFINED', typeId: a.typeId },
          ],
        })),
      });
    }
    const out: Record<string, unknown> = { status: 'COMPLETE', results, startedAt, completedAt: iso(clock()) };
    if (none.length > 0) {
      out['numErrors'] = none.length;
      out['errors'] = none.map((id) => ({
        status: 'error',
        category: 'OBJECT_NOT_FOUND',
        message: `No ${toType} is associated with ${singular(fromType)} ${id}.`,
        context: { fromObjectId: [id] },
        errors: [],
        links: {},
      }));
      return { status: partialStatus(version), body: out };
    }
    return { status: 200, body: out };
  }

  function accountDetails() {
    return {
      portalId: portal.portalId,
      accountType: 'STANDARD',
      timeZone: portal.timeZone,
      companyCurrency: 'USD',
      additionalCurrencies: [],
      utcOffset: '-05:00',
      utcOffsetMilliseconds: -18_000_000,
      uiDomain: 'app.hubspot.com',
      dataHostingLocation: 'na1',
    };
  }

  function owners(query: URLSearchParams) {
    const limit = Math.min(Number(query.get('limit') ?? '100'), 500);
    const archived = query.get('archived') === 'true';
    const start = Number(query.get('after') ?? '0');
    const all = portal.owners.filter((o) => o.archived === archived);
    const page = all.slice(start, start + limit).map((o) => {
      const owner: Record<string, unknown> = {
        id: o.id,
        firstName: o.firstName,
        lastName: o.lastName,
        type: o.type,
        teams: o.teams,
        archived: o.archived,
        createdAt: iso(o.createdAt),
        updatedAt: iso(o.updatedAt),
      };
      if (o.email !== undefined) owner['email'] = o.email;
      if (o.userId !== undefined) owner['userId'] = o.userId;
      return owner;
    });
    const body: Record<string, unknown> = { results: page };
    if (start + limit < all.length) body['paging'] = { next: { after: String(start + limit), link: '' } };
    return body;
  }

  // ------------------------------------------------------------ conversations (2026-09)

  const INBOX_ID = '147959634';
  const CHANNEL = { email: '1002', chat: '1000' } as const;
  const CHANNEL_ACCOUNT = { email: '240000001', chat: '240000002' } as const;
  let threadOrder: { version: number; order: Int32Array } | undefined;

  /** Threads with at least one entry, by their newest entry's time (then id): the listing's sort. */
  function threadsByLatest(): Int32Array {
    const c = portal.conversations;
    if (threadOrder && threadOrder.version === c.version) return threadOrder.order;
    const live: number[] = [];
    for (let k = 0; k < c.threadCount; k++) if (!Number.isNaN(c.latestAt(k))) live.push(k);
    live.sort((a, b) => c.latestAt(a) - c.latestAt(b) || a - b);
    threadOrder = { version: c.version, order: Int32Array.from(live) };
    return threadOrder.order;
  }

  /** An offset paging token, opaque to clients (as HubSpot's are). */
  const pageToken = (offset: number) => Buffer.from(`o${offset}`).toString('base64url');
  function pageOffset(query: URLSearchParams): number {
    const raw = query.get('after');
    if (!raw) return 0;
    const match = /^o(\d+)$/.exec(Buffer.from(raw, 'base64url').toString('utf8'));
    if (!match) throw new HttpError(400, errorBody('Invalid after token', 'VALIDATION_ERROR'));
    return Number(match[1]);
  }
  function pageLimit(query: URLSearchParams, fallback: number): number {
    const limit = Number(query.get('limit') ?? String(fallback));
    if (!Number.isInteger(limit) || limit < 1 || limit > 500) {
      throw new HttpError(
        400,
        errorBody(`limit must be between 1 and 500, got ${query.get('limit')}`, 'VALIDATION_ERROR'),
      );
    }
    return limit;
  }

  /**
   * GET threads. Sorted by id (the default) or by latestMessageTimestamp, which HubSpot allows only together with
   * latestMessageTimestampAfter (threads whose newest message is after it). Paged by offset tokens: a thread that
   * gets a message while a client pages moves to the end, and the ones after it shift back by one — a client
   * paging by token alone would skip one.
   */
  function listThreads(query: URLSearchParams) {
    const c = portal.conversations;
    const limit = pageLimit(query, 20);
    const offset = pageOffset(query);
    const sorts = multi(query, 'sort') ?? ['id'];
    if (sorts.some((s) => s !== 'id' && s !== 'latestMessageTimestamp')) {
      throw new HttpError(
        400,
        errorBody(`sort must be id or latestMessageTimestamp, got ${sorts.join(',')}`, 'VALIDATION_ERROR'),
      );
    }
    const afterRaw = query.get('latestMessageTimestampAfter');
    if (sorts[0] === 'latestMessageTimestamp' && !afterRaw) {
      throw new HttpError(
        400,
        errorBody('latestMessageTimestampAfter is required when sorting by latestMessageTimestamp', 'VALIDATION_ERROR'),
      );
    }
    const after = afterRaw ? Date.parse(afterRaw) : Number.NEGATIVE_INFINITY;
    if (Number.isNaN(after))
      throw new HttpError(400, errorBody('Invalid latestMessageTimestampAfter', 'VALIDATION_ERROR'));
    const status = query.get('threadStatus');
    const ticketFilter = query.get('associatedTicketId');
    const withTicket = (multi(query, 'association') ?? []).includes('TICKET');
    const hits: number[] = [];
    if (query.get('archived') !== 'true') {
      const order =
        sorts[0] === 'latestMessageTimestamp' ? threadsByLatest() : Int32Array.from(threadsByLatest()).sort();
      for (const k of order) {
        if (!(c.latestAt(k) > after)) continue;
        if (status && threadStatus(k) !== status) continue;
        if (ticketFilter) {
          const i = c.ticketOf(k);
          if (i === undefined || portal.ticketId(i) !== ticketFilter) continue;
        }
        hits.push(k);
      }
    }
    const body: Record<string, unknown> = {
      results: hits.slice(offset, offset + limit).map((k) => renderThread(k, withTicket)),
    };
    if (offset + limit < hits.length) {
      const token = pageToken(offset + limit);
      body['paging'] = { next: { after: token, link: `?after=${token}` } };
    }
    return body;
  }

  function threadStatus(k: number): 'OPEN' | 'CLOSED' {
    const i = portal.conversations.ticketOf(k);
    return i !== undefined && !Number.isNaN(portal.t.closedAt[i]!) ? 'CLOSED' : 'OPEN';
  }

  function contactOf(k: number): { id: string; name: string; email: string } {
    const i = portal.conversations.ticketOf(k);
    if (i === undefined) return { id: `${9_900_000 + k}`, name: 'Visitor', email: `visitor.${k}@example.net` };
    const contact = portal.t.contact[i]!;
    const props = portal.contactProperties(contact);
    return {
      id: portal.contactId(contact),
      name: `${props['firstname']} ${props['lastname']}`,
      email: props['email']!,
    };
  }

  function agentOf(k: number): { actorId: string; name: string; email: string } {
    const i = portal.conversations.ticketOf(k);
    const index = i === undefined ? -1 : portal.t.owner[i]!;
    const owner = portal.owners[Math.max(index, 0)]!;
    return {
      actorId: `A-${owner.userId ?? 9_100_000}`,
      name: `${owner.firstName} ${owner.lastName}`,
      email: owner.email ?? 'support@support.example',
    };
  }

  function renderThread(k: number, withTicket: boolean) {
    const c = portal.conversations;
    const latest = c.latest(k);
    const chat = c.isChat(k);
    const i = c.ticketOf(k);
    const out: Record<string, unknown> = {
      id: c.threadId(k),
      inboxId: INBOX_ID,
      status: threadStatus(k),
      spam: c.isSpam(k),
      archived: false,
      associatedContactId: contactOf(k).id,
      createdAt: iso(c.createdAt(k)),
      originalChannelId: chat ? CHANNEL.chat : CHANNEL.email,
      originalChannelAccountId: chat ? CHANNEL_ACCOUNT.chat : CHANNEL_ACCOUNT.email,
    };
    if (!Number.isNaN(latest.any)) out['latestMessageTimestamp'] = iso(latest.any);
    if (!Number.isNaN(latest.received)) out['latestMessageReceivedTimestamp'] = iso(latest.received);
    if (!Number.isNaN(latest.sent)) out['latestMessageSentTimestamp'] = iso(latest.sent);
    if (i !== undefined && !Number.isNaN(portal.t.closedAt[i]!)) out['closedAt'] = iso(portal.t.closedAt[i]!);
    if (i !== undefined && portal.t.owner[i]! >= 0) out['assignedTo'] = agentOf(k).actorId;
    if (withTicket) out['threadAssociations'] = i === undefined ? {} : { associatedTicketId: portal.ticketId(i) };
    return out;
  }

  /** GET a thread's messages: newest first unless sort=createdAt; offset-paged. */
  function listMessages(k: number, query: URLSearchParams) {
    const limit = pageLimit(query, 20);
    const offset = pageOffset(query);
    const sort = multi(query, 'sort')?.[0] ?? '-createdAt';
    if (sort !== 'createdAt' && sort !== '-createdAt') {
      throw new HttpError(400, errorBody(`sort must be createdAt or -createdAt, got ${sort}`, 'VALIDATION_ERROR'));
    }
    const entries = query.get('archived') === 'true' ? [] : portal.conversations.entries(k);
    if (sort === '-createdAt') entries.reverse();
    const body: Record<string, unknown> = {
      results: entries.slice(offset, offset + limit).map((entry) => renderEntry(k, entry)),
    };
    if (offset + limit < entries.length) {
      const token = pageToken(offset + limit);
      body['paging'] = { next: { after: token, link: `?after=${token}` } };
    }
    return body;
  }

  function renderEntry(k: number, entry: ReturnType<SimPortal['conversations']['entries']>[number]) {
    const c = portal.conversations;
    const chat = c.isChat(k);
    const contact = contactOf(k);
    const agent = agentOf(k);
    const inbox = { type: 'HS_EMAIL_ADDRESS', value: 'support@inbox.example' };
    const customerAddress = { type: 'HS_EMAIL_ADDRESS', value: contact.email };
    const base = {
      id: c.entryId(entry.index),
      conversationsThreadId: c.threadId(k),
      createdAt: iso(entry.at),
      updatedAt: iso(entry.at),
      client: { clientType: 'HUBSPOT' },
      archived: false,
    };
    const channel = {
      channelId: chat ? CHANNEL.chat : CHANNEL.email,
      channelAccountId: chat ? CHANNEL_ACCOUNT.chat : CHANNEL_ACCOUNT.email,
    };
    const rich = (text: string) =>
      `<div>${text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')}</div>`;
    const message = (
      direction: 'INCOMING' | 'OUTGOING',
      sender: { actorId: string; name: string },
      statusType: 'RECEIVED' | 'SENT',
    ) => ({
      type: 'MESSAGE',
      ...base,
      createdBy: sender.actorId,
      senders:
        direction === 'INCOMING'
          ? [{ ...sender, senderField: 'FROM', deliveryIdentifier: customerAddress }]
          : [{ ...sender, senderField: 'FROM' }],
      recipients:
        direction === 'INCOMING'
          ? [{ deliveryIdentifier: inbox, recipientField: 'TO' }]
          : [
              {
                actorId: `V-${contact.id}`,
                name: contact.name,
                deliveryIdentifier: customerAddress,
                recipientField: 'TO',
              },
            ],
      text: entry.text,
      richText: rich(entry.text),
      attachments: [],
      ...(chat ? {} : { subject: 'Re: your request' }),
      truncationStatus: 'NOT_TRUNCATED',
      status: { statusType },
      direction,
      ...channel,
    });
    switch (entry.kind) {
      case 'customer':
        return message('INCOMING', { actorId: `V-${contact.id}`, name: contact.name }, 'RECEIVED');
      case 'agent':
        return message('OUTGOING', { actorId: agent.actorId, name: agent.name }, 'SENT');
      case 'ai':
        return message('OUTGOING', { actorId: 'L-1804', name: 'Customer Agent' }, 'SENT');
      case 'bot':
        return message('OUTGOING', { actorId: 'B-2291', name: 'Support bot' }, 'SENT');
      case 'system':
        return {
          ...message('OUTGOING', { actorId: 'S-hubspot', name: 'HubSpot' }, 'SENT'),
          client: { clientType: 'SYSTEM' },
        };
      case 'comment':
        return {
          type: 'COMMENT',
          ...base,
          createdBy: agent.actorId,
          senders: [{ actorId: agent.actorId, name: agent.name }],
          recipients: [],
          text: entry.text,
          richText: rich(entry.text),
          attachments: [],
        };
      case 'welcome':
        return {
          type: 'WELCOME_MESSAGE',
          ...base,
          createdBy: 'B-2291',
          senders: [{ actorId: 'B-2291', name: 'Support bot' }],
          recipients: [],
          text: entry.text,
          richText: rich(entry.text),
          ...channel,
        };
      case 'assignment':
        return {
          type: 'ASSIGNMENT',
          ...base,
          createdBy: 'S-hubspot',
          senders: [],
          recipients: [],
          assignedTo: agent.actorId,
        };
      case 'status':
        return {
          type: 'THREAD_STATUS_CHANGE',
          ...base,
          createdBy: agent.actorId,
          senders: [],
          recipients: [],
          newStatus: threadStatus(k),
        };
    }
  }

  function pipelines() {
    const created = iso(Date.parse('2023-01-01T00:00:00.000Z'));
    return {
      results: portal.pipelines.map((p, k) => ({
        id: p.id,
        label: p.label,
        displayOrder: k,
        archived: false,
        createdAt: created,
        updatedAt: created,
        stages: p.stages.map((s, order) => ({
          id: s.id,
          label: s.label,
          displayOrder: order,
          archived: false,
          metadata: { ticketState: s.state, isClosed: String(s.state === 'CLOSED') },
          createdAt: created,
          updatedAt: created,
          writePermissions: 'CRM_PERMISSIONS_ENFORCEMENT',
        })),
      })),
    };
  }

  /**
   * HubSpot answers a retired version's paths with an error body saying so; the wording is the simulator's (HubSpot
   * has not published it), the shape is the spec's Error.
   */
  function retiredError(path: string, version: string): HttpError {
    const status = retired?.status ?? 404;
    return new HttpError(
      status,
      errorBody(
        `API version ${version} is no longer supported (${path}). Migrate to a supported date-based version: ` +
          'https://developers.hubspot.com/docs/api-reference/legacy/migration-guide',
        status === 410 ? 'GONE' : 'OBJECT_NOT_FOUND',
      ),
    );
  }

  /** The version a path asks for: a date (2026-09) or a legacy number (v3), and whether that is retired here. */
  function checkVersion(path: string): void {
    if (LEGACY_PATH.test(path)) {
      const legacy = /\/(v[1-4])(?:\/|$)/.exec(path)![1]!;
      if (retired?.legacy) throw retiredError(path, legacy);
      return;
    }
    const dated = /\/(\d{4}-\d{2})(?:-beta)?(?:\/|$)/.exec(path)?.[1];
    if (dated && retired?.versions?.includes(dated)) throw retiredError(path, dated);
  }

  function patchObject(version: string, name: string, id: string, body: unknown) {
    const store = stores[name];
    if (!store || name !== 'tickets') {
      throw new HttpError(400, errorBody(`The simulator only writes tickets, not ${name}`, 'VALIDATION_ERROR'));
    }
    const input = body as { properties?: Record<string, unknown> } | undefined;
    const properties = input?.properties;
    if (!properties || typeof properties !== 'object' || Array.isArray(properties)) {
      throw new HttpError(400, errorBody('properties is required', 'VALIDATION_ERROR'));
    }
    const i = store.index(id);
    if (i === undefined || store.archived(i)) {
      throw new HttpError(
        404,
        errorBody(`Object not found. objectId are usually numeric. (${id})`, 'OBJECT_NOT_FOUND'),
      );
    }
    const patch: Record<string, string | null> = {};
    for (const [key, value] of Object.entries(properties)) {
      if (value !== null && typeof value !== 'string') {
        throw new HttpError(400, errorBody(`Property values must be strings (${key})`, 'VALIDATION_ERROR'));
      }
      patch[key] = value === '' ? null : value;
    }
    // HubSpot refuses a stage that is not one of the ticket's pipeline's (the error's shape is its own).
    const stageId = patch['hs_pipeline_stage'];
    if (stageId !== undefined) {
      const pipeline = portal.pipelines[portal.t.pipeline[i]!]!;
      if (!stageId || !pipeline.stages.some((st) => st.id === stageId)) {
        throw new HttpError(400, {
          ...errorBody('Property values were not valid', 'VALIDATION_ERROR'),
          errors: [
            {
              message: `${stageId ?? '(empty)'} was not a valid pipeline stage of pipeline ${pipeline.id}`,
              code: 'INVALID_OPTION',
              in: 'hs_pipeline_stage',
            },
          ],
        });
      }
    }
    const owner = patch['hubspot_owner_id'];
    if (owner && !portal.owners.some((o) => o.id === owner)) {
      throw new HttpError(400, {
        ...errorBody('Property values were not valid', 'VALIDATION_ERROR'),
        errors: [{ message: `${owner} is not a valid owner id`, code: 'INVALID_OWNER_ID', in: 'hubspot_owner_id' }],
      });
    }
    // From 2026-09 HubSpot applies the account's own rules to API writes (its changelog, "CRM API Write
    // Validation Enforcement"). The error's wording and codes here are the simulator's; its shape is the spec's.
    if (version >= '2026-09') {
      const current = store.properties(i);
      const broken = portal.validationRules.filter(
        (rule) => patch[rule.when] && !(patch[rule.requires] ?? current[rule.requires]),
      );
      if (broken.length > 0) {
        throw new HttpError(400, {
          ...errorBody('Property values were not valid', 'VALIDATION_ERROR'),
          subCategory: 'CONDITIONALLY_REQUIRED_PROPERTY',
          errors: broken.map((rule) => ({
            message: `${rule.requires} is required when ${rule.when} is set (a conditional property rule of this account)`,
            code: 'CONDITIONALLY_REQUIRED_PROPERTY_MISSING',
            in: rule.requires,
            context: { requiredWhen: [rule.when] },
          })),
        });
      }
    }
    portal.updateTicket(id, patch, clock());
    const rendered = render(store, i, Object.keys(patch));
    delete rendered['associations'];
    return rendered;
  }

  /** POST /oauth/2026-03/token, grant_type=client_credentials (form-encoded). */
  function token(raw: string) {
    const form = new URLSearchParams(raw);
    const app = options.app;
    if (!app) throw new HttpError(404, errorBody('No app is set up in this simulator', 'OBJECT_NOT_FOUND'));
    if (form.get('grant_type') !== 'client_credentials') {
      throw new HttpError(400, errorBody('The simulator issues client-credentials tokens only', 'VALIDATION_ERROR'));
    }
    if (form.get('client_id') !== app.clientId || form.get('client_secret') !== app.clientSecret) {
      throw new HttpError(401, errorBody('The client id and secret do not match an app', 'INVALID_AUTHENTICATION'));
    }
    const scopes = (form.get('scope') ?? '').split(/[ ,]+/).filter(Boolean);
    const accessToken = `cc-${randomUUID()}`;
    issuedTokens.set(accessToken, { scopes, expiresAt: clock() + 1800_000 });
    return { access_token: accessToken, token_type: 'bearer', expires_in: 1800, scopes };
  }

  /** The journal and its subscriptions take a client-credentials token with the right scope. */
  function requireJournalToken(req: IncomingMessage, scope: string): void {
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const issued = bearer ? issuedTokens.get(bearer) : undefined;
    if (!issued || issued.expiresAt < clock()) {
      throw new HttpError(
        401,
        errorBody('The webhooks journal requires a client credentials token of the app.', 'INVALID_AUTHENTICATION'),
      );
    }
    if (!issued.scopes.includes(scope)) {
      throw new HttpError(403, {
        ...errorBody(`This token lacks the scope ${scope}.`, 'MISSING_SCOPES'),
        context: { missingScopes: [scope] },
      });
    }
  }

  function journalBatch(entries: { offset: string }[] | undefined) {
    const started = iso(clock());
    const list = (entries ?? []) as Parameters<SimJournal['fetchResponse']>[0][];
    return {
      status: 'COMPLETE',
      results: list.map((e) => journal!.fetchResponse(e, baseUrl)),
      requestedAt: started,
      startedAt: started,
      completedAt: iso(clock()),
    };
  }

  function journalRoute(req: IncomingMessage, method: string, path: string, query: URLSearchParams, body: unknown) {
    if (!journal) throw new HttpError(404, errorBody('No app is set up in this simulator', 'OBJECT_NOT_FOUND'));
    const portalParam = query.get('installPortalId');
    if (portalParam !== null && Number(portalParam) !== portal.portalId) {
      throw new HttpError(400, errorBody(`The app is not installed in portal ${portalParam}`, 'VALIDATION_ERROR'));
    }
    const subscriptions = /^\/webhooks-journal\/subscriptions\/2026-03$/.exec(path);
    if (subscriptions) {
      if (method === 'GET') {
        requireJournalToken(req, 'developer.webhooks_journal.subscriptions.read');
        return { status: 200, body: { results: journal.subscriptions.map(renderSubscription) } };
      }
      if (method === 'POST') {
        requireJournalToken(req, 'developer.webhooks_journal.subscriptions.write');
        const input = body as {
          subscriptionType?: string;
          objectTypeId?: string;
          actions?: string[];
          properties?: string[];
        };
        if (input?.subscriptionType !== 'OBJECT' || !input.objectTypeId || !Array.isArray(input.actions)) {
          throw new HttpError(
            400,
            errorBody('subscriptionType, objectTypeId and actions are required', 'VALIDATION_ERROR'),
          );
        }
        if (!journal.objectTypes.includes(input.objectTypeId)) {
          throw new HttpError(
            400,
            errorBody(`Object type ${input.objectTypeId} is not supported by the webhooks journal`, 'VALIDATION_ERROR'),
          );
        }
        const subscription = journal.subscribe({
          objectTypeId: input.objectTypeId,
          actions: input.actions,
          properties: Array.isArray(input.properties) ? input.properties : [],
        });
        return { status: 200, body: renderSubscription(subscription) };
      }
    }
    const read = /^\/webhooks-journal\/journal-local\/2026-03\/batch\/(earliest|latest)\/(\d+)$/.exec(path);
    if (method === 'GET' && read) {
      requireJournalToken(req, 'developer.webhooks_journal.read');
      const count = Number(read[2]);
      return {
        status: 200,
        body: journalBatch(read[1] === 'earliest' ? journal.earliest(count) : journal.latest(count)),
      };
    }
    const next = /^\/webhooks-journal\/journal-local\/2026-03\/batch\/([^/]+)\/next\/(\d+)$/.exec(path);
    if (method === 'GET' && next) {
      requireJournalToken(req, 'developer.webhooks_journal.read');
      const entries = journal.next(decodeURIComponent(next[1]!), Number(next[2]));
      if (entries === 'expired') {
        throw new HttpError(404, errorBody(`Offset ${next[1]} has expired or does not exist`, 'OBJECT_NOT_FOUND'));
      }
      return { status: 200, body: journalBatch(entries) };
    }
    if (method === 'POST' && path === '/webhooks-journal/journal-local/2026-03/batch/read') {
      requireJournalToken(req, 'developer.webhooks_journal.read');
      const inputs = (body as { inputs?: unknown })?.inputs;
      if (!Array.isArray(inputs)) throw new HttpError(400, errorBody('inputs is required', 'VALIDATION_ERROR'));
      const found = inputs.map((o) => journal.find(String(o))).filter((e) => e !== undefined);
      const out: Record<string, unknown> = journalBatch(found);
      const missing = inputs.filter((o) => !journal.find(String(o)));
      if (missing.length > 0) {
        out['numErrors'] = missing.length;
        out['errors'] = missing.map((o) => ({
          status: 'error',
          category: 'OBJECT_NOT_FOUND',
          message: `Offset ${String(o)} has expired or does not exist`,
          context: { offset: [String(o)] },
          errors: [],
          links: {},
        }));
        return { status: 207, body: out };
      }
      return { status: 200, body: out };
    }
    throw new HttpError(404, errorBody(`No route for ${method} ${path}`, 'OBJECT_NOT_FOUND'));
  }

  function renderSubscription(s: NonNullable<typeof journal>['subscriptions'][number]) {
    return {
      id: s.id,
      appId: s.appId,
      portalId: s.portalId,
      subscriptionType: s.subscriptionType,
      objectTypeId: s.objectTypeId,
      actions: s.actions,
      properties: s.properties,
      objectIds: [],
      createdAt: iso(s.createdAt),
      updatedAt: iso(s.updatedAt),
    };
  }

  /** What each object type's endpoints need (HubSpot's specs list it per operation). */
  const READ_SCOPES: Record<string, string> = {
    tickets: 'tickets',
    contacts: 'crm.objects.contacts.read',
    companies: 'crm.objects.companies.read',
    feedback_submissions: 'crm.objects.feedback_submissions.read',
    users: 'crm.objects.users.read',
  };
  let scopes = options.scopes;
  const requireScope = (scope: string | undefined) => {
    if (scope && scopes && !scopes.includes(scope)) throw forbidden(scope);
  };

  async function route(method: string, path: string, query: URLSearchParams, body: unknown) {
    const ok = (b: unknown) => ({ status: 200, body: b });
    const V = '(v3|\\d{4}-\\d{2})';
    const dated = (version: string) => {
      if (/^\d{4}-\d{2}$/.test(version) && !served.has(version)) {
        throw new HttpError(404, errorBody(`API version ${version} does not exist`, 'OBJECT_NOT_FOUND'));
      }
      return version;
    };
    const account = new RegExp(`^/account-info/${V}/details$`).exec(path);
    if (method === 'GET' && account) {
      dated(account[1]!);
      requireScope('oauth');
      return ok(accountDetails());
    }
    const conversation = /^\/conversations\/conversations\/(\d{4}-\d{2})\/threads(?:\/([^/]+)(\/messages)?)?\/?$/.exec(
      path,
    );
    if (method === 'GET' && conversation) {
      dated(conversation[1]!);
      requireScope('conversations.read');
      if (!conversation[2]) return ok(listThreads(query));
      const k = portal.conversations.threadIndex(decodeURIComponent(conversation[2]));
      if (k === undefined) {
        throw new HttpError(404, errorBody(`Thread ${conversation[2]} does not exist`, 'OBJECT_NOT_FOUND'));
      }
      if (!conversation[3]) return ok(renderThread(k, (multi(query, 'association') ?? []).includes('TICKET')));
      return ok(listMessages(k, query));
    }
    const owner = /^\/crm\/(?:v3\/owners|owners\/(\d{4}-\d{2}))\/?$/.exec(path);
    if (method === 'GET' && owner) {
      if (owner[1]) dated(owner[1]);
      requireScope('crm.objects.owners.read');
      return ok(owners(query));
    }
    const pipeline = /^\/crm\/(?:v3\/pipelines|pipelines\/(\d{4}-\d{2}))\/tickets$/.exec(path);
    if (method === 'GET' && pipeline) {
      if (pipeline[1]) dated(pipeline[1]);
      requireScope('tickets');
      return ok(pipelines());
    }
    const assoc = /^\/crm\/(?:v4\/associations|associations\/(\d{4}-\d{2}))\/([a-z_]+)\/([a-z_]+)\/batch\/read$/.exec(
      path,
    );
    if (method === 'POST' && assoc) {
      if (assoc[1]) dated(assoc[1]);
      requireScope(READ_SCOPES[assoc[2]!]);
      requireScope(READ_SCOPES[assoc[3]!]);
      if (assoc[2] === 'feedback_submissions' && feedbackForbidden)
        throw forbidden('crm.objects.feedback_submissions.read');
      return associationsBatch(assoc[2]!, assoc[3]!, body, assoc[1] ?? 'v4');
    }
    const objects =
      /^\/crm\/(?:v3\/objects|objects\/(\d{4}-\d{2}))\/([a-z_]+)(\/batch\/read|\/search|\/[^/]+)?\/?$/.exec(path);
    if (objects) {
      const version = objects[1] ? dated(objects[1]) : 'v3';
      const name = objects[2]!;
      const store = stores[name];
      if (!store) throw new HttpError(404, errorBody(`Unknown object type ${name}`, 'OBJECT_NOT_FOUND'));
      if (name === 'feedback_submissions' && feedbackForbidden)
        throw forbidden('crm.objects.feedback_submissions.read');
      if (name === 'users' && usersForbidden) throw forbidden('crm.objects.users.read');
      requireScope(READ_SCOPES[name]);
      const rest = objects[3];
      if (method === 'GET' && !rest) return ok(list(store, query));
      if (method === 'POST' && rest === '/batch/read') {
        return batchRead(store, body, query.get('archived') === 'true', version);
      }
      if (method === 'POST' && rest === '/search') return ok(searchObjects(name, store, body));
      if (method === 'PATCH' && rest && rest !== '/batch/read' && rest !== '/search') {
        return ok(patchObject(version, name, decodeURIComponent(rest.slice(1)), body));
      }
    }
    throw new HttpError(404, errorBody(`No route for ${method} ${path}`, 'OBJECT_NOT_FOUND'));
  }

  /** HubSpot's 403 names the scopes the call needs in context.requiredGranularScopes. */
  function forbidden(scope: string): HttpError {
    return new HttpError(403, {
      ...errorBody(
        "This app hasn't been granted all required scopes to make this call. Read more about required scopes here: https://developers.hubspot.com/scopes.",
        'MISSING_SCOPES',
      ),
      context: { requiredGranularScopes: [scope] },
    });
  }

  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void handle(req, res, Buffer.concat(chunks));
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse, raw: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = req.method ?? 'GET';
    const path = url.pathname;
    const key = `${method} ${path.replace(/\/$/, '')}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
    options.onRequest?.(key, counts.get(key)!);
    let recordedBody: unknown;
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      if (options.recordRequests) {
        requests.push({ method, path, query: url.searchParams, body: recordedBody, status, response: body });
      }
      const text = JSON.stringify(body);
      res.writeHead(status, {
        'Content-Type': 'application/json;charset=utf-8',
        'Content-Length': String(Buffer.byteLength(text)),
        ...headers,
      });
      res.end(text);
    };
    try {
      if (latencyMs > 0) await sleep(latencyMs);
      const fault = faults.find((f) => f.left > 0 && key.includes(f.match));
      if (fault) {
        fault.left--;
        faults = faults.filter((f) => f.left > 0);
        if (fault.kind === 'status') {
          send(fault.status, fault.body ?? errorBody('Internal error', 'INTERNAL_ERROR'));
          return;
        }
        if (fault.kind === 'rate-limit') throw rateLimited(fault.policy);
        if (fault.kind === 'reset') {
          req.socket.destroy();
          return;
        }
        await sleep(fault.ms);
      }
      checkVersion(path);
      // A journal file behind a pre-signed URL: no Authorization header, the signature is in the URL.
      const file = /^\/journal-files\/([^/]+)\.json$/.exec(path);
      if (method === 'GET' && file && journal) {
        const answer = journal.file(
          file[1]!,
          Number(url.searchParams.get('expires')),
          url.searchParams.get('signature') ?? '',
        );
        if (answer === 'forbidden') send(403, { code: 'AccessDenied', message: 'Request has expired' });
        else if (answer === 'gone') send(404, { code: 'NoSuchKey', message: 'The specified key does not exist.' });
        else send(200, answer);
        return;
      }
      if (method === 'POST' && /^\/oauth\/2026-03\/token$/.test(path)) {
        recordedBody = raw.toString('utf8');
        send(200, token(raw.toString('utf8')));
        return;
      }
      let body: unknown;
      if (raw.length > 0) {
        try {
          body = JSON.parse(raw.toString('utf8'));
        } catch {
          throw new HttpError(400, errorBody('Invalid JSON body', 'VALIDATION_ERROR'));
        }
      }
      recordedBody = body;
      // The journal has its own limits and its own credential (a client-credentials token).
      if (path.startsWith('/webhooks-journal/')) {
        const result = journalRoute(req, method, path, url.searchParams, body);
        send(result.status, result.body);
        return;
      }
      if (options.accessToken && req.headers.authorization !== `Bearer ${options.accessToken}`) {
        throw new HttpError(
          401,
          errorBody(
            'Authentication credentials not found. This API supports OAuth 2.0 authentication.',
            'INVALID_AUTHENTICATION',
          ),
        );
      }
      const now = clock();
      admit(key.endsWith('/search'), now);
      const result = await route(method, path, url.searchParams, body);
      send(result.status, result.body, key.endsWith('/search') ? {} : rateHeaders(now));
    } catch (error) {
      if (error instanceof HttpError) send(error.status, error.body, rateHeaders(clock()));
      else send(500, errorBody(`Simulator error: ${(error as Error).message}`, 'INTERNAL_ERROR'));
    }
  }

  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  baseUrl = `http://127.0.0.1:${port}`;
  return {
    url: baseUrl,
    journal,
    requests,
    webhookStats,
    portal,
    counts,
    statuses,
    totalRequests: () => [...counts.values()].reduce((a, b) => a + b, 0),
    resetCounts: () => {
      counts.clear();
      statuses.clear();
    },
    injectFault: (fault) => {
      faults.push({ ...fault, left: fault.times ?? 1 });
    },
    setFeedbackForbidden: (value) => {
      feedbackForbidden = value;
    },
    setRateLimit: (value) => {
      rateLimit = value;
      general = [];
      search = [];
    },
    setLatency: (ms) => {
      latencyMs = ms;
    },
    setUsersForbidden: (value) => {
      usersForbidden = value;
    },
    setScopes: (value) => {
      scopes = value;
    },
    setRetired: (value) => {
      retired = value;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        stopListening();
        if (pushTimer) clearTimeout(pushTimer);
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

function multi(query: URLSearchParams, name: string): string[] | undefined {
  const values = query
    .getAll(name)
    .flatMap((v) => v.split(','))
    .filter(Boolean);
  return values.length > 0 ? values : undefined;
}

function singular(type: string): string {
  if (type === 'companies') return 'company';
  if (type === 'feedback_submissions') return 'feedback_submission';
  return type.replace(/s$/, '');
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
