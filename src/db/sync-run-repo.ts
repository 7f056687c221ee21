// One row per sync run (SyncRun): when it started and finished, how it ended, and its counts.
import type { Db } from './client.ts';

export class SyncRunRepo {
  readonly #db: Pick<Db, 'prisma'>;

  constructor(db: Pick<Db, 'prisma'>) {
    this.#db = db;
  }

  async start(run: { id: string; kind: string }, now: number): Promise<void> {
    await this.#db.prisma.syncRun.create({
      data: { id: run.id, kind: run.kind, startedAt: new Date(now), status: 'running' },
    });
  }

  async finish(
    run: { id: string; status: string; stats: unknown; error?: string | undefined },
    now: number,
  ): Promise<void> {
    await this.#db.prisma.syncRun.update({
      where: { id: run.id },
      data: {
        finishedAt: new Date(now),
        status: run.status,
        stats: JSON.stringify(run.stats),
        error: run.error ?? null,
      },
    });
  }
}
