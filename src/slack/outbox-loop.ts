// The outbox's life in a running process: recover what a previous process left half sent (which reads Slack's
// history, so it waits for Slack like the drain), then drain until stopped. `heed start` starts it when Slack
// first answers auth.test and stops it at shutdown, before the database closes. A stop is final: a loop started
// after it would send with the database closing under it.
import type { Logger } from '../logger.ts';
import type { Outbox } from './outbox.ts';

export interface OutboxLoop {
  /** Recovers, then drains. Does nothing while it runs, or once stopped. */
  start(): void;
  /** Ends the drain (an idle wait ends at once) and waits for the round in progress. Safe to call twice. */
  stop(): Promise<void>;
  readonly running: boolean;
}

export function outboxLoop(
  outbox: Pick<Outbox, 'recover' | 'run'>,
  logger: Pick<Logger, 'error'>,
  options: { idleMs?: number } = {},
): OutboxLoop {
  const stopSignal = new AbortController();
  let loop: Promise<void> | undefined;
  return {
    start() {
      if (loop || stopSignal.signal.aborted) return;
      loop = (async () => {
        // A failed recovery leaves those rows claimed until their claims expire; a later round recovers them.
        await outbox.recover().catch((error: unknown) => logger.error({ err: error }, 'outbox: recovery failed'));
        await outbox.run(stopSignal.signal, options.idleMs);
      })().catch((error: unknown) => logger.error({ err: error }, 'outbox: the drain loop stopped'));
    },
    async stop() {
      stopSignal.abort();
      await loop;
    },
    get running() {
      return loop !== undefined && !stopSignal.signal.aborted;
    },
  };
}
