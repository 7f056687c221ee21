// Whether HubSpot sync may call HubSpot right now, for the long-running process (`heed start`).
//
// - HubSpot refused the access token (401): sync pauses. One clear error is logged, `heed_sync_paused` is 1 and
//   /readyz names the reason. Each later scheduled pass probes once with the cheapest call (account details)
//   instead of running a whole pass into the same 401; when the token works again the pass goes ahead, and the
//   webhook queue is drained. No tight loop of failing calls, nothing lost: the cursors stay where they were.
// - HubSpot unreachable or failing (5xx, timeouts, network) after the client's own retries: the composition root's
//   dependency watch (src/ops/dependency-watch.ts) probes with backoff and reopens the gate as soon as HubSpot
//   answers; scheduled passes are skipped meanwhile instead of failing one after another.
// Anything else (a 403 on one scope, a malformed answer, the daily limit) is not the gate's business: the pass
// fails or skips as before.
import type { Logger } from 'pino';
import { HubspotError } from '../hubspot/client.ts';
import type { HealthReporter } from '../ops/dependency-health.ts';

export const HUBSPOT_DEPENDENCY = 'hubspot';

export type SyncGateState = 'open' | 'auth-paused' | 'unavailable';

export type SyncGateDeps = {
  /** One cheap call that needs a valid token (account details). */
  probe: () => Promise<unknown>;
  logger: Logger;
  health?: HealthReporter;
  /** `heed_sync_paused`. */
  onPausedChange?: (paused: boolean) => void;
  /** HubSpot stopped answering: start probing with backoff (the watch calls `reopen()` when it answers). */
  onUnavailable?: (error: unknown) => void;
  /** The gate opened again after a pause: drain what waited (the webhook queue). */
  onReopened?: () => void;
};

export function isTokenRejected(error: unknown): error is HubspotError {
  return error instanceof HubspotError && error.code === 'HUBSPOT_AUTH' && error.status === 401;
}

export function isUnavailable(error: unknown): boolean {
  return error instanceof HubspotError && error.code === 'HUBSPOT_UNAVAILABLE';
}

export class SyncGate {
  #state: SyncGateState = 'open';

  readonly #deps: SyncGateDeps;

  constructor(deps: SyncGateDeps) {
    this.#deps = deps;
  }

  get state(): SyncGateState {
    return this.#state;
  }

  /** Without calling HubSpot: may work start now? (The webhook drainer asks this.) */
  isOpen(): boolean {
    return this.#state === 'open';
  }

  /**
   * Before a scheduled pass: true when it may run. While paused on a rejected token, probes once and reopens when
   * the token works again.
   */
  async admit(): Promise<boolean> {
    if (this.#state === 'open') return true;
    if (this.#state === 'unavailable') {
      this.#deps.logger.info('sync skipped: HubSpot is not answering; it resumes as soon as it does');
      return false;
    }
    try {
      await this.#deps.probe();
    } catch (error) {
      if (isTokenRejected(error)) {
        this.#deps.logger.info('sync skipped: HubSpot still refuses the access token (401)');
      } else {
        this.#deps.logger.info({ err: error }, 'sync skipped: the token check did not get an answer from HubSpot');
      }
      return false;
    }
    this.#deps.logger.info('HubSpot accepts the access token again: sync resumes');
    this.reopen();
    return true;
  }

  /** A pass or a webhook re-fetch finished: HubSpot works. */
  succeeded(): void {
    if (this.#state !== 'open') this.reopen();
    else this.#deps.health?.report(HUBSPOT_DEPENDENCY, undefined);
  }

  /** A pass or a re-fetch failed with `error`. */
  failed(error: unknown): void {
    if (isTokenRejected(error)) {
      if (this.#state === 'auth-paused') return;
      this.#state = 'auth-paused';
      const fix = error.fix ?? 'set HUBSPOT_ACCESS_TOKEN to a current private-app token';
      this.#deps.logger.error(
        { code: error.code, status: error.status },
        `HubSpot refused the access token (401): sync is paused; every scheduled pass checks the token once and resumes when it works. To fix: ${fix}`,
      );
      this.#deps.health?.report(HUBSPOT_DEPENDENCY, {
        code: 'HUBSPOT_AUTH',
        message: `HubSpot refused the access token (401); sync is paused until it is accepted (${fix})`,
      });
      this.#deps.onPausedChange?.(true);
      return;
    }
    if (isUnavailable(error)) {
      this.#state = 'unavailable';
      this.#deps.onUnavailable?.(error);
    }
  }

  /** HubSpot answers (and accepts the token) again. */
  reopen(): void {
    const wasPaused = this.#state === 'auth-paused';
    const wasClosed = this.#state !== 'open';
    this.#state = 'open';
    this.#deps.health?.report(HUBSPOT_DEPENDENCY, undefined);
    if (wasPaused) this.#deps.onPausedChange?.(false);
    if (wasClosed) this.#deps.onReopened?.();
  }
}

/** What a failed HubSpot check says in /readyz and the log. */
export function describeHubspotFailure(error: unknown): { code: string; message: string } {
  if (error instanceof HubspotError) {
    return { code: error.code, message: error.fix ? `${error.message} (${error.fix})` : error.message };
  }
  return {
    code: 'HUBSPOT_UNAVAILABLE',
    message: `cannot reach HubSpot: ${(error as Error)?.message ?? String(error)}`,
  };
}
