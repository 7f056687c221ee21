// Heed's one HTTP server: every route — Slack's `/slack/events` in HTTP mode, `/hubspot/webhooks`, `/healthz`,
// `/readyz`, `/metrics` — is dispatched here and runs under one error boundary, whatever receives Slack's events.
// The boundary is why no request can stop the process: a handler that throws or rejects (a body cut off mid-read
// rejects with ECONNRESET; a bug throws a TypeError) is logged with the request's method, path and id, answered
// 500 when the answer has not started, and never becomes an unhandled rejection. A request whose client went
// away is logged quietly: there is nobody left to answer.
//
// The server listens with several sockets on its port (a SO_REUSEPORT group, on Linux): Node's libuv accepts one
// connection per listening socket per turn of the event loop (libuv/libuv#3696, since libuv 1.45), and a turn of a
// Heed that is draining its outbox and syncing lasts 10–20 ms, so a burst of 300 of Slack's requests waited up to
// 6 s in the kernel's queue before Heed saw them — however fast it then acknowledged them. With 32 sockets a turn
// accepts up to 32. Every connection is served by the one HTTP server (its routes, timeouts and boundary).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo, createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
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
  /**
   * Listening sockets sharing the port (default ACCEPTORS on Linux, 1 elsewhere): how many connections one turn of
   * the event loop can accept. 1 is one plain socket (Node's default).
   */
  acceptors?: number;
};

/** Listening sockets on Linux: a burst of 300 connections is accepted in about 10 turns of the loop instead of 300. */
export const ACCEPTORS = 32;

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
  const acceptors = process.platform === 'linux' ? Math.max(1, Math.floor(options.acceptors ?? ACCEPTORS)) : 1;
  const extra: NetServer[] = [];
  // Connections the extra sockets accepted, handed to the HTTP server: close() waits for them as for its own.
  const handedOver = new Set<Socket>();
  let portLock: NetServer | undefined;
  if (acceptors === 1) {
    await listen(server, { port: options.port, host: options.host });
  } else {
    // Joining a group would let a second Heed on the same port share it silently: the port must be free first (a
    // plain socket binds it), so a port in use still fails with EADDRINUSE as it did.
    // Two Heeds starting at the same instant could both pass the probe before either joins: a lock only one process
    // can hold (an abstract Unix socket, gone with the process) closes that gap.
    if (options.port !== 0) {
      portLock = await lockPort(options.port, options.host);
      try {
        await probeFree(options.port, options.host);
      } catch (error) {
        portLock.close();
        throw error;
      }
    }
    await listen(server, { port: options.port, host: options.host, reusePort: true });
    const { port, address } = server.address() as AddressInfo;
    for (let i = 1; i < acceptors; i++) {
      const acceptor = createNetServer((socket) => {
        handedOver.add(socket);
        socket.once('close', () => handedOver.delete(socket));
        server.emit('connection', socket);
      });
      try {
        await listen(acceptor, { port, host: address, reusePort: true });
      } catch (error) {
        // Fewer sockets only means fewer connections accepted per turn.
        logger.warn({ err: error, acceptors: i }, 'HTTP server: could not open another listening socket');
        break;
      }
      acceptor.on('error', (error) => logger.error({ err: error }, 'HTTP server error'));
      extra.push(acceptor);
    }
  }
  // After listening, a server error (the socket failing) is logged; the process guard decides about the rest.
  server.on('error', (error) => logger.error({ err: error }, 'HTTP server error'));
  let closing: Promise<void> | undefined;
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: () => {
      closing ??= (async () => {
        const closed = [server, ...extra].map(
          (listener) => new Promise<void>((resolveClose) => listener.close(() => resolveClose())),
        );
        // Keep-alive connections would hold close() open until they time out.
        server.closeIdleConnections();
        await Promise.all(closed);
        // The server's own close waits for its own connections; those handed over finish their requests too, for
        // a few seconds at most (a client keeping a connection busy must not hold shutdown).
        const giveUpAt = Date.now() + HANDED_OVER_GRACE_MS;
        while (handedOver.size > 0 && Date.now() < giveUpAt) {
          server.closeIdleConnections();
          await new Promise((r) => setTimeout(r, 10));
        }
        for (const socket of handedOver) socket.destroy();
        await new Promise<void>((resolveClose) => (portLock ? portLock.close(() => resolveClose()) : resolveClose()));
      })();
      return closing;
    },
  };
}

function listen(server: NetServer, at: { port: number; host?: string | undefined; reusePort?: boolean }) {
  return new Promise<void>((resolveListen, rejectListen) => {
    server.once('error', rejectListen);
    server.listen(
      { port: at.port, ...(at.host ? { host: at.host } : {}), ...(at.reusePort ? { reusePort: true } : {}) },
      () => {
        server.off('error', rejectListen);
        resolveListen();
      },
    );
  });
}

/** How long close() lets connections handed over by the extra sockets finish their requests. */
const HANDED_OVER_GRACE_MS = 5000;

/**
 * Holds `port` for this process among Heeds on this machine: an abstract Unix socket named after it, which the
 * kernel frees when the process ends however it ends. Taken: EADDRINUSE, as a port in use is reported.
 */
async function lockPort(port: number, host: string | undefined): Promise<NetServer> {
  const lock = createNetServer();
  try {
    await new Promise<void>((resolveListen, rejectListen) => {
      lock.once('error', rejectListen);
      lock.listen({ path: `\0heed-port-${host ?? '*'}-${port}` }, () => {
        lock.off('error', rejectListen);
        resolveListen();
      });
    });
  } catch (error) {
    if ((error as { code?: string }).code === 'EADDRINUSE') {
      throw Object.assign(new Error(`listen EADDRINUSE: another Heed holds port ${port}`), {
        code: 'EADDRINUSE',
        port,
      });
    }
    throw error;
  }
  return lock;
}

/** Rejects as listening would (EADDRINUSE) when `port` is taken; a plain socket bound and released at once. */
async function probeFree(port: number, host: string | undefined): Promise<void> {
  const probe = createNetServer();
  await listen(probe, { port, host });
  await new Promise<void>((resolveClose) => probe.close(() => resolveClose()));
}
