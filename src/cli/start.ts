import { loadConfig } from '../config.ts';
import { createLogger } from '../logger.ts';
import { type RunningHeed, startHeed } from '../main.ts';
import { installProcessGuard } from '../ops/process-guard.ts';
import { createRequestContext } from '../ops/request-context.ts';
import type { Command } from './commands.ts';

export const startCommand: Command = {
  name: 'start',
  summary: 'Run Heed: HTTP server (Slack, HubSpot webhooks, /healthz) and its schedules',
  description:
    'Needs SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET (or SLACK_APP_TOKEN for Socket Mode) and HUBSPOT_ACCESS_TOKEN; ' +
    '`heed demo` runs without any. Slack or HubSpot being down does not stop it: /readyz says which, and the work ' +
    'starts as soon as they answer.',
  options: { port: { type: 'string', help: 'port to listen on (overrides PORT)' } },
  run: async ({ values }) => {
    const config = loadConfig();
    // Every line logged while an HTTP request is handled carries the request's id.
    const requestContext = createRequestContext();
    const logger = createLogger({ level: config.env.LOG_LEVEL, mixin: requestContext.mixin });
    // Installed before anything starts: a rejection nobody handles, at boot or later, is logged and survived.
    let heed: RunningHeed | undefined;
    const removeGuard = installProcessGuard({
      logger: logger.child({ component: 'process' }),
      exit: (code) => process.exit(code),
      onError: (kind) => heed?.countProcessError(kind),
    });
    const port = typeof values.port === 'string' ? Number(values.port) : undefined;
    try {
      heed = await startHeed({ config, logger, requestContext, ...(port !== undefined ? { port } : {}) });
      // Graceful shutdown: finish what is running, close the database, exit 0.
      await new Promise<void>((resolveSignal) => {
        const onSignal = (signal: NodeJS.Signals) => {
          logger.info({ signal }, 'shutdown requested');
          resolveSignal();
        };
        process.once('SIGTERM', onSignal);
        process.once('SIGINT', onSignal);
      });
      await heed.stop();
    } finally {
      removeGuard();
    }
    return 0;
  },
};
