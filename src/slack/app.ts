// Builds Heed's Bolt app: HTTP mode (commands, events and interactivity on /slack/events, plus the
// custom routes such as /healthz and /hubspot/webhooks on the same port), or Socket Mode when an
// app-level token is configured. Listeners are registered in listeners/register.ts.

import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App, type Logger as BoltLogger, type CustomRoute, HTTPReceiver, LogLevel, webApi } from '@slack/bolt';
import type { TEnv } from '../config.ts';
import { AppError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { registerListeners } from './listeners/register.ts';
import type { SlackServices } from './listeners/services.ts';

export interface SlackAppOptions {
  env: Pick<TEnv, 'SLACK_BOT_TOKEN' | 'SLACK_SIGNING_SECRET' | 'SLACK_APP_TOKEN' | 'SLACK_API_URL' | 'PORT'>;
  services: SlackServices;
  logger: Logger;
  customRoutes?: CustomRoute[];
  /** Given, Bolt skips its auth.test at start-up (tests, demo). */
  botId?: string;
  botUserId?: string;
  /** Tests: answer HTTP only after listeners ran. Not for production (Slack's 3 s budget). */
  processBeforeResponse?: boolean;
  /** Extra WebClient options (tests pass a fetch). Retries stay off: the outbox retries. */
  clientOptions?: Omit<webApi.WebClientOptions, 'slackApiUrl'>;
  /** Runs each incoming Slack request's listeners under an id every log line carries (src/ops/request-context.ts). */
  requestContext?: { run<T>(requestId: string, fn: () => T): T };
}

export interface SlackApp {
  app: App;
  client: webApi.WebClient;
  start(port?: number): Promise<{ port: number | undefined }>;
  stop(): Promise<void>;
}

/** Bolt's logger interface over pino. */
export function boltLogger(logger: Logger): BoltLogger {
  const child = logger.child({ component: 'bolt' });
  const text = (msg: unknown[]) =>
    msg.map((m) => (typeof m === 'string' ? m : m instanceof Error ? m.message : JSON.stringify(m))).join(' ');
  let level = LogLevel.INFO;
  // Format only what will be written: Bolt logs several debug lines per request.
  const at =
    (method: 'debug' | 'info' | 'warn' | 'error') =>
    (...msg: unknown[]) => {
      if (child.isLevelEnabled(method)) child[method](text(msg));
    };
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    setLevel: (l) => {
      level = l;
    },
    getLevel: () => level,
    setName: () => undefined,
  };
}

/** A Web API client for the outbox and user lookups: rate limits surface as errors, never silent waits. */
export function createSlackWebClient(
  env: Pick<TEnv, 'SLACK_BOT_TOKEN' | 'SLACK_API_URL'>,
  logger: Logger,
  extra: Omit<webApi.WebClientOptions, 'slackApiUrl'> = {},
): webApi.WebClient {
  return new webApi.WebClient(env.SLACK_BOT_TOKEN, {
    slackApiUrl: env.SLACK_API_URL,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    logger: boltLogger(logger),
    ...extra,
  });
}

export function createSlackApp(options: SlackAppOptions): SlackApp {
  const { env, logger } = options;
  if (!env.SLACK_BOT_TOKEN) {
    throw new AppError('ENV_MISSING', 'SLACK_BOT_TOKEN is not set; Heed needs it to talk to Slack.', {
      fix: 'copy the Bot User OAuth Token (xoxb-…) from your Slack app’s "OAuth & Permissions" page',
    });
  }
  const socketMode = Boolean(env.SLACK_APP_TOKEN);
  if (!socketMode && !env.SLACK_SIGNING_SECRET) {
    throw new AppError(
      'ENV_MISSING',
      'SLACK_SIGNING_SECRET is not set; HTTP mode needs it to verify Slack’s requests.',
      {
        fix: 'copy the Signing Secret from your Slack app’s "Basic Information" page, or set SLACK_APP_TOKEN for Socket Mode',
      },
    );
  }
  const clientOptions: webApi.WebClientOptions = {
    slackApiUrl: env.SLACK_API_URL,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    ...options.clientOptions,
  };
  const common = {
    token: env.SLACK_BOT_TOKEN,
    logger: boltLogger(logger),
    clientOptions,
    ...(options.botId ? { botId: options.botId } : {}),
    ...(options.botUserId ? { botUserId: options.botUserId } : {}),
    extendedErrorHandler: true,
  };
  const customRoutes = options.customRoutes ?? [];
  const app = socketMode
    ? new App({
        ...common,
        customRoutes,
        socketMode: true,
        appToken: env.SLACK_APP_TOKEN,
        installerOptions: { port: env.PORT },
      })
    : new App({
        ...common,
        receiver: rejectingFutureRequests(
          new HTTPReceiver({
            signingSecret: env.SLACK_SIGNING_SECRET!,
            port: env.PORT,
            processBeforeResponse: options.processBeforeResponse ?? false,
            customRoutes,
            logger: common.logger,
          }),
          logger,
        ),
      });
  const requestContext = options.requestContext;
  if (requestContext) {
    // Slack's own id for the delivery where it gives one (events), else the interaction's trigger id.
    app.use(async ({ body, next }) => {
      const b = body as { event_id?: unknown; trigger_id?: unknown };
      const id =
        typeof b.event_id === 'string' ? b.event_id : typeof b.trigger_id === 'string' ? b.trigger_id : randomUUID();
      await requestContext.run(id, () => next());
    });
  }
  app.error(async (args) => {
    // extendedErrorHandler: Bolt passes { error, logger, context, body }.
    const { error, body } = args as unknown as { error: Error; body?: { type?: string } };
    logger.error({ err: error, type: body?.type }, 'slack: unhandled listener error');
  });
  registerListeners(app, options.services);
  let started = false;
  return {
    app,
    client: app.client,
    async start(port?: number) {
      const server = (await app.start(port ?? env.PORT)) as unknown;
      started = true;
      const address =
        server && typeof (server as Server).address === 'function'
          ? ((server as Server).address() as AddressInfo | null)
          : null;
      return { port: address?.port };
    },
    async stop() {
      if (started) await app.stop();
      started = false;
    },
  };
}

/** How far a Slack request's timestamp may be from now, either way (Slack's guidance: five minutes). */
const MAX_REQUEST_SKEW_SECONDS = 300;

/**
 * Bolt rejects Slack requests timestamped more than five minutes ago but accepts any later timestamp, so a
 * correctly signed request dated in the future could be replayed until then. Requests carrying a Slack
 * timestamp more than five minutes ahead are refused before Bolt sees them (401, as for a bad signature).
 */
function rejectingFutureRequests(receiver: HTTPReceiver, logger: Logger): HTTPReceiver {
  const handle = receiver.requestListener;
  receiver.requestListener = (req, res) => {
    const header = req.headers['x-slack-request-timestamp'];
    const timestamp = Number(Array.isArray(header) ? header[0] : header);
    if (
      header !== undefined &&
      Number.isFinite(timestamp) &&
      timestamp - Date.now() / 1000 > MAX_REQUEST_SKEW_SECONDS
    ) {
      logger.warn({ path: req.url }, 'slack: refused a request timestamped more than five minutes ahead');
      res.writeHead(401).end();
      return;
    }
    handle(req, res);
  };
  return receiver;
}
