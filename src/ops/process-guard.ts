// The last line of defence of `heed start` (installed by src/cli/start.ts, never by library code): an unhandled
// promise rejection or an uncaught exception is logged with what is known about it — its kind, the error (through
// the logger's serializer, which masks secrets), where it came from, the request id when it happened during a
// request, memory and uptime — and the process carries on, because Heed's state lives in the database, every job
// is idempotent and every request is answered by a boundary of its own: one stray error unwinds one callback, not
// Heed. Node's default (exit on the first one) turned a single cut-off webhook into an outage.
//
// It exits (code 70, after a fatal log line naming the reason) only on states that are truly unrecoverable:
// - memory exhausted (ERR_OUT_OF_MEMORY, "allocation failed"): whatever runs next may fail the same way;
// - Node's own internals broken (ERR_INTERNAL_ASSERTION): the runtime's state can no longer be trusted;
// - an error storm (by default 20 within 60 s): something fails in a loop, and a supervised restart is the
//   safer course than logging forever.
import type { Logger } from '../logger.ts';

export const UNRECOVERABLE_EXIT_CODE = 70;

export type ProcessGuardOptions = {
  logger: Logger;
  /** How the process ends (tests pass a spy). */
  exit: (code: number) => void;
  /** Counts each error (`heed_process_errors_total{kind}`). */
  onError?: (kind: 'unhandledRejection' | 'uncaughtException') => void;
  clock?: () => number;
  storm?: { count: number; windowMs: number };
  target?: Pick<NodeJS.Process, 'on' | 'off' | 'memoryUsage' | 'uptime'>;
};

/** Why an error leaves the process unable to go on, or undefined when it can. */
export function unrecoverableReason(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  const message = error instanceof Error ? error.message : String(error);
  if (code === 'ERR_OUT_OF_MEMORY' || /allocation failed|out of memory/i.test(message)) {
    return 'the process ran out of memory';
  }
  if (code === 'ERR_INTERNAL_ASSERTION') return "Node's internal state is broken (ERR_INTERNAL_ASSERTION)";
  return undefined;
}

/** Installs the handlers; returns a function that removes them. */
export function installProcessGuard(options: ProcessGuardOptions): () => void {
  const { logger } = options;
  const target = options.target ?? process;
  const clock = options.clock ?? Date.now;
  const storm = options.storm ?? { count: 20, windowMs: 60_000 };
  const recent: number[] = [];
  let exiting = false;

  const handle = (kind: 'unhandledRejection' | 'uncaughtException', error: unknown, origin?: string) => {
    options.onError?.(kind);
    const now = clock();
    recent.push(now);
    while (recent.length > 0 && recent[0]! <= now - storm.windowMs) recent.shift();
    const memory = target.memoryUsage();
    const context = {
      kind,
      ...(origin ? { origin } : {}),
      err: error instanceof Error ? error : { message: String(error) },
      rssMb: Math.round(memory.rss / 1_048_576),
      heapUsedMb: Math.round(memory.heapUsed / 1_048_576),
      uptimeSeconds: Math.round(target.uptime()),
      recentErrors: recent.length,
    };
    const reason =
      unrecoverableReason(error) ??
      (recent.length >= storm.count
        ? `${recent.length} unhandled errors within ${Math.round(storm.windowMs / 1000)} s: something fails in a loop`
        : undefined);
    if (!reason) {
      logger.error(
        context,
        kind === 'unhandledRejection'
          ? 'unhandled promise rejection: logged, Heed carries on (a bug: the code that made this promise should handle it)'
          : 'uncaught exception: logged, Heed carries on (a bug: the callback that threw should handle it)',
      );
      return;
    }
    if (exiting) return;
    exiting = true;
    logger.fatal({ ...context, reason }, `Heed is exiting: ${reason}; a process manager should start it again`);
    // pino writes synchronously to stdout by default, so the line is out before the process ends.
    options.exit(UNRECOVERABLE_EXIT_CODE);
  };

  const onRejection = (reason: unknown) => handle('unhandledRejection', reason);
  const onException = (error: Error, origin: string) => handle('uncaughtException', error, origin);
  target.on('unhandledRejection', onRejection);
  target.on('uncaughtException', onException);
  return () => {
    target.off('unhandledRejection', onRejection);
    target.off('uncaughtException', onException);
  };
}
