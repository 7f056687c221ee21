// Every log line of an incoming request carries its id. A caller's X-Request-Id (a load balancer, a tracing
// proxy, Slack's retries do not send one) is kept so lines can be matched across systems; otherwise Heed makes
// one. The id is echoed in the response so whoever sees an error can quote it.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../logger.ts';

/** What an incoming id may look like: short and printable, so a caller cannot inject text into the logs. */
const ACCEPTABLE_ID = /^[A-Za-z0-9._:@/+=-]{1,128}$/;

/** The request's id: an acceptable incoming X-Request-Id, or a new UUID. */
export function requestIdOf(req: Pick<IncomingMessage, 'headers'>): string {
  const header = req.headers['x-request-id'];
  const incoming = Array.isArray(header) ? header[0] : header;
  return incoming && ACCEPTABLE_ID.test(incoming) ? incoming : randomUUID();
}

/**
 * A child logger whose every line carries `requestId` (and the method and path, never the query string, which
 * may hold tokens). With `res`, the id is also set as the response's X-Request-Id header.
 */
export function withRequestId(
  logger: Logger,
  req: Pick<IncomingMessage, 'headers' | 'method' | 'url'>,
  res?: Pick<ServerResponse, 'setHeader' | 'headersSent'>,
): Logger {
  const requestId = requestIdOf(req);
  if (res && !res.headersSent) res.setHeader('x-request-id', requestId);
  return logger.child({ requestId, method: req.method, path: (req.url ?? '/').split('?')[0] });
}
