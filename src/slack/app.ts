// Builds Heed's Bolt app: HTTP mode (commands, events and interactivity on /slack/events) or Socket Mode when an
// app-level token is configured. Bolt does transport only: Heed's own HTTP server (src/http/server.ts) dispatches
// every route, `/slack/events` included, under one error boundary, and this module hands Bolt only requests it can
// survive (a body read in full within its limit, a payload that is an object). Listeners are registered in
// listeners/register.ts.
//
// Bolt is never left to call `auth.test` by itself: given a token, it calls it in its constructor and keeps the
// promise for the first event, so a Slack outage at start-up became an unhandled rejection that stopped the
// process. Heed calls it in `connect()`, which the composition root retries with backoff while Slack is down;
// until it answers, events are still processed with the token alone.

import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseQueryString } from 'node:querystring';
import {
  App,
  type Logger as BoltLogger,
  type CustomRoute,
  HTTPReceiver,
  isValidSlackRequest,
  LogLevel,
  webApi,
} from '@slack/bolt';
import type { TEnv } from '../config.ts';
import { AppError } from '../errors.ts';
import { type BodyBudget, createBodyBudget, readBody, SLACK_MAX_BODY_BYTES } from '../http/body.ts';
import { createLoopPressure, type LoopPressure } from '../http/loop-pressure.ts';
import type { Route } from '../http/routes.ts';
import { type EdgeEvents, startHttpServer } from '../http/server.ts';
import type { Logger } from '../logger.ts';
import { registerListeners } from './listeners/register.ts';
import type { SlackServices } from './listeners/services.ts';
import type { RenderedMessage } from './render/blocks.ts';
import { md, safe } from './render/mrkdwn.ts';
import { renderNotice } from './render/replies.ts';

export interface SlackAppOptions {
  env: Pick<TEnv, 'SLACK_BOT_TOKEN' | 'SLACK_SIGNING_SECRET' | 'SLACK_APP_TOKEN' | 'SLACK_API_URL' | 'PORT'>;
  services: SlackServices;
  logger: Logger;
  /** Routes served beside `/slack/events` by `start()` (tests; `heed start` builds its own server). */
  customRoutes?: CustomRoute[];
  /** Given (tests, demo, bench), `connect()` needs no auth.test. */
  botId?: string;
  botUserId?: string;
  /** Tests: answer HTTP only after listeners ran. Not for production (Slack's 3 s budget). */
  processBeforeResponse?: boolean;
  /** Extra WebClient options (tests pass a fetch). Retries stay off: the outbox retries. */
  clientOptions?: Omit<webApi.WebClientOptions, 'slackApiUrl'>;
  /** Runs each incoming Slack request's listeners under an id every log line carries (src/ops/request-context.ts). */
  requestContext?: { run<T>(requestId: string, fn: () => T): T };
  /** Bytes of request bodies held at once across requests (defaults to a budget of its own). */
  bodyBudget?: BodyBudget;
  /** Counts refused requests. */
  events?: EdgeEvents;
  /**
   * A slash command not answered within this long is acknowledged empty, and its answer, when the listener has it,
   * goes to the command's response_url instead (Slack shows "operation_timeout" after 3 s). Default 2,500 ms.
   */
  commandAckDeadlineMs?: number;
  /**
   * Overrides when slash commands are acknowledged first and answered through their response_url (default: 32 or
   * more connections open, as many of them opened within the last second or the event loop busy ≥ 90 % of the
   * last 250 ms: a burst is queueing). Besides it, a command is acknowledged first while others wait for their
   * answer or COMMANDS_INLINE_AT_ONCE are being answered in their ack. Never with `processBeforeResponse` (tests).
   */
  loopPressure?: Pick<LoopPressure, 'busy'>;
  /**
   * Commands acknowledged first that may wait for their answer at once (default COMMANDS_WAITING_LIMIT); past it,
   * a command's ack says Heed is busy and to run it again, and the command is not run.
   */
  commandsWaitingLimit?: number;
}

/** Who Heed is in the workspace, from auth.test (or given). */
export type SlackIdentity = { botId: string | undefined; botUserId: string | undefined; team?: string | undefined };

export interface SlackApp {
  app: App;
  /** A Web API client with the bot token (auth.test; the outbox has its own client). */
  client: webApi.WebClient;
  /** HTTP mode: POST /slack/events for Heed's server. Undefined in Socket Mode. */
  eventsRoute: Route | undefined;
  /**
   * Checks the token with auth.test (unless the identity was given) and, in Socket Mode, opens the connection.
   * Throws what Slack or the network said; the caller retries with backoff.
   */
  connect(): Promise<SlackIdentity>;
  /** The identity auth.test returned, once it has. */
  identity(): SlackIdentity | undefined;
  /** Serves `/slack/events` (HTTP mode) and the custom routes on `port`, under Heed's server (tests, bench). */
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
  const log = boltLogger(logger);
  const botToken = env.SLACK_BOT_TOKEN;
  let identity: SlackIdentity | undefined =
    options.botId && options.botUserId ? { botId: options.botId, botUserId: options.botUserId } : undefined;
  // Bolt's own copy of the options: it sets its logger on the object it is given.
  const common = {
    logger: log,
    clientOptions: { ...clientOptions },
    // Heed's identity as far as known: Bolt's `ignoreSelf` uses it to drop events Heed caused itself.
    authorize: async () => ({
      botToken,
      ...(identity?.botId ? { botId: identity.botId } : {}),
      ...(identity?.botUserId ? { botUserId: identity.botUserId } : {}),
    }),
    extendedErrorHandler: true,
  };
  const customRoutes = options.customRoutes ?? [];
  let receiver: HTTPReceiver | undefined;
  let app: App;
  if (socketMode) {
    app = new App({ ...common, socketMode: true, appToken: env.SLACK_APP_TOKEN });
  } else {
    receiver = new HTTPReceiver({
      signingSecret: env.SLACK_SIGNING_SECRET!,
      processBeforeResponse: options.processBeforeResponse ?? false,
      logger: log,
      bodyLimit: SLACK_MAX_BODY_BYTES,
      // A command Heed already acknowledged at its deadline (below) is not "unacknowledged": its answer is on the way.
      unhandledRequestHandler: ({ response }) => {
        if (response.headersSent) return;
        logger.error('slack: a request was not acknowledged within 3 seconds (answered 404)');
        response.writeHead(404).end();
      },
    });
    app = new App({ ...common, receiver });
  }
  const authClient = new webApi.WebClient(botToken, { ...clientOptions, logger: log });
  const ownPressure =
    receiver && !options.loopPressure && !options.processBeforeResponse ? createLoopPressure() : undefined;
  const connections = createConnectionCounter();
  const pressure = options.processBeforeResponse
    ? undefined
    : (options.loopPressure ??
      (ownPressure && {
        // Many connections open at once, most of them new, is the first sign of a queue: their requests are not
        // read yet (a load balancer's idle keep-alive pool is many open but not new ones). Or a loop busy for a
        // while with many open.
        busy: () =>
          connections.open >= QUEUEING_CONNECTIONS &&
          (connections.openedWithin(1000) >= QUEUEING_CONNECTIONS || ownPressure.busy()),
      }));
  const eventsRoute = receiver
    ? slackEventsRoute({
        receiver,
        signingSecret: env.SLACK_SIGNING_SECRET!,
        logger,
        budget: options.bodyBudget ?? createBodyBudget(),
        ackDeadlineMs: options.commandAckDeadlineMs ?? COMMAND_ACK_DEADLINE_MS,
        ...(pressure
          ? {
              pressure,
              waiting: createAnswerQueue({
                limit: options.commandsWaitingLimit ?? COMMANDS_WAITING_LIMIT,
                logger,
                arrivals: () => connections.total,
              }),
            }
          : {}),
        connections,
        fetch:
          (options.clientOptions?.fetch as typeof fetch | undefined) ??
          ((input, init) => globalThis.fetch(input, init)),
        ...(options.events ? { events: options.events } : {}),
      })
    : undefined;
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
  let socketStarted = false;
  let server: Awaited<ReturnType<typeof startHttpServer>> | undefined;
  return {
    app,
    client: authClient,
    eventsRoute,
    identity: () => identity,
    async connect() {
      if (!identity) {
        const result = await authClient.auth.test();
        identity = { botId: result.bot_id, botUserId: result.user_id, team: result.team };
      }
      if (socketMode && !socketStarted) {
        // The Socket Mode client retries what it considers recoverable by itself; what it gives up on comes back
        // here, and the caller tries again later.
        await app.start();
        socketStarted = true;
      }
      return identity;
    },
    async start(port?: number) {
      const routes: Route[] = [...customRoutes, ...(eventsRoute ? [eventsRoute] : [])];
      server = await startHttpServer({
        routes,
        port: port ?? env.PORT,
        logger,
        ...(options.events ? { events: options.events } : {}),
      });
      return { port: server.port };
    },
    async stop() {
      ownPressure?.stop();
      await server?.close();
      server = undefined;
      if (socketStarted) await app.stop();
      socketStarted = false;
    },
  };
}

/** How far a Slack request's timestamp may be from now, either way (Slack's guidance: five minutes). */
const MAX_REQUEST_SKEW_SECONDS = 300;

/** Slack gives up on a slash command after 3 s; this leaves time for the answer to travel. */
export const COMMAND_ACK_DEADLINE_MS = 2500;

/**
 * Commands answered in their ack at once (each is a query and a render, ~8 ms of CPU): one more is acknowledged
 * first, as the ones behind it would otherwise wait for all of them.
 */
export const COMMANDS_INLINE_AT_ONCE = 4;

/**
 * Commands acknowledged first waiting for their answer, at most. Each holds its request (a few kB) until its turn;
 * answered one at a time at ~8 ms each, the last of 1,000 waits ~10 s (Slack accepts a response_url for 30 minutes).
 */
export const COMMANDS_WAITING_LIMIT = 1000;

/**
 * A command whose listener has not answered within this long frees its turn for the next (its answer still goes
 * when it comes): a listener that never answers must not hold the queue. Bolt gives up on it after 3 s as well.
 */
const ANSWER_TURN_MS = 3000;

/**
 * Commands acknowledged first, answered one at a time in arrival order with a turn of the event loop between
 * them: the loop accepts and acknowledges the requests still arriving before computing the next answer, and the
 * answers never pile up in memory or compete with each other for the CPU.
 */
export type AnswerQueue = {
  /** Commands acknowledged first whose answer is not written yet (waiting or being answered). */
  readonly size: number;
  readonly full: boolean;
  /** Runs `job` in its turn; it calls `done` once its answer is written (or ANSWER_TURN_MS passes). */
  push(job: (done: () => void) => void): void;
};

/**
 * While connections keep arriving, the next answer waits (up to this long since the last one started): a turn of
 * the loop that computes an answer (~8 ms) accepts no more connections than one that does not, so during a burst
 * the acks go first and the answers follow.
 */
const ANSWERS_YIELD_MS = 250;

export function createAnswerQueue(o: {
  limit: number;
  logger: Logger;
  turnMs?: number;
  /** Connections accepted so far: a change since the last look means requests are still arriving. */
  arrivals?: () => number;
}): AnswerQueue {
  const waiting: ((done: () => void) => void)[] = [];
  let running = false;
  let seen = o.arrivals?.() ?? 0;
  let lastStarted = 0;
  const runNext = () => {
    if (waiting.length === 0) {
      running = false;
      return;
    }
    const arrived = o.arrivals?.() ?? 0;
    if (arrived !== seen && performance.now() - lastStarted < ANSWERS_YIELD_MS) {
      seen = arrived;
      setTimeout(runNext, 1);
      return;
    }
    seen = arrived;
    lastStarted = performance.now();
    const job = waiting.shift()!;
    let finished = false;
    const done = () => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      setImmediate(runNext);
    };
    const timer = setTimeout(done, o.turnMs ?? ANSWER_TURN_MS);
    try {
      job(done);
    } catch (error) {
      // Outside any request's boundary now: this turn is its own.
      o.logger.error({ err: error }, 'slack: a command acknowledged first failed');
      done();
    }
  };
  return {
    get size() {
      return waiting.length + (running ? 1 : 0);
    },
    get full() {
      return waiting.length >= o.limit;
    },
    push(job) {
      waiting.push(job);
      if (!running) {
        running = true;
        setImmediate(runNext);
      }
    },
  };
}

/** The ack of a command Heed had no room to queue: nothing was run, and the person is told to try again. */
export function busyAnswer(command: string): RenderedMessage {
  return renderNotice(
    md`:hourglass_flowing_sand: Heed is answering a lot of commands at once and could not take your \`${safe(command, 40)}\` — nothing was done. Please run it again in a minute.`,
  );
}

/**
 * Connections open at once (and as many opened within the last second, or a busy loop) that count as a queue of
 * requests. Well above what one client keeps open (Slack delivers one request per connection; tools send a
 * dozen at a time) and far below a burst.
 */
const QUEUEING_CONNECTIONS = 32;

type ConnectionCounter = {
  opened(socket: { once(event: 'close', listener: () => void): unknown }): void;
  readonly open: number;
  /** Connections opened since the start. */
  readonly total: number;
  /** Connections opened in the last `ms`. */
  openedWithin(ms: number): number;
};

function createConnectionCounter(): ConnectionCounter {
  let open = 0;
  let total = 0;
  // Times of the last connections opened, newest last; only the last QUEUEING_CONNECTIONS matter.
  const recent: number[] = [];
  return {
    opened(socket) {
      open++;
      total++;
      socket.once('close', () => {
        open--;
      });
      recent.push(performance.now());
      if (recent.length > QUEUEING_CONNECTIONS) recent.shift();
    },
    get open() {
      return open;
    },
    get total() {
      return total;
    },
    openedWithin(ms) {
      const since = performance.now() - ms;
      return recent.filter((t) => t >= since).length;
    },
  };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * What Bolt's receiver will parse the body into, by Bolt's own rules (a form body's `payload` field is JSON;
 * any other form body is its fields; anything else is JSON): 'object', 'not_an_object' (JSON `null`, a number, a
 * string, an array — on which Bolt's receiver throws outside any handler), 'malformed' (an object whose fields Bolt
 * reads have types Slack never sends: Bolt's dispatch throws on them), or 'unparsable' (Bolt answers that).
 */
export function slackPayloadShape(
  contentType: string | undefined,
  body: Buffer,
): 'object' | 'not_an_object' | 'malformed' | 'unparsable' {
  let parsed: unknown;
  try {
    const text = body.toString();
    if (contentType === 'application/x-www-form-urlencoded') {
      const fields = parseQueryString(text);
      parsed = typeof fields['payload'] === 'string' ? JSON.parse(fields['payload']) : fields;
    } else {
      parsed = JSON.parse(text);
    }
  } catch {
    return 'unparsable';
  }
  if (!isPlainObject(parsed)) return 'not_an_object';
  return malformedField(parsed) ? 'malformed' : 'object';
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * The fields Bolt and Heed's listeners read without checking, when present with a type Slack never sends: an
 * event that is not an object, actions that are not a list of objects, a user or view that is not an object, a
 * command or its text that is not a string. Absent fields are left to Bolt (it answers what it does not route).
 */
function malformedField(payload: Record<string, unknown>): string | undefined {
  const objectFields = ['event', 'user', 'view', 'team', 'channel', 'container', 'message'] as const;
  for (const field of objectFields) {
    // `team`, `channel` and `user` are ids (strings) in events and commands, objects in interactions.
    if (field in payload && payload[field] !== undefined && !isPlainObject(payload[field])) {
      if (typeof payload[field] === 'string' && (field === 'team' || field === 'channel' || field === 'user')) continue;
      return field;
    }
  }
  if ('actions' in payload && !(Array.isArray(payload['actions']) && payload['actions'].every(isPlainObject))) {
    return 'actions';
  }
  for (const field of ['command', 'text', 'type'] as const) {
    if (field in payload && typeof payload[field] !== 'string') return field;
  }
  return undefined;
}

function send(res: ServerResponse, status: number, body?: unknown): void {
  if (body === undefined) {
    res.writeHead(status).end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
}

/**
 * POST /slack/events for Heed's server, in front of Bolt's HTTPReceiver (which keeps the signature check and the
 * dispatch to listeners). Refused here, before Bolt sees them:
 * - a timestamp more than five minutes ahead (Bolt accepts any later timestamp, so a correctly signed request dated
 *   in the future could be replayed until then): 401, as for a bad signature;
 * - a body over SLACK_MAX_BODY_BYTES: 413; more bodies at once than the budget holds: 503; a body cut off by the
 *   client: dropped (nobody is left to answer);
 * - a correctly signed payload that is not an object, or whose fields have types Slack never sends: 400 (unsigned:
 *   401, so nothing is revealed to a forger).
 * The body is read once: Bolt takes it from `req.rawBody` instead of reading the stream again.
 */
function slackEventsRoute(deps: {
  receiver: HTTPReceiver;
  signingSecret: string;
  logger: Logger;
  budget: BodyBudget;
  ackDeadlineMs: number;
  fetch: typeof fetch;
  pressure?: Pick<LoopPressure, 'busy'>;
  /** Commands acknowledged first, waiting for their answer (with `pressure`). */
  waiting?: AnswerQueue;
  /** Connections to the server this route is served by (counted here). */
  connections: ConnectionCounter;
  events?: EdgeEvents;
}): Route {
  const { receiver, logger } = deps;
  // Commands being answered in their ack right now.
  let inline = 0;
  return {
    path: '/slack/events',
    method: 'POST',
    maxBodyBytes: SLACK_MAX_BODY_BYTES,
    // Requests that arrived but wait their turn are invisible to a handler; their connections are not.
    observe: (server) => {
      server.on('connection', (socket) => deps.connections.opened(socket));
    },
    handler: async (req, res) => {
      const timestampHeader = header(req, 'x-slack-request-timestamp');
      const timestamp = Number(timestampHeader);
      if (
        timestampHeader !== undefined &&
        Number.isFinite(timestamp) &&
        timestamp - Date.now() / 1000 > MAX_REQUEST_SKEW_SECONDS
      ) {
        logger.warn({ path: req.url }, 'slack: refused a request timestamped more than five minutes ahead');
        res.setHeader('connection', 'close');
        send(res, 401);
        return;
      }
      const body = await readBody(req, { limit: SLACK_MAX_BODY_BYTES, budget: deps.budget, holdUntil: res });
      if (body.kind === 'aborted') {
        deps.events?.refused('aborted');
        logger.info({ reason: body.reason }, 'slack: request abandoned by the client before its body arrived');
        return;
      }
      if (body.kind === 'too_large' || body.kind === 'busy') {
        deps.events?.refused(body.kind);
        logger.warn(
          { limit: SLACK_MAX_BODY_BYTES },
          body.kind === 'busy'
            ? 'slack: too many request bodies in memory at once; answered 503 (Slack retries events)'
            : 'slack: refused a request body over the limit (413)',
        );
        res.setHeader('connection', 'close');
        if (body.kind === 'busy') res.setHeader('retry-after', '1');
        send(res, body.kind === 'busy' ? 503 : 413);
        return;
      }
      const contentType = header(req, 'content-type');
      const shape = slackPayloadShape(contentType, body.bytes);
      if (shape === 'not_an_object' || shape === 'malformed') {
        const signed = isValidSlackRequest({
          signingSecret: deps.signingSecret,
          body: body.bytes.toString(),
          headers: {
            'x-slack-signature': header(req, 'x-slack-signature') ?? '',
            'x-slack-request-timestamp': Number(header(req, 'x-slack-request-timestamp')),
          },
        });
        if (!signed) {
          logger.warn('slack: refused a request with an invalid signature');
          send(res, 401);
          return;
        }
        deps.events?.refused(shape);
        logger.warn(
          { contentType },
          shape === 'malformed'
            ? 'slack: refused a signed payload with fields of types Slack never sends (400)'
            : 'slack: refused a signed payload that is not an object (400)',
        );
        send(
          res,
          400,
          shape === 'malformed'
            ? { error: 'invalid_payload', message: 'a field of the payload has a type Slack never sends' }
            : { error: 'invalid_payload', message: 'the payload must be a JSON object' },
        );
        return;
      }
      (req as IncomingMessage & { rawBody?: Buffer }).rawBody = body.bytes;
      const command = contentType === 'application/x-www-form-urlencoded' ? slashCommandOf(body.bytes) : undefined;
      if (command) {
        const signed = () =>
          isValidSlackRequest({
            signingSecret: deps.signingSecret,
            body: body.bytes.toString(),
            headers: {
              'x-slack-signature': header(req, 'x-slack-signature') ?? '',
              'x-slack-request-timestamp': Number(header(req, 'x-slack-request-timestamp')),
            },
          });
        const late = { ...command, signed, fetch: deps.fetch, logger };
        const waiting = deps.waiting;
        // Under load, requests wait behind each other before anyone reads them: acknowledge now, and answer one
        // command at a time, so the loop keeps reading (and acknowledging) the waiting ones. Load is a burst of
        // connections or a busy loop, commands already waiting for their answer (this one goes behind them), or
        // several being answered in their acks already.
        const ackFirst =
          waiting !== undefined &&
          (waiting.size > 0 || inline >= COMMANDS_INLINE_AT_ONCE || deps.pressure?.busy() === true);
        if (waiting && ackFirst && signed()) {
          if (waiting.full) {
            deps.events?.refused('busy');
            logger.warn(
              { command: command.command, waiting: waiting.size },
              'slack: too many commands waiting for their answer; this one was acknowledged with "busy, try again"',
            );
            send(res, 200, { response_type: 'ephemeral', ...busyAnswer(command.command) });
            return;
          }
          let answered: (() => void) | undefined;
          acknowledgeNow(
            res,
            { ...late, answered: () => answered?.() },
            'slack: busy, command acknowledged first; its answer goes to the response_url',
          );
          waiting.push((done) => {
            answered = done;
            receiver.requestListener(req, res);
          });
          return;
        }
        inline++;
        let counted = true;
        const settle = () => {
          if (counted) inline--;
          counted = false;
        };
        res.once('finish', settle);
        res.once('close', settle);
        answerByDeadline(res, { ...late, deadlineMs: deps.ackDeadlineMs });
      }
      receiver.requestListener(req, res);
    },
  };
}

/** A slash command's name and response_url, from its form body (undefined for anything else). */
function slashCommandOf(body: Buffer): { command: string; responseUrl: string } | undefined {
  const fields = parseQueryString(body.toString());
  const command = fields['command'];
  const responseUrl = fields['response_url'];
  if (typeof command !== 'string' || typeof responseUrl !== 'string') return undefined;
  return /^https?:\/\//.test(responseUrl) ? { command, responseUrl } : undefined;
}

/**
 * Slack shows "operation_timeout" when a slash command is not acknowledged within 3 s, and Heed's commands answer
 * in their acknowledgement. Under load (a burst of commands beside a sync and a deep outbox) the answer can come
 * later than that, so: when the deadline passes with nothing sent, the command is acknowledged empty, and the answer
 * Bolt writes afterwards is posted to the command's response_url (which Slack accepts for 30 minutes) instead. The
 * listeners do not know: this is transport, like the acknowledgement itself.
 */
type LateAnswer = {
  command: string;
  responseUrl: string;
  signed: () => boolean;
  fetch: typeof fetch;
  logger: Logger;
  /** Called once the listener has written its answer (posted to the response_url then). */
  answered?: () => void;
};

function answerByDeadline(res: ServerResponse, o: LateAnswer & { deadlineMs: number }): void {
  const timer = setTimeout(() => {
    // Answered in time, refused (401), or the client left: nothing to do. Forward only what Slack really sent.
    if (res.headersSent || res.writableEnded || res.destroyed || !o.signed()) return;
    acknowledgeNow(res, o, 'slack: command acknowledged at the deadline; its answer goes to the response_url');
  }, o.deadlineMs);
  res.once('close', () => clearTimeout(timer));
  res.once('finish', () => clearTimeout(timer));
}

/**
 * Acknowledges a slash command with an empty 200 now; whatever Bolt writes to the response afterwards is the
 * answer, posted to the command's response_url instead of written to a finished response.
 */
function acknowledgeNow(res: ServerResponse, o: LateAnswer, message: string): void {
  res.writeHead(200, { 'content-length': 0 }).end();
  o.logger.debug({ command: o.command }, message);
  const chunks: string[] = [];
  const capture = res as unknown as {
    writeHead: (...args: unknown[]) => unknown;
    end: (...args: unknown[]) => unknown;
  };
  capture.writeHead = () => res;
  capture.end = (chunk?: unknown) => {
    if (typeof chunk === 'string' || Buffer.isBuffer(chunk)) chunks.push(chunk.toString());
    const text = chunks.join('');
    if (text.trim() !== '') void postLateAnswer(text, o);
    o.answered?.();
    return res;
  };
}

async function postLateAnswer(text: string, o: LateAnswer): Promise<void> {
  let message: Record<string, unknown>;
  try {
    const parsed = JSON.parse(text) as unknown;
    message = parsed !== null && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : { text };
  } catch {
    message = { text };
  }
  try {
    const answer = await o.fetch(o.responseUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ response_type: 'ephemeral', ...message }),
    });
    if (!answer.ok) {
      o.logger.warn({ command: o.command, status: answer.status }, 'slack: the response_url refused a late answer');
    }
  } catch (error) {
    o.logger.warn({ err: error, command: o.command }, 'slack: could not post a late answer to the response_url');
  }
}

/** Slack's answers that mean the token itself is refused (nothing works until it is replaced or reinstated). */
const TOKEN_ERRORS = new Set(['invalid_auth', 'not_authed', 'token_revoked', 'token_expired', 'account_inactive']);

/** What a failed `connect()` says in /readyz and the log: Slack's own error code, or how the call failed. */
export function describeSlackFailure(error: unknown): { code: string; message: string } {
  const e = error as {
    code?: string;
    data?: { error?: string };
    statusCode?: number;
    retryAfter?: number;
    original?: Error;
    message?: string;
  };
  if (e?.code === webApi.ErrorCode.PlatformError && e.data?.error) {
    const code = e.data.error;
    return TOKEN_ERRORS.has(code)
      ? {
          code,
          message: `Slack refused the bot token (${code}); nothing is sent until it accepts it. To fix: reinstall the app and set SLACK_BOT_TOKEN to its Bot User OAuth Token, then restart Heed`,
        }
      : { code, message: `Slack answered auth.test with ${code}` };
  }
  if (e?.code === webApi.ErrorCode.HTTPError) {
    return { code: `http_${e.statusCode}`, message: `Slack answered HTTP ${e.statusCode}; retrying` };
  }
  if (e?.code === webApi.ErrorCode.RateLimitedError) {
    return { code: 'ratelimited', message: `Slack is rate limiting auth.test (retry after ${e.retryAfter} s)` };
  }
  if (e?.code === webApi.ErrorCode.RequestError) {
    return { code: 'unreachable', message: `cannot reach Slack: ${e.original?.message ?? e.message}` };
  }
  return { code: 'error', message: e?.message ?? String(error) };
}
