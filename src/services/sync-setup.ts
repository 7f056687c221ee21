// Wires the HubSpot side together for a process: the one official client (its retry settings are process-wide,
// so there must be exactly one), the rate-limited API, the repository, the sync service, the webhook drainer and
// the webhook route handler. main.ts (`heed start`) and `heed sync` call this once.
import type { Config } from '../config.ts';
import type { Db } from '../db/client.ts';
import { HubspotRepo } from '../db/hubspot-repo.ts';
import { createHubspotClient, HubspotApi, type HubspotMetrics } from '../hubspot/client.ts';
import { getAccountDetails } from '../hubspot/crm.ts';
import { type Clock, systemClock } from '../hubspot/rate-limiter.ts';
import { createHubspotWebhookHandler } from '../hubspot/webhook-handler.ts';
import type { Logger } from '../logger.ts';
import { type SyncOptions, SyncService } from './sync.ts';
import type { SyncGate } from './sync-gate.ts';
import { WebhookDrainer } from './sync-webhooks.ts';

export type HubspotSync = {
  api: HubspotApi;
  repo: HubspotRepo;
  service: SyncService;
  drainer: WebhookDrainer;
  /** POST /hubspot/webhooks, for a Bolt customRoute or a node:http server. */
  webhookHandler: ReturnType<typeof createHubspotWebhookHandler>;
  /**
   * One attempt at the cheapest call that needs a valid token (account details), without the client's retries:
   * whoever probes (a dependency watch, the sync gate) does its own backoff, and must learn of an outage in one
   * request rather than after a minute of retries.
   */
  probe(): Promise<void>;
};

export function createHubspotSync(deps: {
  config: Config;
  accessToken: string;
  db: Db;
  logger: Logger;
  clock?: Clock;
  metrics?: HubspotMetrics;
  onProgress?: (event: { stream: string; done: number; total?: number | undefined }) => void;
  options?: SyncOptions;
  /** Public base URL HubSpot calls for webhooks (the signed URI); rebuilt from the request when absent. */
  publicUrl?: string;
  /** `heed start`: pause on a rejected token, wait out an outage (./sync-gate.ts). */
  gate?: SyncGate;
}): HubspotSync {
  const clock = deps.clock ?? systemClock;
  const { env, policy } = deps.config;
  const client = createHubspotClient({ accessToken: deps.accessToken, baseUrl: env.HUBSPOT_API_URL });
  const api = new HubspotApi({
    client,
    requestsPer10s: policy.sync.requestsPer10s,
    searchPerSecond: policy.sync.searchPerSecond,
    clock,
    logger: deps.logger,
    ...(deps.metrics ? { metrics: deps.metrics } : {}),
  });
  // Same official client (its settings are process-wide); a small limiter of its own (probes back off anyway).
  const probeApi = new HubspotApi({
    client,
    requestsPer10s: 10,
    searchPerSecond: 1,
    clock,
    maxAttempts: 1,
    maxRateLimitRetries: 0,
    timeoutMs: 10_000,
    ...(deps.metrics ? { metrics: deps.metrics } : {}),
  });
  const repo = new HubspotRepo(deps.db);
  const service = new SyncService({
    api,
    repo,
    clock,
    logger: deps.logger,
    ...(deps.onProgress ? { onProgress: deps.onProgress } : {}),
    ...(deps.options ? { options: deps.options } : {}),
    ...(deps.gate ? { gate: deps.gate } : {}),
  });
  const drainer = new WebhookDrainer({
    repo,
    sync: service,
    logger: deps.logger,
    now: () => clock.now(),
    ...(deps.gate ? { gate: deps.gate } : {}),
  });
  const webhookHandler = createHubspotWebhookHandler({
    clientSecret: env.HUBSPOT_CLIENT_SECRET,
    repo,
    clock,
    logger: deps.logger,
    onQueued: () => drainer.kick(),
    publicUrl: deps.publicUrl,
  });
  return {
    api,
    repo,
    service,
    drainer,
    webhookHandler,
    probe: async () => {
      await getAccountDetails(probeApi);
    },
  };
}
