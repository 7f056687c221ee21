// Every log line written while an HTTP request is handled carries the request's id — also lines from code that
// was handed the process logger and knows nothing of requests (the webhook handler, a repository's warning).
// The id lives in an AsyncLocalStorage for the duration of the handler; the logger reads it through its `mixin`.
// Created by the composition root (not a module singleton) and passed to both the logger and the routes.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Route } from '../http/routes.ts';
import type { Logger } from '../logger.ts';
import { requestIdOf } from './request-id.ts';

export type RequestContext = {
  /** For `createLogger({ mixin })`: `{ requestId }` inside a request, nothing outside. */
  mixin(): Record<string, unknown>;
  /** Runs `fn` as part of request `requestId` (for receivers that are not Routes). */
  run<T>(requestId: string, fn: () => T): T;
  /**
   * Wraps routes so each request gets an id (an acceptable incoming X-Request-Id, or a new one), echoed as the
   * X-Request-Id response header, and one debug line when it finishes (method, path, status, duration).
   */
  wrap(routes: readonly Route[], logger: Logger): Route[];
};

export function createRequestContext(): RequestContext {
  const storage = new AsyncLocalStorage<{ requestId: string }>();
  return {
    mixin: () => {
      const store = storage.getStore();
      return store ? { requestId: store.requestId } : {};
    },
    run: (requestId, fn) => storage.run({ requestId }, fn),
    wrap: (routes, logger) =>
      routes.map((route) => ({
        ...route,
        handler: (req, res) => {
          const requestId = requestIdOf(req);
          if (!res.headersSent) res.setHeader('x-request-id', requestId);
          const started = performance.now();
          const path = (req.url ?? '/').split('?')[0];
          return storage.run({ requestId }, () => {
            res.once('finish', () => {
              // Named explicitly: 'finish' is emitted from the socket's callback, outside the request's context.
              logger.debug(
                {
                  requestId,
                  method: req.method,
                  path,
                  status: res.statusCode,
                  ms: Math.round(performance.now() - started),
                },
                'request finished',
              );
            });
            return route.handler(req, res);
          });
        },
      })),
  };
}
