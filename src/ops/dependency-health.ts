// What Heed depends on outside its process (Slack, HubSpot, the outbox's Slack writes, …) and whether each one
// works right now, as seen from this process. Whoever talks to a dependency reports what it saw: a problem (a code
// and a message a person can act on), or `undefined` once the dependency works again. /readyz turns every current
// problem into a readiness reason; /metrics exports `heed_dependency_up{name}`. In-process and per replica on
// purpose: a replica that cannot reach Slack should say so even when its neighbours can.
//
// Created by the composition root and passed to whoever reports (no module singleton). A reporter only needs
// `report`, so it can depend on the narrow `HealthReporter` type.
import { censorSecrets, type Logger } from '../logger.ts';

export type DependencyProblem = { code: string; message: string };

/** Everything a reporter needs. */
export interface HealthReporter {
  report(name: string, problem: DependencyProblem | undefined): void;
}

export type CurrentProblem = { name: string; code: string; message: string; since: Date };

export type DependencyStatus = {
  name: string;
  up: boolean;
  /** When the dependency last changed between up and down (or was first reported). */
  since: Date;
  problem?: DependencyProblem;
};

export interface DependencyHealth extends HealthReporter {
  /** The current problems, in the order the dependencies were first reported. */
  problems(): CurrentProblem[];
  /** Every dependency reported so far, up or down (for the metric). */
  statuses(): DependencyStatus[];
}

/** A message can end up in /readyz, which load balancers and people read: no secrets, no megabytes. */
const MAX_MESSAGE = 500;

export function createDependencyHealth(
  clock: () => Date,
  options: {
    /**
     * Logs each change once: a warning when a dependency starts failing (or fails differently), an info line when
     * it answers again. Repeated reports of the same problem log nothing, so a retry loop cannot flood the log.
     */
    logger?: Logger;
  } = {},
): DependencyHealth {
  const entries = new Map<string, { up: boolean; since: Date; problem?: DependencyProblem }>();
  return {
    report(name, problem) {
      const previous = entries.get(name);
      const now = clock();
      if (!problem) {
        if (previous?.up) return;
        entries.set(name, { up: true, since: now });
        if (previous && !previous.up) {
          const downSeconds = Math.round((now.getTime() - previous.since.getTime()) / 1000);
          options.logger?.info({ dependency: name, downSeconds }, `${name}: answers again`);
        }
        return;
      }
      const clean = {
        code: censorSecrets(problem.code).slice(0, 100),
        message: censorSecrets(problem.message).slice(0, MAX_MESSAGE),
      };
      if (previous && !previous.up) {
        // Same outage: keep when it started; a new code (unreachable → invalid_auth) is worth one more line.
        const changed = previous.problem?.code !== clean.code;
        entries.set(name, { up: false, since: previous.since, problem: clean });
        if (changed) {
          options.logger?.warn({ dependency: name, code: clean.code }, `${name}: ${clean.message}`);
        }
        return;
      }
      entries.set(name, { up: false, since: now, problem: clean });
      options.logger?.warn({ dependency: name, code: clean.code }, `${name}: ${clean.message}`);
    },
    problems() {
      return [...entries].flatMap(([name, entry]) =>
        !entry.up && entry.problem ? [{ name, ...entry.problem, since: entry.since }] : [],
      );
    },
    statuses() {
      return [...entries].map(([name, entry]) => ({
        name,
        up: entry.up,
        since: entry.since,
        ...(entry.problem && !entry.up ? { problem: entry.problem } : {}),
      }));
    },
  };
}
