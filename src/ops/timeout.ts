// Probes must answer even when the database does not: a stopped or wedged PostgreSQL would otherwise hold a
// /readyz or /metrics request (and the orchestrator probing it) until the pool's own 10 s connection timeout.

export class TimeoutError extends Error {
  constructor(what: string, ms: number) {
    super(`no answer within ${ms} ms ${what}`);
    this.name = 'TimeoutError';
  }
}

/** Settles like `promise`, or rejects with TimeoutError after `ms`. The late result is dropped quietly. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(what, ms)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
    // The losing promise still settles later; its rejection must not become an unhandled one.
    promise.catch(() => undefined);
  }
}
