// Heed's one HTTP server: every route — Slack's `/slack/events` in HTTP mode, `/hubspot/webhooks`, `/healthz`,
// `/readyz`, `/metrics` — is dispatched here and runs under one error boundary, whatever receives Slack's events.
// The boundary is why no request can stop the process: a handler that throws or rejects (a body cut off mid-read
// rejects with ECONNRESET; a bug throws a TypeError) is logged with the request's method, path and id, answered
// 500 when the answer has not started, and never becomes an unhandled rejection. A request whose client went
// away is logged quietly: there is nobody left to answer.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../logger.ts';
import { declaresMoreThan } from './body.ts';
import type { Route } from './routes.ts';

// Not routes.ts's sendJson: routes.ts imports this module, and a type-only import keeps the two free of a cycle.
function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

/** What the edge refused, for a counter (`heed_http_requests_refused_total{reason}`). */
export type EdgeEvents = { refused(reason: RefusalReason): void };
export type RefusalReason = 'aborted' | 'too_large' | 'busy' | 'not_an_object' | 'malformed' | 'handler_error';

export type HttpServerOptions = {
  routes: readonly Route[];
  port: number;
  logger: Logger;
  events?: EdgeEvents;
  host?: string;
  /**
   * A request (headers and body) must arrive within this long, or Node answers 408 and closes the connection:
   * a client trickling a body byte by byte cannot hold a connection and its buffer for Node's default 5 minutes.
   * Slack waits 3 s for an answer and HubSpot 5 s, so 30 s is generous for every real sender.
   */
  requestTimeoutMs?: number;
  headersTimeoutMs?: number;
};

export type RunningServer = { server: Server; port: number; close(): Promise<void> };

const CLIENT_GONE_CODES = new Set(['ECONNRESET', 'ECONNABORTED', 'EPIPE', 'ERR_STREAM_PREMATURE_CLOSE']);

/** True when `error` only says the client went away (closed the connection mid-request). */
export function isClientGone(error: unknown, req?: IncomingMessage): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string' && CLIENT_GONE_CODES.has(code)) return true;
  if ((error as Error | undefined)?.message === 'aborted') return true;
  return req?.destroyed === true && !req.complete;
}

/** The request's id, as the request context set it on the response (src/ops/request-context.ts). */
function requestIdOf(res: ServerResponse): string | undefined {
  const id = res.getHeader('x-request-id');
  return typeof id === 'string' ? id : undefined;
}

/**
 * Runs `route`'s handler under the boundary. Never throws, never rejects. A route with `maxBodyBytes` refuses a
 * body declared longer (413) before its handler runs.
 */
export function guardRoute(
  route: Route,
  logger: Logger,
  events?: EdgeEvents,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const context = () => ({ method: req.method, path, requestId: requestIdOf(res) });
    // Errors on the streams themselves (a write after the client left) must never reach the process.
    req.on('error', (error) => logger.debug({ err: error, ...context() }, 'request stream error'));
    res.on('error', (error) => logger.debug({ err: error, ...context() }, 'response stream error'));
    if (route.maxBodyBytes !== undefined && declaresMoreThan(req, route.maxBodyBytes)) {
      events?.refused('too_large');
      logger.warn({ ...context(), limit: route.maxBodyBytes }, 'refused a request body over the limit (413)');
      res.setHeader('connection', 'close');
      sendJson(res, 413, { error: 'payload_too_large', limit: route.maxBodyBytes });
      return;
    }
    const failed = (error: unknown) => {
      if (isClientGone(error, req) || res.destroyed) {
        events?.refused('aborted');
        logger.info({ ...context(), reason: (error as Error)?.message }, 'request abandoned by the client; dropped');
        return;
      }
      events?.refused('handler_error');
      logger.error({ err: error, ...context() }, 'request handler failed');
      if (!res.headersSent) {
        res.setHeader('connection', 'close');
        sendJson(res, 500, { error: 'internal_error', requestId: requestIdOf(res) });
      } else {
        res.destroy();
      }
    };
    try {
      const result = route.handler(req, res);
      if (result && typeof (result as Promise<void>).then === 'function') (result as Promise<void>).catch(failed);
    } catch (error) {
      failed(error);
    }
  };
}

export async function startHttpServer(options: HttpServerOptions): Promise<RunningServer> {
  const { logger } = options;
  const guarded = options.routes.map((route) => ({
    route,
    methods: Array.isArray(route.method) ? route.method : [route.method],
    handle: guardRoute(route, logger, options.events),
  }));
  const requestTimeout = options.requestTimeoutMs ?? 30_000;
  // Node checks for requests past their timeout on this interval (30 s by default, which would double the limit).
  const connectionsCheckingInterval = Math.max(50, Math.min(5000, Math.round(requestTimeout / 4)));
  const server = createServer({ requestTimeout, connectionsCheckingInterval }, (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const candidates = guarded.filter((g) => g.route.path === path);
    if (candidates.length === 0) return sendJson(res, 404, { error: 'not_found' });
    const match = candidates.find((g) => g.methods.includes(req.method ?? 'GET'));
    if (!match) return sendJson(res, 405, { error: 'method_not_allowed' });
    match.handle(req, res);
  });
  server.headersTimeout = Math.min(options.headersTimeoutMs ?? 10_000, requestTimeout);
  for (const route of options.routes) route.observe?.(server);
  // No 'clientError' listener: Node then answers a malformed request line or header itself (400, 431, 408)
  // and closes the socket; it never throws.
  await new Promise<void>((resolveListen, rejectListen) => {
    server.once('error', rejectListen);
    const done = () => {
      server.off('error', rejectListen);
      resolveListen();
    };
    if (options.host) server.listen(options.port, options.host, done);
    else server.listen(options.port, done);
  });
  // After listening, a server error (the socket failing) is logged; the process guard decides about the rest.
  server.on('error', (error) => logger.error({ err: error }, 'HTTP server error'));
  let closing: Promise<void> | undefined;
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: () => {
      closing ??= new Promise<void>((resolveClose) => {
        server.close(() => resolveClose());
        // Keep-alive connections would hold close() open until they time out.
        server.closeIdleConnections();
      });
      return closing;
    },
  };
}
