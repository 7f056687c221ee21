// The outbox's figures for /metrics: whether sending is paused (a token Slack refuses) and the messages given up
// for good, by reason. Registered on the registry createMetrics made; the composition root passes the result to
// the outbox (createSlackSide's `outbox.metrics`).
import { Counter, Gauge, type Registry } from 'prom-client';
import type { OutboxMetrics } from '../slack/outbox.ts';

export function outboxMetrics(metrics: { registry: Registry }): OutboxMetrics {
  const registers = [metrics.registry];
  const paused = new Gauge({
    name: 'heed_outbox_paused',
    help: 'Whether this process has paused sending to Slack (1), by reason (the Slack error code: invalid_auth, token_revoked, …); nothing is dropped while paused',
    labelNames: ['reason'] as const,
    registers,
  });
  const failed = new Counter({
    name: 'heed_outbox_failed_total',
    help: 'Slack messages given up for good, by reason (a Slack error code such as is_archived or msg_too_long, parent_failed, not_in_channel)',
    labelNames: ['reason'] as const,
    registers,
  });
  return {
    paused: (reason, on) => paused.set({ reason }, on ? 1 : 0),
    failed: (reason) => failed.inc({ reason }),
  };
}
