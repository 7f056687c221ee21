// The outbox's figures as /metrics shows them: heed_outbox_paused{reason} while a refused token pauses sending,
// and heed_outbox_failed_total{reason} for messages given up for good.
import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/ops/metrics.ts';
import { outboxMetrics } from '../../src/ops/outbox-metrics.ts';

describe('outbox metrics', () => {
  it('shows a pause by reason, its end, and failures by reason', async () => {
    const metrics = createMetrics({ processMetrics: false });
    const outbox = outboxMetrics(metrics);
    outbox.paused('token_revoked', true);
    outbox.failed('is_archived');
    outbox.failed('is_archived');
    outbox.failed('parent_failed');
    let text = await metrics.registry.metrics();
    expect(text).toContain('heed_outbox_paused{reason="token_revoked"} 1');
    expect(text).toContain('heed_outbox_failed_total{reason="is_archived"} 2');
    expect(text).toContain('heed_outbox_failed_total{reason="parent_failed"} 1');
    outbox.paused('token_revoked', false);
    text = await metrics.registry.metrics();
    expect(text).toContain('heed_outbox_paused{reason="token_revoked"} 0');
  });
});
