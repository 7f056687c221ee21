// HTTP routes served on Heed's port beside Slack's `/slack/events`. The shape is Bolt's `customRoutes` (raw,
// unread request), and every route is dispatched by Heed's own server (./server.ts) under one error boundary.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Db } from '../db/client.ts';
import type { Logger } from '../logger.ts';
import { withTimeout } from '../ops/timeout.ts';
import { startHttpServer } from './server.ts';

export type Route = {
  path: string;
  method: string | string[];
  handler: (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;
  /** A body declared longer than this is refused (413) before the handler runs; the handler enforces it too. */
  maxBodyBytes?: number;
  /** Called once with the server that serves the route (the Slack route counts its open connections). */
  observe?: (server: Server) => void;
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
      try {
        await withTimeout(deps.db.ping(), deps.timeoutMs ?? 2000, 'from the database ping');
        sendJson(res, 200, { status: 'ok', database: 'ok' });
      } catch (error) {
        deps.logger.warn({ err: error }, 'health check: database unreachable');
        sendJson(res, 200, { status: 'ok', database: 'unreachable' });
      }
    },
  };
}

/** Serves `routes` on `port` (tests and tools; `heed start` uses startHttpServer with its options). */
export async function startRouteServer(
  routes: Route[],
  port: number,
  logger: Logger,
): Promise<{ server: Server; port: number }> {
  const started = await startHttpServer({ routes, port, logger });
  return { server: started.server, port: started.port };
}
