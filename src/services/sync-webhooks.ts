// Drains the PendingFetch queue the webhook handler fills: deletions archive tickets, other events re-fetch the
// tickets in batches of ≤ 100 (one batch read each); companies and contacts whose properties SLA rules match are
// read again (the others are dropped). Debounced, so a burst of events becomes one call, and run
// one drain at a time. The queue is in the database, so events survive a restart; polling remains the safety net.
import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import type { TicketRepo } from '../db/ticket-repo.ts';
import type { WebhookQueueRepo } from '../db/webhook-queue-repo.ts';
import type { SyncService } from './sync.ts';

export type WebhookDrainerDeps = {
  repos: { webhooks: Pick<WebhookQueueRepo, 'peek' | 'remove'>; tickets: Pick<TicketRepo, 'archive'> };
  sync: Pick<SyncService, 'refetchTickets' | 'refetchCustomers'>;
  logger: Logger;
  clock: Pick<Clock, 'now'>;
  /** Wait this long after the first event of a burst before fetching. */
  debounceMs?: number;
  /** After a failed drain, try again this long later. */
  retryMs?: number;
  /**
   * While closed (HubSpot refused the token or does not answer), the queue waits in the database instead of
   * failing every 30 s; whoever reopens the gate kicks the drainer.
   */
  gate?: { isOpen(): boolean };
};

export class WebhookDrainer {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;

  private readonly deps: WebhookDrainerDeps;

  constructor(deps: WebhookDrainerDeps) {
    this.deps = deps;
  }

  /** Something was queued: drain soon. */
  kick(delayMs = this.deps.debounceMs ?? 500): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.deps.gate && !this.deps.gate.isOpen()) {
        this.deps.logger.debug('webhook queue waits: HubSpot sync is paused');
        return;
      }
      let failed = false;
      this.running = this.drain()
        .then(
          () => undefined,
          (error: unknown) => {
            failed = true;
            this.deps.logger.error({ err: error }, 'Re-fetching webhook tickets failed; will retry');
          },
        )
        .finally(() => {
          this.running = undefined;
          if (failed) this.kick(this.deps.retryMs ?? 30_000);
          else if (this.again) {
            this.again = false;
            this.kick(0);
          }
        });
    }, delayMs);
    this.timer.unref?.();
  }

  /** Processes everything queued now. Exposed for tests and for `heed sync` to finish the queue. */
  async drain(): Promise<{ fetched: number; archived: number; customersChanged: number }> {
    let fetched = 0;
    let archived = 0;
    const customersChanged = await this.#drainCustomers();
    for (;;) {
      const entries = await this.deps.repos.webhooks.peek('ticket', 100);
      if (entries.length === 0) return { fetched, archived, customersChanged };
      const deleted = entries.filter((e) => e.deleted).map((e) => e.objectId);
      const changed = entries.filter((e) => !e.deleted).map((e) => e.objectId);
      archived += await this.deps.repos.tickets.archive(deleted, this.deps.clock.now().getTime());
      if (changed.length > 0) {
        const result = await this.deps.sync.refetchTickets(changed);
        fetched += result.updated;
        archived += result.archived;
      }
      await this.deps.repos.webhooks.remove('ticket', entries);
      if (this.stopped) return { fetched, archived, customersChanged };
    }
  }

  /**
   * Companies and contacts named by webhooks: re-read when SLA rules match their properties (a tier change), and
   * dropped otherwise. Returns how many stored records changed.
   */
  async #drainCustomers(): Promise<number> {
    let changed = 0;
    for (const [objectType, type] of [
      ['company', 'companies'],
      ['contact', 'contacts'],
    ] as const) {
      for (;;) {
        const entries = await this.deps.repos.webhooks.peek(objectType, 100);
        if (entries.length === 0) break;
        changed += (
          await this.deps.sync.refetchCustomers(
            type,
            entries.map((e) => e.objectId),
          )
        ).changed;
        await this.deps.repos.webhooks.remove(objectType, entries);
        if (this.stopped) return changed;
      }
    }
    return changed;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }
}
