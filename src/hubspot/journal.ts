// The webhooks journal (2026-03): HubSpot writes the events of an app's journal subscriptions into files, in order,
// each entry named by an offset; the app pulls them (no public URL needed) and resumes from the last offset it
// processed. History is kept 3 days. Access takes a client-credentials token of the project app (its client id and
// secret), not the app's static token; subscriptions are managed through the API only (HubSpot's docs: they are
// install-specific and cannot be declared in the project's files).

import type { Clock } from '../clock.ts';
import { OBJECT_TYPE_IDS, paths } from './api-version.ts';
import { type HubspotApi, HubspotError, type TokenSource } from './client.ts';
import { parseHubspotJson } from './json.ts';
import {
  type TJournalEvent,
  type TJournalFetch,
  ZJournalBatch,
  ZJournalEvent,
  ZJournalFile,
  ZJournalSubscription,
  ZJournalSubscriptions,
  ZTokenResponse,
} from './schemas.ts';
import { JOURNAL_TOKEN_SCOPES } from './scopes.ts';

/**
 * The project app's client-credentials token, fetched when first needed and again shortly before it expires (or
 * after a 401). `oauth` is an API whose transport sends the form without a bearer token.
 */
export class ClientCredentialsToken implements Exclude<TokenSource, string> {
  private current: { token: string; expiresAt: number } | undefined;
  private pending: Promise<string> | undefined;

  private readonly deps: {
    oauth: HubspotApi;
    clientId: string;
    clientSecret: string;
    clock: Pick<Clock, 'now'>;
    scopes?: readonly string[];
  };

  constructor(deps: ClientCredentialsToken['deps']) {
    this.deps = deps;
  }

  async token(): Promise<string> {
    const now = this.deps.clock.now().getTime();
    if (this.current && this.current.expiresAt - 60_000 > now) return this.current.token;
    this.pending ??= this.fetch().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  invalidate(): void {
    this.current = undefined;
  }

  private async fetch(): Promise<string> {
    const { data } = await this.deps.oauth.request(
      {
        method: 'POST',
        path: paths.oauthToken(),
        form: {
          grant_type: 'client_credentials',
          client_id: this.deps.clientId,
          client_secret: this.deps.clientSecret,
          scope: (this.deps.scopes ?? JOURNAL_TOKEN_SCOPES).join(' '),
        },
      },
      ZTokenResponse,
      [200],
    );
    this.current = { token: data.access_token, expiresAt: this.deps.clock.now().getTime() + data.expires_in * 1000 };
    return data.access_token;
  }
}

const portalQuery = (portalId: string | number): [string, string][] => [['installPortalId', String(portalId)]];

/** The newest entry's offset (reading starts after it), or undefined when the journal is empty. */
export async function journalLatestOffset(api: HubspotApi, portalId: string | number): Promise<string | undefined> {
  const { data } = await api.request(
    { method: 'GET', path: paths.journalLatest(1), query: portalQuery(portalId) },
    ZJournalBatch,
    [200],
  );
  return data.results.at(-1)?.currentOffset;
}

/** The oldest entries still kept (reading from the very start of the journal, when Heed began on an empty one). */
export async function journalEarliest(
  api: HubspotApi,
  portalId: string | number,
  count: number,
): Promise<TJournalFetch[]> {
  const { data } = await api.request(
    { method: 'GET', path: paths.journalEarliest(count), query: portalQuery(portalId) },
    ZJournalBatch,
    [200],
  );
  return data.results;
}

/**
 * Up to `count` entries after `offset`, oldest first. 'expired' when HubSpot no longer has the offset (it is
 * older than the journal's 3-day history): the caller must catch up another way.
 */
export async function journalNext(
  api: HubspotApi,
  portalId: string | number,
  offset: string,
  count: number,
): Promise<TJournalFetch[] | 'expired'> {
  try {
    const { data } = await api.request(
      { method: 'GET', path: paths.journalNext(offset, count), query: portalQuery(portalId), notFound: 'object' },
      ZJournalBatch,
      [200],
    );
    return data.results;
  } catch (error) {
    if (error instanceof HubspotError && error.code === 'HUBSPOT_NOT_FOUND') return 'expired';
    throw error;
  }
}

/** Fresh download URLs for entries whose URL expired before Heed fetched the file. */
export async function journalRead(
  api: HubspotApi,
  portalId: string | number,
  offsets: readonly string[],
): Promise<Map<string, TJournalFetch>> {
  const { data } = await api.request(
    { method: 'POST', path: paths.journalRead(), query: portalQuery(portalId), body: { inputs: offsets } },
    ZJournalBatch,
  );
  return new Map(data.results.map((r) => [r.currentOffset, r]));
}

export type JournalFileResult =
  | { kind: 'ok'; events: TJournalEvent[]; skipped: number }
  /** The pre-signed URL is past its expiry (S3 answers 403): ask for a fresh one. */
  | { kind: 'url-expired' };

/**
 * Downloads one entry's file from its pre-signed URL (without an Authorization header, as HubSpot's docs say).
 * Events Heed cannot read are counted, not fatal: the rest of the entry still applies.
 */
export async function fetchJournalFile(
  url: string,
  options: { timeoutMs: number; fetch?: typeof fetch },
): Promise<JournalFileResult> {
  const doFetch = options.fetch ?? fetch;
  let response: Response;
  try {
    response = await doFetch(url, { signal: AbortSignal.timeout(options.timeoutMs) });
  } catch (error) {
    throw new HubspotError(
      'HUBSPOT_UNAVAILABLE',
      `Could not download a webhooks journal entry: ${(error as Error).message}`,
      {
        cause: error,
        fix: 'check the network; Heed retries from the same offset',
      },
    );
  }
  if (response.status === 403 || response.status === 410) return { kind: 'url-expired' };
  if (!response.ok) {
    throw new HubspotError('HUBSPOT_UNAVAILABLE', `Downloading a webhooks journal entry answered ${response.status}.`, {
      status: response.status,
      fix: 'Heed retries from the same offset',
    });
  }
  let json: unknown;
  try {
    json = parseHubspotJson(await response.text());
  } catch (error) {
    throw new HubspotError('HUBSPOT_BAD_RESPONSE', 'A webhooks journal entry is not JSON.', { cause: error });
  }
  const file = ZJournalFile.safeParse(json);
  if (!file.success) {
    throw new HubspotError('HUBSPOT_BAD_RESPONSE', 'A webhooks journal entry does not have the journal’s shape.');
  }
  const events: TJournalEvent[] = [];
  let skipped = 0;
  for (const raw of file.data.journalEvents) {
    const parsed = ZJournalEvent.safeParse(raw);
    if (parsed.success) events.push(parsed.data);
    else skipped++;
  }
  return { kind: 'ok', events, skipped };
}

/** The journal subscriptions Heed needs: tickets (created, changed, deleted) and, where offered, feedback. */
export type JournalSubscriptionSpec = { objectTypeId: string; actions: string[]; properties: string[] };

export function heedJournalSubscriptions(ticketProperties: readonly string[]): JournalSubscriptionSpec[] {
  return [
    {
      objectTypeId: OBJECT_TYPE_IDS.tickets,
      actions: ['CREATE', 'UPDATE', 'DELETE', 'RESTORE', 'MERGE'],
      properties: [...ticketProperties],
    },
    { objectTypeId: OBJECT_TYPE_IDS.feedback_submissions, actions: ['CREATE', 'UPDATE', 'DELETE'], properties: [] },
  ];
}

/**
 * Creates the journal subscriptions Heed needs that the app does not have yet. Returns the object types the
 * journal covers; a type HubSpot refuses to subscribe to (400) is left to polling and reported in `refused`.
 */
export async function ensureJournalSubscriptions(
  api: HubspotApi,
  portalId: string | number,
  wanted: readonly JournalSubscriptionSpec[],
): Promise<{ covered: string[]; created: string[]; refused: { objectTypeId: string; reason: string }[] }> {
  const { data } = await api.request(
    { method: 'GET', path: paths.journalSubscriptions() },
    ZJournalSubscriptions,
    [200],
  );
  const live = data.results.filter(
    (s) => !s.deletedAt && (s.portalId === undefined || String(s.portalId) === String(portalId)),
  );
  const covered: string[] = [];
  const created: string[] = [];
  const refused: { objectTypeId: string; reason: string }[] = [];
  for (const spec of wanted) {
    const existing = live.find((s) => s.subscriptionType === 'OBJECT' && s.objectTypeId === spec.objectTypeId);
    const complete =
      existing &&
      spec.actions.every((a) => existing.actions.includes(a)) &&
      spec.properties.every((p) => (existing.properties ?? []).includes(p));
    if (complete) {
      covered.push(spec.objectTypeId);
      continue;
    }
    try {
      // The endpoint upserts: posting the whole spec again widens an incomplete subscription.
      await api.request(
        {
          method: 'POST',
          path: paths.journalSubscriptions(),
          body: {
            subscriptionType: 'OBJECT',
            portalId: Number(portalId),
            objectTypeId: spec.objectTypeId,
            actions: spec.actions,
            objectIds: [],
            properties: spec.properties,
          },
        },
        ZJournalSubscription,
        [200],
      );
      covered.push(spec.objectTypeId);
      created.push(spec.objectTypeId);
    } catch (error) {
      if (error instanceof HubspotError && error.status === 400) {
        refused.push({ objectTypeId: spec.objectTypeId, reason: error.message });
        continue;
      }
      throw error;
    }
  }
  return { covered, created, refused };
}
