// Heed's one door to HubSpot. Every call goes through `request`, which waits for the rate limiter, sends through
// the official client's `apiRequest`, times out, retries what is worth retrying, counts calls, and parses the
// answer with zod. The official client's own retry and limiter are switched off on purpose: its settings are
// process-wide (the last Client constructed wins), it sleeps 10 s × attempt on a ten-secondly 429 regardless of the
// window, it cannot tell the caller a DAILY limit resets at midnight, and it logs retries with console.error.
// `apiRequest` with no decorators never retries, so this layer is the only one that does.
import { Client } from '@hubspot/api-client';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { AppError, type ErrorCode } from '../errors.ts';
import { type Clock, nextMidnight, RollingWindowLimiter, systemClock } from './rate-limiter.ts';
import { ZRateLimitError } from './schemas.ts';

/** Builds the process's one official client; the composition root calls this once and passes it around. */
export function createHubspotClient(options: { accessToken: string; baseUrl: string }): Client {
  // numberOfApiCallRetries 0 and no limiterOptions: the client installs no decorators (see the header comment).
  return new Client({
    accessToken: options.accessToken,
    basePath: options.baseUrl.replace(/\/$/, ''),
    numberOfApiCallRetries: 0,
  });
}

export type CallEvent = {
  method: string;
  /** The path without the query, e.g. /crm/v3/objects/tickets/search. */
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

  constructor(
    code: ErrorCode,
    message: string,
    options: { fix?: string; cause?: unknown; status?: number; resetAt?: Date } = {},
  ) {
    super(code, message, options);
    this.name = 'HubspotError';
    this.status = options.status;
    this.resetAt = options.resetAt;
  }
}

export type HubspotApiOptions = {
  client: Client;
  /** Requests per rolling 10 s (100 Free/Starter, 190 Pro/Enterprise). */
  requestsPer10s: number;
  /** Search requests per second (HubSpot allows about 5; 4 leaves room for other tools on the account). */
  searchPerSecond: number;
  clock?: Clock;
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
};

export type RequestSpec = {
  method: 'GET' | 'POST';
  path: string;
  query?: [string, string][];
  body?: unknown;
  /** Search requests also go through the (stricter) search limiter. */
  search?: boolean;
};

export type ApiResult<T> = { status: number; data: T };

export class HubspotApi {
  private readonly clock: Clock;
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
    const label = `${spec.method} ${spec.path.replace(/\/$/, '')}`;
    for (let attempt = 1; ; attempt++) {
      const releaseGeneral = await this.general.acquire();
      const releaseSearch = spec.search ? await this.searchLimiter.acquire() : undefined;
      const started = this.clock.now();
      this.calls.set(label, (this.calls.get(label) ?? 0) + 1);
      let response: { status: number; headers: Headers; text: string } | 'timeout' | Error;
      try {
        response = await this.send(spec);
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
        durationMs: this.clock.now() - started,
        attempt,
        ...(typeof response === 'object' && !(response instanceof Error) ? { headers: response.headers } : {}),
      });
      if (typeof status === 'number' && okStatuses.includes(status)) {
        const { text } = response as { text: string };
        let json: unknown;
        try {
          json = JSON.parse(text);
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
      if (status === 429) {
        const { headers, text } = response as { headers: Headers; text: string };
        const body = ZRateLimitError.safeParse(safeJson(text));
        const policy = body.success ? (body.data.policyName ?? 'TEN_SECONDLY_ROLLING') : 'TEN_SECONDLY_ROLLING';
        this.options.metrics?.onRateLimited?.(policy);
        if (policy === 'DAILY') {
          const resetAt = nextMidnight(this.clock.now(), this.timeZone);
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
        const now = this.clock.now();
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
      throw this.clientError(label, status, (response as { text: string }).text);
    }
  }

  private clientError(label: string, status: number, text: string): HubspotError {
    const body = safeJson(text) as { message?: unknown; category?: unknown } | undefined;
    const detail = typeof body?.message === 'string' ? ` ${body.message.slice(0, 300)}` : '';
    if (status === 401) {
      return new HubspotError('HUBSPOT_AUTH', `HubSpot refused the access token (401) on ${label}.${detail}`, {
        status,
        fix: 'set HUBSPOT_ACCESS_TOKEN to a current private-app token',
      });
    }
    if (status === 403) {
      return new HubspotError('HUBSPOT_AUTH', `HubSpot refused ${label} (403).${detail}`, {
        status,
        fix: 'grant the private app the scope this call needs (tickets, crm.objects.owners.read, crm.objects.feedback_submissions.read, …)',
      });
    }
    return new HubspotError('HUBSPOT_BAD_RESPONSE', `HubSpot answered ${label} with ${status}.${detail}`, { status });
  }

  private async send(spec: RequestSpec): Promise<{ status: number; headers: Headers; text: string } | 'timeout'> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.timeoutMs);
    });
    const call = (async () => {
      const qs = spec.query && spec.query.length > 0 ? spec.query : undefined;
      const response = await this.options.client.apiRequest({
        method: spec.method,
        path: spec.path,
        // URLSearchParams accepts pairs, which keeps repeated keys (properties=a&properties=b).
        ...(qs ? { qs: qs as unknown as Record<string, string> } : {}),
        ...(spec.body === undefined ? {} : { body: spec.body }),
      });
      return { status: response.status, headers: response.headers, text: await response.text() };
    })();
    try {
      return await Promise.race([call, timeout]);
    } finally {
      clearTimeout(timer);
      // A call that lost the race still settles later; its failure must not become an unhandled rejection.
      call.catch(() => undefined);
    }
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
