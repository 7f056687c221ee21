// Waits for a dependency that is down (Slack or HubSpot unreachable, answering 503, refusing the token) without
// giving up and without hammering it: one check, then again after 1 s, 2 s, 4 s … up to `maxDelayMs`, with
// jitter so replicas do not retry in step. Every failed check is reported to the dependency registry (one log line
// per change, see ./dependency-health.ts); the first check that passes reports the dependency up and starts the
// work that needed it (`onUp`). This is how `heed start` survives a vendor outage at boot: it serves its probes and
// the other vendor's work meanwhile, and starts this side's work within seconds of the dependency's return.
import type { Logger } from '../logger.ts';
import type { DependencyProblem, HealthReporter } from './dependency-health.ts';

export type DependencyWatchOptions = {
  name: string;
  /** One check: resolves when the dependency answers, throws what it said otherwise. */
  check: () => Promise<unknown>;
  /** How a failure reads in /readyz and the log. */
  describe: (error: unknown) => DependencyProblem;
  health: HealthReporter;
  logger: Logger;
  /** Runs after each check that passes following a failure (and after the first one); errors are logged. */
  onUp?: (info: { first: boolean }) => void | Promise<void>;
  initialDelayMs?: number;
  maxDelayMs?: number;
  /** Reported until the first check answers, so /readyz does not claim a dependency it has not seen. */
  pending?: DependencyProblem;
  /** Tests: a clock that does not wait. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  random?: () => number;
};

export type DependencyWatch = {
  /** Checks now, and keeps checking until the dependency answers. Does nothing while already checking. */
  start(): void;
  /** The dependency failed while in use: report it, and check again (after a first delay) until it answers. */
  failed(error: unknown): void;
  /** Whether the last check (or use) succeeded. */
  readonly up: boolean;
  /** Whether a check loop is running. */
  readonly checking: boolean;
  /** Resolves once the dependency has answered (immediately when it is up). */
  whenUp(): Promise<void>;
  stop(): Promise<void>;
};

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolveSleep) => {
    if (signal.aborted) return resolveSleep();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolveSleep();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

export function watchDependency(options: DependencyWatchOptions): DependencyWatch {
  const { name, health, logger } = options;
  const initial = options.initialDelayMs ?? 1000;
  const max = options.maxDelayMs ?? 10_000;
  const sleep = options.sleep ?? abortableSleep;
  const random = options.random ?? Math.random;
  const stopping = new AbortController();
  let up = false;
  let first = true;
  let loop: Promise<void> | undefined;
  let waiters: (() => void)[] = [];
  if (options.pending) health.report(name, options.pending);

  const delayFor = (attempt: number) => {
    const base = Math.min(max, initial * 2 ** attempt);
    // ±20 %: replicas that lost the dependency together do not all come back at the same instant.
    return Math.round(base * (0.8 + 0.4 * random()));
  };

  const run = async (waitFirst: boolean) => {
    let attempt = 0;
    if (waitFirst) await sleep(delayFor(attempt++), stopping.signal);
    while (!stopping.signal.aborted) {
      try {
        await options.check();
      } catch (error) {
        if (stopping.signal.aborted) return;
        up = false;
        health.report(name, options.describe(error));
        const delay = delayFor(attempt++);
        logger.debug({ dependency: name, attempt, retryInMs: delay }, `${name}: still failing; checking again later`);
        await sleep(delay, stopping.signal);
        continue;
      }
      if (stopping.signal.aborted) return;
      up = true;
      // Done checking before anyone hears of it: a failure reported from here on starts a new loop.
      loop = undefined;
      health.report(name, undefined);
      const wasFirst = first;
      first = false;
      for (const resolveWaiter of waiters.splice(0)) resolveWaiter();
      try {
        await options.onUp?.({ first: wasFirst });
      } catch (error) {
        logger.error({ err: error, dependency: name }, `${name}: starting the work that waited for it failed`);
      }
      return;
    }
  };

  const begin = (waitFirst: boolean) => {
    if (loop || stopping.signal.aborted) return;
    const current = run(waitFirst).finally(() => {
      if (loop === current) loop = undefined;
    });
    loop = current;
  };

  return {
    start: () => begin(false),
    failed(error) {
      if (stopping.signal.aborted) return;
      up = false;
      health.report(name, options.describe(error));
      begin(true);
    },
    get up() {
      return up;
    },
    get checking() {
      return loop !== undefined;
    },
    whenUp: () => (up ? Promise.resolve() : new Promise<void>((resolveUp) => waiters.push(resolveUp))),
    async stop() {
      // Not waiting for a check in flight (a HubSpot call retries for up to a minute): its answer is ignored.
      stopping.abort();
      for (const resolveWaiter of waiters.splice(0)) resolveWaiter();
      waiters = [];
    },
  };
}
