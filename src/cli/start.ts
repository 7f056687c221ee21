import { loadConfig } from '../config.ts';
import { createLogger } from '../logger.ts';
import { startHeed } from '../main.ts';
import { createRequestContext } from '../ops/request-context.ts';
import type { Command } from './commands.ts';

export const startCommand: Command = {
  name: 'start',
  summary: 'Run Heed: HTTP server (Slack, HubSpot webhooks, /healthz) and its schedules',
  options: { port: { type: 'string', help: 'port to listen on (overrides PORT)' } },
  run: async ({ values }) => {
    const config = loadConfig();
    // Every line logged while an HTTP request is handled carries the request's id.
    const requestContext = createRequestContext();
    const logger = createLogger({ level: config.env.LOG_LEVEL, mixin: requestContext.mixin });
    const port = typeof values.port === 'string' ? Number(values.port) : undefined;
    const heed = await startHeed({ config, logger, requestContext, ...(port !== undefined ? { port } : {}) });
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
    return 0;
  },
};
