// Adapters from what the other modules report to the metrics in ./metrics.ts. The modules only know their own
// small interfaces (HubspotMetrics, SchedulerMetrics, the outbox's SlackApi) or return their figures (SyncStats,
// EvaluationStats, WebhookOutcome); the composition root plugs these adapters in.
import type { CallEvent, HubspotMetrics } from '../hubspot/client.ts';
import type { WebhookOutcome } from '../hubspot/webhook-handler.ts';
import type { SchedulerMetrics } from '../jobs/scheduler.ts';
import type { EvaluationStats } from '../services/evaluate.ts';
import type { SyncStats } from '../services/sync.ts';
import type { SlackApi } from '../slack/outbox.ts';
import type { Metrics } from './metrics.ts';

/**
 * An endpoint label without record ids: `/crm/v3/objects/tickets/123` → `/crm/v3/objects/tickets/{id}`.
 * Ids in labels would make a new time series per record.
 */
export function endpointLabel(path: string): string {
  const clean = path.split('?')[0]!.replace(/\/+$/, '') || '/';
  return clean
    .split('/')
    .map((segment) => (/^\d+$/.test(segment) || /^[0-9a-f-]{32,36}$/i.test(segment) ? '{id}' : segment))
    .join('/');
}

function headerNumber(headers: Headers | undefined, name: string): number | undefined {
  const value = headers?.get(name);
  if (value === null || value === undefined || value.trim() === '') return undefined;
  const number = Number(value);
  return Number.isFinite(number) ? number : undefined;
}

/** Implements the HubSpot client's HubspotMetrics: calls by endpoint and status, 429s by policy, headroom. */
export function hubspotMetrics(metrics: Metrics): HubspotMetrics {
  return {
    onCall(event: CallEvent) {
      const endpoint = endpointLabel(event.endpoint);
      metrics.hubspotRequests.inc({ method: event.method, endpoint, status: String(event.status) });
      metrics.hubspotDuration.observe({ endpoint }, event.durationMs / 1000);
      // Headroom as HubSpot itself counts it (the account's limit is shared with every other app on it).
      const windows = [
        ['ten_secondly', 'x-hubspot-ratelimit-remaining', 'x-hubspot-ratelimit-max'],
        ['daily', 'x-hubspot-ratelimit-daily-remaining', 'x-hubspot-ratelimit-daily'],
      ] as const;
      for (const [window, remainingHeader, maxHeader] of windows) {
        const remaining = headerNumber(event.headers, remainingHeader);
        const max = headerNumber(event.headers, maxHeader);
        if (remaining !== undefined) metrics.hubspotRateLimitRemaining.set({ window }, remaining);
        if (max !== undefined) metrics.hubspotRateLimitMax.set({ window }, max);
      }
    },
    onRateLimited(policy: string) {
      metrics.hubspotRateLimited.inc({ policy });
    },
  };
}

/** Implements the scheduler's SchedulerMetrics: runs and failures by job. */
export function schedulerMetrics(metrics: Metrics): SchedulerMetrics {
  return {
    runFinished(job, outcome, durationMs) {
      metrics.jobRuns.inc({ job, outcome });
      if (outcome === 'failed') metrics.jobFailures.inc({ job });
      metrics.jobDuration.observe({ job }, durationMs / 1000);
    },
    runSkipped(job, reason) {
      metrics.jobSkipped.inc({ job, reason });
    },
  };
}

/** Counts what one sync pass copied (call with the stats `SyncService.run()` returns). */
export function recordSync(metrics: Metrics, stats: Pick<SyncStats, 'records'>): void {
  for (const [type, count] of Object.entries(stats.records)) {
    // `feedback: 'forbidden'` means the portal refused the scope: nothing was synced.
    if (typeof count === 'number' && count > 0) metrics.syncRecords.inc({ type }, count);
  }
}

/** Times one evaluation (call with `evaluate()`'s `stats`). */
export function recordEvaluation(
  metrics: Metrics,
  stats: Pick<EvaluationStats, 'mode' | 'readMs' | 'computeMs' | 'writeMs'>,
): void {
  metrics.evaluationDuration.observe({ mode: stats.mode }, (stats.readMs + stats.computeMs + stats.writeMs) / 1000);
}

/** Counts a webhook delivery's events (call with the handler's WebhookOutcome). */
export function recordWebhook(
  metrics: Metrics,
  source: 'hubspot' | 'slack',
  outcome: Pick<WebhookOutcome, 'accepted' | 'duplicates' | 'ignored'>,
): void {
  const received = outcome.accepted + outcome.duplicates + outcome.ignored;
  if (received > 0) metrics.webhookEvents.inc({ source }, received);
  if (outcome.duplicates > 0) metrics.webhookDuplicates.inc({ source }, outcome.duplicates);
}

/** A Slack error's code as a label: Slack's own error string where there is one. */
export function slackErrorCode(error: unknown): string {
  const e = error as { code?: string; statusCode?: number; data?: { error?: string } } | undefined;
  switch (e?.code) {
    case 'slack_webapi_platform_error':
      return e.data?.error ?? 'unknown_error';
    case 'slack_webapi_rate_limited_error':
      return 'ratelimited';
    case 'slack_webapi_http_error':
      return `http_${e.statusCode ?? 'unknown'}`;
    case 'slack_webapi_request_error':
      return 'request_error';
    default:
      return 'unknown';
  }
}

/** Which nudge step an outbox idempotency key names (`nudge:<flag key>:post|reply2|dm2|escalate3`). */
function nudgeAction(args: Record<string, unknown> | undefined): string | undefined {
  const key = (args?.['metadata'] as { event_payload?: { key?: unknown } } | undefined)?.event_payload?.key;
  if (typeof key !== 'string' || !key.startsWith('nudge:')) return undefined;
  // The step is followed by the person pinged (and a repeat's instant) for pings and DMs: `…:dm2:U123:1700…`.
  const step = /:(post|reply2|dm2|escalate3)(?::|$)/.exec(key)?.[1];
  return step ? { post: 'posted', reply2: 'replied', dm2: 'dm', escalate3: 'escalated' }[step] : undefined;
}

/**
 * Wraps the Slack client the outbox uses: counts calls, errors by method and code, and nudges Slack accepted
 * (posts by their metadata key; every chat.update the outbox makes is a nudge changing in place).
 */
export function instrumentSlackApi(slack: SlackApi, metrics: Metrics): SlackApi {
  return {
    async apiCall(method, options) {
      metrics.slackCalls.inc({ method });
      let result: unknown;
      try {
        result = await slack.apiCall(method, options);
      } catch (error) {
        metrics.slackErrors.inc({ method, code: slackErrorCode(error) });
        throw error;
      }
      if (method === 'chat.update') metrics.nudges.inc({ action: 'updated' });
      else if (method === 'chat.postMessage') {
        const action = nudgeAction(options);
        if (action) metrics.nudges.inc({ action });
      }
      return result;
    },
  };
}

/**
 * Counts Slack deliveries and redeliveries where the Slack side deduplicates them (the repository's
 * `firstDelivery`, e.g. source "slack-action" for button clicks), labelled by that source. Returns the same repository with that one method observed; everything else passes through
 * bound to the original (its private fields stay reachable).
 */
export function countSlackEventDeliveries<
  T extends { firstDelivery(source: string, id: string, now: Date): Promise<boolean> },
>(repo: T, metrics: Metrics): T {
  return new Proxy(repo, {
    get(target, property) {
      if (property === 'firstDelivery') {
        return async (source: string, id: string, now: Date) => {
          const first = await target.firstDelivery(source, id, now);
          metrics.webhookEvents.inc({ source });
          if (!first) metrics.webhookDuplicates.inc({ source });
          return first;
        };
      }
      const value = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
