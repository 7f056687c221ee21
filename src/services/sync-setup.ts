// Wires the HubSpot side together for a process: the rate-limited API over the service key or app token, the
// repository, the sync service, the webhook drainer, the webhook route handler and, with a project app's client id
// and secret, the webhooks journal reader (its own client-credentials token and limiter: the journal's limits are
// separate from the account's). main.ts (`heed start`) and `heed sync` call this once.
import { type Clock, systemClock } from '../clock.ts';
import type { Config } from '../config.ts';
import type { Db } from '../db/client.ts';
import { type HubspotRepos, hubspotRepos } from '../db/hubspot-repos.ts';
import { customerProperties } from '../domain/sla-policy.ts';
import { createBodyBudget } from '../http/body.ts';
import { createHubspotClient, HubspotApi, type HubspotMetrics } from '../hubspot/client.ts';
import { getAccountDetails } from '../hubspot/crm.ts';
import { ClientCredentialsToken } from '../hubspot/journal.ts';
import { createHubspotWebhookHandler } from '../hubspot/webhook-handler.ts';
import type { Logger } from '../logger.ts';
import { type SyncOptions, SyncService } from './sync.ts';
import type { SyncGate } from './sync-gate.ts';
import { JournalReader, type JournalReaderDeps } from './sync-journal.ts';
import { WebhookDrainer } from './sync-webhooks.ts';

export type HubspotSync = {
  api: HubspotApi;
  repos: HubspotRepos;
  service: SyncService;
  drainer: WebhookDrainer;
  /** POST /hubspot/webhooks, for a Bolt customRoute or a node:http server. */
  webhookHandler: ReturnType<typeof createHubspotWebhookHandler>;
  /** With HUBSPOT_CLIENT_ID and HUBSPOT_CLIENT_SECRET (a project app): the webhooks journal reader. */
  journal: JournalReader | undefined;
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
  journalOptions?: JournalReaderDeps['options'];
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
  // The same transport; a small limiter of its own (probes back off anyway).
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
  const repos = hubspotRepos(deps.db);
  const service = new SyncService({
    api,
    repos,
    clock,
    logger: deps.logger,
    customerProperties: customerProperties(policy.sla),
    ...(deps.onProgress ? { onProgress: deps.onProgress } : {}),
    ...(deps.options ? { options: deps.options } : {}),
    ...(deps.gate ? { gate: deps.gate } : {}),
  });
  const drainer = new WebhookDrainer({
    repos,
    sync: service,
    logger: deps.logger,
    clock,
    ...(deps.gate ? { gate: deps.gate } : {}),
  });
  const webhookHandler = createHubspotWebhookHandler({
    clientSecret: env.HUBSPOT_CLIENT_SECRET,
    queue: repos.webhooks,
    clock,
    logger: deps.logger,
    onQueued: () => drainer.kick(),
    publicUrl: deps.publicUrl,
    bodyBudget: createBodyBudget(),
  });
  let journal: JournalReader | undefined;
  if (env.HUBSPOT_CLIENT_ID && env.HUBSPOT_CLIENT_SECRET) {
    // The token endpoint takes a form and no bearer token, so this transport's token is never sent.
    const oauth = new HubspotApi({
      client: createHubspotClient({ accessToken: 'unused', baseUrl: env.HUBSPOT_API_URL }),
      requestsPer10s: 10,
      searchPerSecond: 1,
      clock,
      logger: deps.logger,
      authFix: 'check HUBSPOT_CLIENT_ID and HUBSPOT_CLIENT_SECRET against the project app’s Auth tab',
    });
    const token = new ClientCredentialsToken({
      oauth,
      clientId: env.HUBSPOT_CLIENT_ID,
      clientSecret: env.HUBSPOT_CLIENT_SECRET,
      clock,
    });
    const journalApi = new HubspotApi({
      client: createHubspotClient({ accessToken: token, baseUrl: env.HUBSPOT_API_URL }),
      // The journal has its own limits (HubSpot's guide: well above the account's); stay far below them.
      requestsPer10s: 100,
      searchPerSecond: 1,
      clock,
      logger: deps.logger,
      ...(deps.metrics ? { metrics: deps.metrics } : {}),
      authFix: 'check HUBSPOT_CLIENT_ID and HUBSPOT_CLIENT_SECRET against the project app’s Auth tab',
    });
    journal = new JournalReader({
      api: journalApi,
      repos,
      sync: service,
      catchUp: () => service.run(),
      clock,
      logger: deps.logger,
      ...(deps.journalOptions ? { options: deps.journalOptions } : {}),
    });
  }
  return {
    api,
    repos,
    service,
    drainer,
    webhookHandler,
    journal,
    probe: async () => {
      await getAccountDetails(probeApi);
    },
  };
}
