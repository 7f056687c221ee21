// Whether this process's event loop has been busy lately: the share of the last window it spent running code
// rather than waiting for I/O (Node's event-loop utilization), sampled on a timer that never keeps the process
// alive. Near 1, every request waits behind other work for its turn; the Slack edge then acknowledges slash
// commands first and answers them after (src/slack/app.ts).
import { performance } from 'node:perf_hooks';

export type LoopPressure = { busy(): boolean; utilization(): number; stop(): void };

export function createLoopPressure(options: { windowMs?: number; threshold?: number } = {}): LoopPressure {
  const threshold = options.threshold ?? 0.9;
  let last = performance.eventLoopUtilization();
  let utilization = 0;
  const timer = setInterval(() => {
    const now = performance.eventLoopUtilization();
    utilization = performance.eventLoopUtilization(now, last).utilization;
    last = now;
  }, options.windowMs ?? 250);
  timer.unref();
  return {
    busy: () => utilization >= threshold,
    utilization: () => utilization,
    stop: () => clearInterval(timer),
  };
}
