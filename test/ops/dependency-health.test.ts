// The dependency registry /readyz and /metrics read: problems with since-when, one log line per change.
import { describe, expect, it } from 'vitest';
import { createDependencyHealth } from '../../src/ops/dependency-health.ts';
import { captureLogger } from '../slack/support/capture-logger.ts';

describe('dependency health', () => {
  it('keeps when an outage started, logs each change once, and forgets the problem when the dependency answers', () => {
    let now = new Date('2026-11-23T12:00:00.000Z');
    const log = captureLogger();
    const health = createDependencyHealth(() => now, { logger: log.logger });
    health.report('slack', undefined);
    health.report('slack', { code: 'unreachable', message: 'cannot reach Slack: connect ECONNREFUSED' });
    now = new Date('2026-11-23T12:00:05.000Z');
    health.report('slack', { code: 'unreachable', message: 'cannot reach Slack: connect ECONNREFUSED' });
    health.report('hubspot', { code: 'HUBSPOT_AUTH', message: 'HubSpot refused the access token (401)' });
    now = new Date('2026-11-23T12:00:09.000Z');
    health.report('slack', { code: 'invalid_auth', message: 'Slack refused the bot token (invalid_auth)' });
    expect(health.problems()).toEqual([
      {
        name: 'slack',
        code: 'invalid_auth',
        message: 'Slack refused the bot token (invalid_auth)',
        since: new Date('2026-11-23T12:00:00.000Z'),
      },
      {
        name: 'hubspot',
        code: 'HUBSPOT_AUTH',
        message: 'HubSpot refused the access token (401)',
        since: new Date('2026-11-23T12:00:05.000Z'),
      },
    ]);
    now = new Date('2026-11-23T12:01:00.000Z');
    health.report('slack', undefined);
    health.report('slack', undefined);
    expect(health.problems().map((p) => p.name)).toEqual(['hubspot']);
    expect(health.statuses().map((s) => [s.name, s.up])).toEqual([
      ['slack', true],
      ['hubspot', false],
    ]);
    const lines = log.lines().map((l) => [l['level'], l['dependency'], l['code'] ?? l['downSeconds'], l['msg']]);
    expect(lines).toEqual([
      [40, 'slack', 'unreachable', 'slack: cannot reach Slack: connect ECONNREFUSED'],
      [40, 'hubspot', 'HUBSPOT_AUTH', 'hubspot: HubSpot refused the access token (401)'],
      [40, 'slack', 'invalid_auth', 'slack: Slack refused the bot token (invalid_auth)'],
      [30, 'slack', 60, 'slack: answers again'],
    ]);
  });

  it('masks secrets and bounds the length of what it will show on /readyz', () => {
    const health = createDependencyHealth(() => new Date(0));
    health.report('slack', { code: 'x', message: `token xoxb-1234-5678-abcdefgh rejected ${'y'.repeat(2000)}` });
    const [problem] = health.problems();
    expect(problem!.message).not.toContain('xoxb-1234');
    expect(problem!.message.length).toBeLessThanOrEqual(500);
  });
});
