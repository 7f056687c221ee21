// The watch that waits out an outage: backoff with a ceiling, one report per attempt, the work started once.
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/logger.ts';
import { createDependencyHealth } from '../../src/ops/dependency-health.ts';
import { watchDependency } from '../../src/ops/dependency-watch.ts';

describe('watchDependency', () => {
  it('retries with doubling delays up to the ceiling, reports each failure, and starts the work once it answers', async () => {
    const health = createDependencyHealth(() => new Date(0));
    const slept: number[] = [];
    let failuresLeft = 6;
    let ups = 0;
    const watch = watchDependency({
      name: 'slack',
      health,
      logger: silentLogger(),
      pending: { code: 'starting', message: 'checking' },
      check: async () => {
        if (failuresLeft-- > 0) throw new Error(`down (${failuresLeft} left)`);
      },
      describe: (error) => ({ code: 'unreachable', message: (error as Error).message }),
      initialDelayMs: 1000,
      maxDelayMs: 10_000,
      random: () => 0.5,
      sleep: async (ms) => {
        slept.push(ms);
        // While waiting, /readyz shows the latest failure.
        expect(health.problems()[0]).toMatchObject({ name: 'slack', code: 'unreachable' });
      },
      onUp: ({ first }) => {
        ups += 1;
        expect(first).toBe(true);
      },
    });
    expect(health.problems()[0]).toMatchObject({ code: 'starting' });
    watch.start();
    watch.start(); // already checking: no second loop
    await watch.whenUp();
    await new Promise((r) => setImmediate(r));
    expect(slept).toEqual([1000, 2000, 4000, 8000, 10_000, 10_000]);
    expect(ups).toBe(1);
    expect(watch.up).toBe(true);
    expect(health.problems()).toEqual([]);

    // Failing in use: reported at once, checked again after a first delay, and the work restarted (not first).
    failuresLeft = 1;
    slept.length = 0;
    let again = false;
    const second = watchDependency({
      name: 'hubspot',
      health,
      logger: silentLogger(),
      check: async () => {
        if (failuresLeft-- > 0) throw new Error('503');
      },
      describe: () => ({ code: 'HUBSPOT_UNAVAILABLE', message: 'HubSpot did not answer' }),
      random: () => 0.5,
      sleep: async (ms) => {
        slept.push(ms);
      },
      onUp: ({ first }) => {
        again = !first;
      },
    });
    second.start();
    await second.whenUp();
    second.failed(new Error('503'));
    expect(health.problems().map((p) => p.name)).toEqual(['hubspot']);
    await second.whenUp();
    await new Promise((r) => setImmediate(r));
    expect(again).toBe(true);
    expect(slept).toEqual([1000, 1000]);
  });

  it('stops without waiting for a check in flight, and ignores its late answer', async () => {
    const health = createDependencyHealth(() => new Date(0));
    let answer: () => void = () => undefined;
    let ups = 0;
    const watch = watchDependency({
      name: 'slack',
      health,
      logger: silentLogger(),
      check: () => new Promise<void>((resolveCheck) => (answer = resolveCheck)),
      describe: () => ({ code: 'x', message: 'x' }),
      onUp: () => {
        ups += 1;
      },
    });
    watch.start();
    await watch.stop();
    answer();
    await new Promise((r) => setTimeout(r, 10));
    expect(ups).toBe(0);
  });
});
