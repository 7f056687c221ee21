// Time for the outbox and the nudge worker, injected so rate-limit and backoff tests run in
// milliseconds and the bench can run Slack's 1 msg/s/channel pace at a declared speed-up.

export interface OutboxClock {
  now(): Date;
  sleep(ms: number): Promise<void>;
}

export const systemClock: OutboxClock = {
  now: () => new Date(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms))),
};

/**
 * A clock running `factor` times faster than real time from `start`: sleeping 1,000 ms takes
 * 1,000/factor real ms. Rate limits keep their meaning in the clock's own time.
 */
export function scaledClock(start: Date, factor: number): OutboxClock {
  const realStart = performance.now();
  return {
    now: () => new Date(start.getTime() + (performance.now() - realStart) * factor),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms / factor))),
  };
}

/** A clock that only moves when told to: sleeping advances it instantly (tests). */
export function manualClock(start: Date): OutboxClock & { advance(ms: number): void; set(at: Date): void } {
  let now = start.getTime();
  return {
    now: () => new Date(now),
    sleep: async (ms) => {
      now += Math.max(0, ms);
      await new Promise((resolve) => setImmediate(resolve));
    },
    advance: (ms) => {
      now += ms;
    },
    set: (at) => {
      now = at.getTime();
    },
  };
}
