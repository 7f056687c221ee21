// HTTP routes that live beside Slack's `/slack/events` on the same port. The shape is Bolt's `customRoutes`
// (raw, unread request; no Slack signature check), so the same list serves the Bolt receiver and the plain
// server used when Slack is not configured.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Db } from '../db/client.ts';
import type { Logger } from '../logger.ts';

export type Route = {
  path: string;
  method: string | string[];
  handler: (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;
};

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

/**
 * Liveness: 200 while the process can answer, with the database's state in the body. A database outage is a
 * readiness problem (/readyz), not a reason for the orchestrator to restart Heed — it reconnects by itself.
 */
export function healthRoute(deps: { db: Db; logger: Logger; timeoutMs?: number }): Route {
  return {
    path: '/healthz',
    method: 'GET',
    handler: async (_req, res) => {
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          deps.db.ping(),
          new Promise((_resolve, reject) => {
            timer = setTimeout(() => reject(new Error('database ping timed out')), deps.timeoutMs ?? 2000);
          }),
        ]);
        sendJson(res, 200, { status: 'ok', database: 'ok' });
      } catch (error) {
        deps.logger.warn({ err: error }, 'health check: database unreachable');
        sendJson(res, 200, { status: 'ok', database: 'unreachable' });
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** A plain HTTP server for the routes (when Heed runs without Slack's HTTP receiver). */
export async function startRouteServer(
  routes: Route[],
  port: number,
  logger: Logger,
): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const route = routes.find((r) => r.path === path);
    if (!route) return sendJson(res, 404, { error: 'not_found' });
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    if (!methods.includes(req.method ?? 'GET')) return sendJson(res, 405, { error: 'method_not_allowed' });
    Promise.resolve(route.handler(req, res)).catch((error: unknown) => {
      logger.error({ err: error, path }, 'request handler failed');
      if (!res.headersSent) sendJson(res, 500, { error: 'internal_error' });
    });
  });
  await new Promise<void>((resolveListen, rejectListen) => {
    server.once('error', rejectListen);
    server.listen(port, resolveListen);
  });
  return { server, port: (server.address() as AddressInfo).port };
}
