// Heed's one door to HubSpot. Every call goes through `request`, which waits for the rate limiter, sends over
// Node's fetch with a per-attempt timeout (AbortSignal.timeout), retries what is worth retrying, counts calls, and
// parses the answer with zod.
//
// Why a small fetch transport instead of @hubspot/api-client 14: the official client's typed methods call the
// legacy v3/v4 paths (unsupported from 2027-03-30 and September 2027), so Heed could only use its untyped
// `apiRequest` with hand-written date-versioned paths; what was left of the library was a fetch wrapper with
// process-wide retry/limiter settings (the last Client constructed wins), console.error logging, and a 10 s ×
// attempt sleep on every ten-secondly 429. Paths live in ./api-version.ts, shapes in ./schemas.ts, retries here.
import type { Logger } from 'pino';
import type { z } from 'zod';
import { type Clock, systemClock } from '../clock.ts';
import { createTimeZone, startOfNextDay } from '../domain/time-zone.ts';
import { AppError, type ErrorCode } from '../errors.ts';
import { API_VERSION } from './api-version.ts';
import { parseHubspotJson } from './json.ts';
import { RollingWindowLimiter } from './rate-limiter.ts';
import { ZHubspotError, ZRateLimitError } from './schemas.ts';

/** A bearer token, or something that hands out a current one (the journal's client-credentials token expires). */
export type TokenSource =
  | string
  | {
      token(): Promise<string>;
      /** Forget the current token (after a 401), so the next `token()` gets a new one. */
      invalidate(): void;
    };

export type TransportRequest = {
  method: 'GET' | 'POST' | 'PATCH';
  path: string;
  query?: [string, string][] | undefined;
  /** JSON body. */
  body?: unknown;
  /** application/x-www-form-urlencoded body (OAuth's token endpoint); sent without a bearer token. */
  form?: Record<string, string> | undefined;
};

export type TransportResponse = { status: number; headers: Headers; text: string };

/** What HubspotApi sends through: a base URL, a token and fetch. */
export type HubspotTransport = {
  send(request: TransportRequest, timeoutMs: number): Promise<TransportResponse | 'timeout'>;
  /** Forgets a refreshable token after a 401; false when the token is a static one (nothing to refresh). */
  invalidateToken(): boolean;
};

/** Builds a transport for one base URL and credential; the composition root builds one per credential. */
export function createHubspotClient(options: {
  accessToken: TokenSource;
  baseUrl: string;
  fetch?: typeof fetch;
}): HubspotTransport {
  const base = options.baseUrl.replace(/\/+$/, '');
  const doFetch = options.fetch ?? fetch;
  const source = options.accessToken;
  return {
    async send(request, timeoutMs) {
      const url = new URL(`${base}${request.path}`);
      // Pairs keep repeated keys (properties=a&properties=b) and their order.
      for (const [key, value] of request.query ?? []) url.searchParams.append(key, value);
      const headers: Record<string, string> = { accept: 'application/json' };
      let body: string | undefined;
      if (request.form) {
        headers['content-type'] = 'application/x-www-form-urlencoded';
        body = new URLSearchParams(request.form).toString();
      } else {
        headers['authorization'] = `Bearer ${typeof source === 'string' ? source : await source.token()}`;
        if (request.body !== undefined) {
          headers['content-type'] = 'application/json';
          body = JSON.stringify(request.body);
        }
      }
      const signal = AbortSignal.timeout(timeoutMs);
      try {
        const response = await doFetch(url, { method: request.method, headers, body, signal });
        // The body is read under the same deadline: a server that sends headers and then stalls times out too.
        return { status: response.status, headers: response.headers, text: await response.text() };
      } catch (error) {
        if (signal.aborted) return 'timeout';
        throw error;
      }
    },
    invalidateToken() {
      if (typeof source === 'string') return false;
      source.invalidate();
      return true;
    },
  };
}

export type CallEvent = {
  method: string;
  /** The path without the query, e.g. /crm/objects/2026-09/tickets/search. */
  endpoint: string;
  /** HTTP status, or 'timeout' / 'network' when there was no answer. */
  status: number | 'timeout' | 'network';
  durationMs: number;
  attempt: number;
  /** The answer's headers, when there was one: X-HubSpot-RateLimit-* give the rate-limit headroom. */
  headers?: Headers;
};

/** Counters the ops side exports as metrics; injected, never global. */
export type HubspotMetrics = {
  onCall(event: CallEvent): void;
  onRateLimited?(policy: string): void;
};

export class HubspotError extends AppError {
  readonly status: number | undefined;
  /** For DAILY limits: when HubSpot will accept requests again. */
  readonly resetAt: Date | undefined;
  /** HubSpot's own error body, when it sent one (category, message, errors[]), for callers that branch on it. */
  readonly body: unknown;

  constructor(
    code: ErrorCode,
    message: string,
    options: { fix?: string; cause?: unknown; status?: number; resetAt?: Date; body?: unknown } = {},
  ) {
    super(code, message, options);
    this.name = 'HubspotError';
    this.status = options.status;
    this.resetAt = options.resetAt;
    this.body = options.body;
  }
}

export type HubspotApiOptions = {
  client: HubspotTransport;
  /** Requests per rolling 10 s (100 Free/Starter, 190 Pro/Enterprise). */
  requestsPer10s: number;
  /** Search requests per second (HubSpot allows about 5; 4 leaves room for other tools on the account). */
  searchPerSecond: number;
  clock?: Pick<Clock, 'now' | 'sleep'>;
  logger?: Logger;
  metrics?: HubspotMetrics;
  /** Per attempt. */
  timeoutMs?: number;
  /** Attempts for 5xx, timeouts and network errors. */
  maxAttempts?: number;
  /** Attempts after ten-secondly/secondly 429s. */
  maxRateLimitRetries?: number;
  /** First backoff after a 5xx/timeout; doubles each attempt. */
  backoffMs?: number;
  /** The portal's time zone, for when a DAILY limit resets (updated once account details are known). */
  timeZone?: string;
  /** What a 401 should tell the reader to do (the credential differs: service key, app token, client secret). */
  authFix?: string;
};

export type RequestSpec = {
  method: 'GET' | 'POST' | 'PATCH';
  path: string;
  query?: [string, string][];
  body?: unknown;
  form?: Record<string, string>;
  /** Search requests also go through the (stricter) search limiter. */
  search?: boolean;
  /**
   * What a 404 means here. 'retired' (the default): the route itself is gone, i.e. HubSpot retired the API
   * version this Heed speaks, which must stop the sync loudly rather than look like an empty portal.
   * 'object': the path names one record (or journal offset) that may not exist; HUBSPOT_NOT_FOUND.
   */
  notFound?: 'retired' | 'object';
  /**
   * The path as calls are counted (callsByEndpoint), when it holds a record's id: one line per endpoint, not
   * per record — a pass reads thousands of threads' messages.
   */
  countAs?: string;
};

export type ApiResult<T> = { status: number; data: T };

const UPGRADE_FIX =
  'upgrade Heed to a release that speaks a HubSpot API version still supported (npm install / pull the latest ' +
  `release); this one speaks ${API_VERSION}, and HubSpot supports a version for 18 months after its release`;

export class HubspotApi {
  private readonly clock: Pick<Clock, 'now' | 'sleep'>;
  private readonly general: RollingWindowLimiter;
  private readonly searchLimiter: RollingWindowLimiter;
  private readonly calls = new Map<string, number>();
  private readonly timeoutMs: number;
  private readonly maxAttempts: number;
  private readonly maxRateLimitRetries: number;
  private readonly backoffMs: number;
  timeZone: string;
  private readonly options: HubspotApiOptions;

  constructor(options: HubspotApiOptions) {
    this.options = options;
    this.clock = options.clock ?? systemClock;
    this.general = new RollingWindowLimiter(options.requestsPer10s, 10_000, this.clock);
    // The search limit is per second; spread it as one window of ceil(n) per 1000/n·ceil(n) ms so fractional rates work.
    const perWindow = Math.max(1, Math.floor(options.searchPerSecond));
    this.searchLimiter = new RollingWindowLimiter(
      perWindow,
      Math.round((1000 * perWindow) / options.searchPerSecond),
      this.clock,
    );
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.maxAttempts = options.maxAttempts ?? 6;
    this.maxRateLimitRetries = options.maxRateLimitRetries ?? 10;
    this.backoffMs = options.backoffMs ?? 500;
    this.timeZone = options.timeZone ?? 'UTC';
  }

  /** Calls made so far, by `"<METHOD> <path>"` (every attempt counts: HubSpot counts them too). */
  callsByEndpoint(): Record<string, number> {
    return Object.fromEntries(this.calls);
  }

  totalCalls(): number {
    let total = 0;
    for (const n of this.calls.values()) total += n;
    return total;
  }

  /**
   * Sends one logical request, retrying 5xx/timeouts with backoff and ten-secondly/secondly 429s after the window,
   * and parses the body with `schema`. A DAILY 429 throws HUBSPOT_DAILY_LIMIT with `resetAt`.
   * `okStatuses` lists the statuses that carry a body to parse (200 and 207 for batch endpoints).
   */
  async request<S extends z.ZodType>(
    spec: RequestSpec,
    schema: S,
    okStatuses = [200, 207],
  ): Promise<ApiResult<z.output<S>>> {
    let failures = 0;
    let limited = 0;
    let reauthorized = false;
    const label = `${spec.method} ${(spec.countAs ?? spec.path).replace(/\/$/, '')}`;
    for (let attempt = 1; ; attempt++) {
      const releaseGeneral = await this.general.acquire();
      const releaseSearch = spec.search ? await this.searchLimiter.acquire() : undefined;
      const started = this.clock.now().getTime();
      this.calls.set(label, (this.calls.get(label) ?? 0) + 1);
      let response: TransportResponse | 'timeout' | Error;
      try {
        response = await this.options.client.send(
          { method: spec.method, path: spec.path, query: spec.query, body: spec.body, form: spec.form },
          this.timeoutMs,
        );
      } catch (error) {
        response = error as Error;
      } finally {
        releaseGeneral();
        releaseSearch?.();
      }
      const status = typeof response === 'string' ? 'timeout' : response instanceof Error ? 'network' : response.status;
      this.options.metrics?.onCall({
        method: spec.method,
        endpoint: spec.path,
        status,
        durationMs: this.clock.now().getTime() - started,
        attempt,
        ...(typeof response === 'object' && !(response instanceof Error) ? { headers: response.headers } : {}),
      });
      if (typeof status === 'number' && okStatuses.includes(status)) {
        const { text } = response as TransportResponse;
        let json: unknown;
        try {
          json = text === '' ? undefined : parseHubspotJson(text);
        } catch (error) {
          throw new HubspotError('HUBSPOT_BAD_RESPONSE', `HubSpot answered ${label} with a body that is not JSON.`, {
            status,
            cause: error,
          });
        }
        const parsed = schema.safeParse(json);
        if (!parsed.success) {
          throw new HubspotError(
            'HUBSPOT_BAD_RESPONSE',
            `HubSpot's answer to ${label} does not have the expected shape: ${parsed.error.issues[0]?.message} at ${parsed.error.issues[0]?.path.join('.')}.`,
            { status, fix: 'check HUBSPOT_API_URL points at HubSpot (https://api.hubapi.com)' },
          );
        }
        return { status, data: parsed.data };
      }
      if (status === 401 && !reauthorized && this.options.client.invalidateToken()) {
        // A refreshable token (the journal's client-credentials token) may have expired early: get a new one, once.
        reauthorized = true;
        continue;
      }
      if (status === 429) {
        const { headers, text } = response as TransportResponse;
        const body = ZRateLimitError.safeParse(safeJson(text));
        const policy = body.success ? (body.data.policyName ?? 'TEN_SECONDLY_ROLLING') : 'TEN_SECONDLY_ROLLING';
        this.options.metrics?.onRateLimited?.(policy);
        if (policy === 'DAILY') {
          // HubSpot resets the daily limit when the portal's next day begins.
          const resetAt = new Date(startOfNextDay(createTimeZone(this.timeZone), this.clock.now().getTime()));
          throw new HubspotError(
            'HUBSPOT_DAILY_LIMIT',
            `HubSpot's daily API limit is used up; it resets at ${resetAt.toISOString()} (midnight ${this.timeZone}).`,
            {
              status,
              resetAt,
              fix: 'wait for the reset, or lower other integrations’ use of this HubSpot account; Heed resumes where it stopped',
            },
          );
        }
        if (++limited > this.maxRateLimitRetries) {
          throw new HubspotError('HUBSPOT_RATE_LIMITED', `HubSpot kept answering 429 (${policy}) to ${label}.`, {
            status,
            fix: 'lower sync.requestsPer10s in the policy file; another app may share this account’s limit',
          });
        }
        const now = this.clock.now().getTime();
        if (policy === 'SECONDLY') {
          this.searchLimiter.pauseUntil(now + 1000);
        } else {
          const interval = Number(headers.get('x-hubspot-ratelimit-interval-milliseconds')) || 10_000;
          this.general.pauseUntil(now + interval);
        }
        this.options.logger?.warn(
          { endpoint: label, policy, attempt },
          'HubSpot rate limit hit; waiting for the window',
        );
        continue;
      }
      const retryable = typeof status !== 'number' || status >= 500;
      if (retryable) {
        if (++failures >= this.maxAttempts) {
          throw new HubspotError(
            'HUBSPOT_UNAVAILABLE',
            `HubSpot did not answer ${label} after ${failures} attempts (last: ${status}).`,
            {
              status: typeof status === 'number' ? status : undefined,
              fix: 'check status.hubspot.com and the network; the next sync resumes where this one stopped',
            },
          );
        }
        const wait = Math.min(this.backoffMs * 2 ** (failures - 1), 30_000);
        this.options.logger?.warn({ endpoint: label, status, attempt, waitMs: wait }, 'HubSpot call failed; retrying');
        await this.clock.sleep(wait);
        continue;
      }
      throw this.clientError(
        label,
        status,
        (response as TransportResponse).text,
        spec.notFound ?? 'retired',
        spec.method === 'PATCH',
      );
    }
  }

  private clientError(
    label: string,
    status: number,
    text: string,
    notFound: 'retired' | 'object',
    write: boolean,
  ): HubspotError {
    const raw = safeJson(text);
    const parsed = ZHubspotError.safeParse(raw);
    const body = parsed.success ? parsed.data : undefined;
    const detail = body ? ` ${body.message.slice(0, 300)}` : '';
    if (status === 401) {
      return new HubspotError('HUBSPOT_AUTH', `HubSpot refused the access token (401) on ${label}.${detail}`, {
        status,
        body: raw,
        fix:
          this.options.authFix ??
          'set HUBSPOT_ACCESS_TOKEN to a current service key (Development → Keys → Service keys) or app access token',
      });
    }
    if (status === 403) {
      const scopes = missingScopes(body);
      return new HubspotError(
        'HUBSPOT_AUTH',
        `HubSpot refused ${label} (403)${scopes.length > 0 ? `: the credential lacks ${scopes.join(', ')}` : ''}.${detail}`,
        {
          status,
          body: raw,
          fix: `grant the missing scope${scopes.length === 1 ? '' : 's'} to the service key or app (run \`heed doctor\` to list every missing scope with where to add it)`,
        },
      );
    }
    if (status === 410 || (status === 404 && notFound === 'retired')) {
      return new HubspotError(
        'HUBSPOT_API_RETIRED',
        `HubSpot no longer serves ${label} (${status}): the API version ${label.includes(API_VERSION) ? API_VERSION : 'this path belongs to'} has been retired.${detail}`,
        { status, body: raw, fix: UPGRADE_FIX },
      );
    }
    if (status === 404) {
      return new HubspotError('HUBSPOT_NOT_FOUND', `HubSpot has no such record: ${label} answered 404.${detail}`, {
        status,
        body: raw,
      });
    }
    if (status === 400 && body?.category === 'VALIDATION_ERROR' && write) {
      return new HubspotError('HUBSPOT_WRITE_REFUSED', validationMessage(label, body), {
        status,
        body: raw,
        fix:
          'do what HubSpot asks: since API version 2026-09 the account’s own rules apply to API writes (conditionally ' +
          'required properties, required fields, association permissions; an admin sees them under Settings → ' +
          'Properties), so fill in what the rule requires on the record in HubSpot, or ask an admin to change the rule',
      });
    }
    return new HubspotError('HUBSPOT_BAD_RESPONSE', `HubSpot answered ${label} with ${status}.${detail}`, {
      status,
      body: raw,
    });
  }
}

/** Scopes HubSpot names in a 403's context (`missingScopes`, or `requiredGranularScopes` on CRM object paths). */
export function missingScopes(body: { context?: Record<string, string[]> | undefined } | undefined): string[] {
  const context = body?.context ?? {};
  return [...new Set([...(context['missingScopes'] ?? []), ...(context['requiredGranularScopes'] ?? [])])];
}

/**
 * A write HubSpot refused, in HubSpot's words: each error detail names the property (`in`) and says what the rule
 * (or the value) wants (`message`). From 2026-09 these include the account's own validation rules.
 */
function validationMessage(
  label: string,
  body: { message: string; errors?: { message: string; in?: string | undefined }[] | undefined },
): string {
  const details = (body.errors ?? []).map((e) => (e.in ? `${e.in}: ${e.message}` : e.message));
  const rules = details.length > 0 ? details.join('; ') : body.message;
  return `HubSpot refused ${label}: ${rules.slice(0, 500)}`;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
