// GET /readyz: should this replica get traffic and be trusted to nudge? Only when the database answers, its
// schema is current, HubSpot data is fresh — a Heed whose sync has been failing for an hour would nudge
// about tickets that were answered long ago — and no dependency this process reported as failing (Slack
// unreachable or refusing the token, HubSpot paused on a rejected token, …: ./dependency-health.ts) is still
// failing. /healthz stays a plain liveness check (a restart does not fix a vendor outage, so that must not make
// the orchestrator kill the process).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Config } from '../config.ts';
import type { Db } from '../db/client.ts';
import { OpsRepo } from '../db/ops-repo.ts';
import { type Route, sendJson } from '../http/routes.ts';
import type { Logger } from '../logger.ts';
import type { CurrentProblem, DependencyHealth } from './dependency-health.ts';
import { withRequestId } from './request-id.ts';
import { withTimeout } from './timeout.ts';

export type ReadinessDeps = {
  db: Db;
  config: { policy: Pick<Config['policy'], 'operations'> };
  clock: () => Date;
  logger?: Logger;
  /** Each database check gives up after this long (a stopped PostgreSQL must not hang the probe). */
  timeoutMs?: number;
  /**
   * Whether fresh HubSpot data is a condition (default true). False when this Heed has no HubSpot sync at all
   * (no access token): no sync will ever succeed, and waiting for one would keep it out of service forever.
   */
  requireSync?: boolean;
  /** Dependencies this process saw failing; each current problem is a reason. */
  health?: Pick<DependencyHealth, 'problems'>;
};

/** A dependency's problem as /readyz shows it. */
export type DependencyReason = { name: string; code: string; message: string; since: string };

export type Readiness =
  | {
      status: 'ready';
      database: 'ok';
      migrations: 'current';
      sync: 'fresh' | 'off';
      lastSyncAt?: string;
      syncAgeMinutes?: number;
    }
  | {
      status: 'not_ready';
      reasons: string[];
      database: 'ok' | 'unreachable';
      migrations?: 'current' | 'pending' | 'unknown';
      pendingMigrations?: string[];
      lastSyncAt?: string;
      syncAgeMinutes?: number;
      /** The failing dependencies, with since when (present only when one is failing). */
      dependencies?: DependencyReason[];
    };

function dependencyReasons(problems: readonly CurrentProblem[]): {
  reasons: string[];
  dependencies: DependencyReason[];
} {
  return {
    reasons: problems.map((p) => `${p.name}: ${p.message} (${p.code}, since ${p.since.toISOString()})`),
    dependencies: problems.map((p) => ({
      name: p.name,
      code: p.code,
      message: p.message,
      since: p.since.toISOString(),
    })),
  };
}

const reasonOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

export async function checkReadiness(deps: ReadinessDeps): Promise<Readiness> {
  const timeoutMs = deps.timeoutMs ?? 2000;
  // In memory, so always known, also when the database is not.
  const failing = dependencyReasons(deps.health?.problems() ?? []);
  const withDependencies = failing.dependencies.length > 0 ? { dependencies: failing.dependencies } : {};
  try {
    await withTimeout(deps.db.ping(), timeoutMs, 'from the database');
  } catch (error) {
    // Nothing else can be checked without the database, and trying would only wait for more timeouts.
    return {
      status: 'not_ready',
      reasons: [`database unreachable: ${reasonOf(error)}`, ...failing.reasons],
      database: 'unreachable',
      ...withDependencies,
    };
  }
  const reasons: string[] = [];
  const result: Omit<Extract<Readiness, { status: 'not_ready' }>, 'status' | 'reasons'> = { database: 'ok' };
  const [pending, lastSync] = await Promise.allSettled([
    withTimeout(deps.db.pendingMigrations(), timeoutMs, 'listing applied migrations'),
    withTimeout(new OpsRepo(deps.db).lastSuccessfulSync(), timeoutMs, 'reading the last sync'),
  ]);
  if (pending.status === 'rejected') {
    result.migrations = 'unknown';
    reasons.push(`migrations could not be checked: ${reasonOf(pending.reason)}`);
  } else if (pending.value.length > 0) {
    result.migrations = 'pending';
    result.pendingMigrations = pending.value;
    reasons.push(`migrations pending: ${pending.value.join(', ')} (run \`heed migrate\`)`);
  } else {
    result.migrations = 'current';
  }
  const maxAge = deps.config.policy.operations.readyMaxSyncAgeMinutes;
  const requireSync = deps.requireSync ?? true;
  if (lastSync.status === 'rejected') {
    if (requireSync) reasons.push(`the last sync could not be read: ${reasonOf(lastSync.reason)}`);
  } else if (!lastSync.value?.finishedAt) {
    if (requireSync) reasons.push('no successful HubSpot sync yet');
  } else {
    const finishedAt = lastSync.value.finishedAt;
    const ageMinutes = Math.max(0, Math.floor((deps.clock().getTime() - finishedAt.getTime()) / 60_000));
    result.lastSyncAt = finishedAt.toISOString();
    result.syncAgeMinutes = ageMinutes;
    if (requireSync && ageMinutes > maxAge) {
      reasons.push(
        `the last successful HubSpot sync finished ${ageMinutes} minutes ago (operations.readyMaxSyncAgeMinutes is ${maxAge})`,
      );
    }
  }
  reasons.push(...failing.reasons);
  if (reasons.length === 0) {
    return {
      status: 'ready',
      database: 'ok',
      migrations: 'current',
      sync: requireSync ? 'fresh' : 'off',
      ...(result.lastSyncAt !== undefined ? { lastSyncAt: result.lastSyncAt } : {}),
      ...(result.syncAgeMinutes !== undefined ? { syncAgeMinutes: result.syncAgeMinutes } : {}),
    };
  }
  return { status: 'not_ready', reasons, ...result, ...withDependencies };
}

/** GET /readyz: 200 with the facts when ready, 503 with `reasons` otherwise. */
export function readinessRoute(deps: ReadinessDeps): Route {
  return {
    path: '/readyz',
    method: 'GET',
    handler: async (req: IncomingMessage, res: ServerResponse) => {
      const log = deps.logger ? withRequestId(deps.logger, req, res) : undefined;
      const readiness = await checkReadiness(deps);
      // Debug: orchestrators probe every few seconds, and the reasons are in the answer.
      if (readiness.status !== 'ready') log?.debug({ reasons: readiness.reasons }, 'readiness: not ready');
      res.setHeader('cache-control', 'no-store');
      sendJson(res, readiness.status === 'ready' ? 200 : 503, readiness);
    },
  };
}
