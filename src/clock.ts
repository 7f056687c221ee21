// Time as a dependency: the one clock type Heed injects everywhere. `heed start` takes one (StartOptions.clock)
// and hands it to the HubSpot client and its rate limiter, the sync, the journal, the webhook route, the outbox,
// the Slack listeners, the scheduler and the digests, so rate-limit and backoff tests run in milliseconds on a
// manual clock, a test can move a whole process to another day, and the bench can run Slack's 1 msg/s/channel
// pace at a declared speed-up.

export interface Clock {
  now(): Date;
  sleep(ms: number): Promise<void>;
  /**
   * Calls `tick` every `ms` of this clock's time until the returned function is called: the heartbeat that keeps
   * a claim and a channel lease alive while a Slack call runs. A tick handles its own errors.
   */
  every(ms: number, tick: () => Promise<void> | void): () => void;
}

function realEvery(ms: number, tick: () => Promise<void> | void): () => void {
  const timer = setInterval(() => void tick(), Math.max(1, ms));
  // A heartbeat never keeps a process alive on its own.
  timer.unref();
  return () => clearInterval(timer);
}

export const systemClock: Clock = {
  now: () => new Date(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms))),
  every: realEvery,
};

/**
 * A clock running `factor` times faster than real time from `start`: sleeping 1,000 ms takes
 * 1,000/factor real ms. Rate limits keep their meaning in the clock's own time.
 */
export function scaledClock(start: Date, factor: number): Clock {
  const realStart = performance.now();
  return {
    now: () => new Date(start.getTime() + (performance.now() - realStart) * factor),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms / factor))),
    every: (ms, tick) => realEvery(ms / factor, tick),
  };
}

export type ManualClock = Clock & { advance(ms: number): void; set(at: Date): void };

/**
 * A clock that only moves when told to: sleeping advances it instantly (tests). Ticks registered with `every` run
 * as the clock passes their moments, each seeing its own moment as `now()`; `sleep` waits for them, like fake
 * timers, so a heartbeat due inside a sleep has landed before the sleeper goes on.
 */
export function manualClock(start: Date): ManualClock {
  let now = start.getTime();
  let nextId = 0;
  const timers = new Map<number, { at: number; ms: number; tick: () => Promise<void> | void }>();

  /** Moves to `target`, running due ticks in time order; returns what they returned. */
  const moveTo = (target: number): (Promise<void> | void)[] => {
    const results: (Promise<void> | void)[] = [];
    for (;;) {
      let due: { id: number; at: number } | undefined;
      for (const [id, timer] of timers)
        if (timer.at <= target && (!due || timer.at < due.at)) due = { id, at: timer.at };
      if (!due) break;
      const timer = timers.get(due.id)!;
      now = Math.max(now, timer.at);
      timer.at += Math.max(1, timer.ms);
      results.push(timer.tick());
    }
    now = Math.max(now, target);
    return results;
  };

  return {
    now: () => new Date(now),
    sleep: async (ms) => {
      await Promise.all(moveTo(now + Math.max(0, ms)));
      await new Promise((resolve) => setImmediate(resolve));
    },
    every: (ms, tick) => {
      const id = nextId++;
      timers.set(id, { at: now + Math.max(1, ms), ms, tick });
      return () => {
        timers.delete(id);
      };
    },
    advance: (ms) => {
      void moveTo(now + ms);
    },
    set: (at) => {
      // Backwards too (a test re-running a morning); ticks only run when time moves forward.
      if (at.getTime() >= now) void moveTo(at.getTime());
      now = at.getTime();
    },
  };
}
