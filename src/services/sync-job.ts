// The scheduled sync (HeedJobHandlers.sync, which `heed start` runs): one SyncService pass, unless HubSpot's daily
// API limit is used up. The pass that meets the limit fails (its job run and SyncRun say so) and leaves when the
// limit resets (HubspotError.resetAt: the portal's next midnight); the passes before then are skipped without a
// request — each would only meet another 429 — and the first one after it resumes from the stored cursor.
import { HubspotError } from '../hubspot/client.ts';
import type { Logger } from '../logger.ts';
import type { SyncStats } from './sync.ts';

/** What a sync run knows (the scheduler's JobContext satisfies it). */
export interface SyncJobContext {
  readonly now: Date;
  readonly logger: Pick<Logger, 'info'>;
}

export function syncJob(deps: {
  /** One pass (SyncService.run). */
  run: () => Promise<SyncStats>;
  /** What a finished pass synced (metrics). */
  onStats?: (stats: SyncStats) => void;
}): (ctx: SyncJobContext) => Promise<void> {
  let resetsAt: Date | undefined;
  return async (ctx) => {
    if (resetsAt && ctx.now < resetsAt) {
      ctx.logger.info({ resetsAt: resetsAt.toISOString() }, 'sync skipped: HubSpot daily limit used up');
      return;
    }
    try {
      const stats = await deps.run();
      resetsAt = undefined;
      deps.onStats?.(stats);
    } catch (error) {
      // Everything synced so far is saved; the next pass after the reset resumes from the stored cursor.
      if (error instanceof HubspotError && error.code === 'HUBSPOT_DAILY_LIMIT') resetsAt = error.resetAt;
      throw error;
    }
  };
}
