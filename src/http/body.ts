// Reading a request body without letting the request decide how much memory Heed spends on it or whether the
// read ends in an exception: a size limit per route, a budget for all bodies being read at once, and a result
// (never a rejection) for bodies cut off by the client.
import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * Body size limits, and why:
 * - Slack (`/slack/events`): 4 MiB, Bolt's own default. Events and slash commands are a few KB, but an
 *   interaction (`block_actions`) carries the whole message or view it came from: Heed's App Home can hold 100
 *   blocks of up to 3,000 characters, form-encoded by Slack (non-ASCII text triples in size), so a legitimate
 *   click can reach a few MB. A smaller limit would silently drop real clicks.
 * - HubSpot (`/hubspot/webhooks`): 1 MB. HubSpot batches at most 100 events per request, each well under 1 KB
 *   (about 40 KB in all), so 1 MB leaves room for growth while refusing anything that cannot be HubSpot.
 * - Probes (`/healthz`, `/readyz`, `/metrics`) never read their body; Node discards it.
 * - All bodies being read at once: 32 MiB (`BODY_BUDGET_BYTES`). A flood of concurrent maximal bodies (before
 *   any signature can be checked) is answered 503 instead of growing the heap until the process dies.
 */
export const SLACK_MAX_BODY_BYTES = 4 * 1024 * 1024;
export const HUBSPOT_MAX_BODY_BYTES = 1_000_000;
export const BODY_BUDGET_BYTES = 32 * 1024 * 1024;

export type BodyResult =
  | { kind: 'ok'; bytes: Buffer }
  /** Content-Length or the bytes received passed the limit: answer 413. */
  | { kind: 'too_large'; limit: number }
  /** Every body being read at once together passed the budget: answer 503. */
  | { kind: 'busy' }
  /** The client went away (or the connection broke) before the body was complete: nobody to answer. */
  | { kind: 'aborted'; reason: string };

/** How many bytes of request bodies the process holds right now, across all requests. */
export type BodyBudget = { take(bytes: number): boolean; give(bytes: number): void; readonly inUse: number };

export function createBodyBudget(maxBytes = BODY_BUDGET_BYTES): BodyBudget {
  let inUse = 0;
  return {
    take(bytes) {
      if (inUse + bytes > maxBytes) return false;
      inUse += bytes;
      return true;
    },
    give(bytes) {
      inUse = Math.max(0, inUse - bytes);
    },
    get inUse() {
      return inUse;
    },
  };
}

function declaredLength(req: IncomingMessage): number | undefined {
  const header = req.headers['content-length'];
  if (header === undefined) return undefined;
  const length = Number(header);
  return Number.isFinite(length) && length >= 0 ? length : undefined;
}

/** True when the request declares a body longer than `limit` (checked before reading a byte). */
export function declaresMoreThan(req: IncomingMessage, limit: number): boolean {
  const length = declaredLength(req);
  return length !== undefined && length > limit;
}

/**
 * Reads the whole body, up to `limit` bytes. With `holdUntil`, the bytes stay counted against `budget` until that
 * response is closed: whoever reads a body keeps it in memory until the request is answered.
 */
export function readBody(
  req: IncomingMessage,
  options: { limit: number; budget?: BodyBudget; holdUntil?: Pick<ServerResponse, 'once'> },
): Promise<BodyResult> {
  const { limit, budget } = options;
  if (declaresMoreThan(req, limit)) return Promise.resolve({ kind: 'too_large', limit });
  return new Promise<BodyResult>((resolveRead) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let held = 0;
    let settled = false;
    const release = () => {
      if (held > 0) budget?.give(held);
      held = 0;
    };
    const finish = (result: BodyResult) => {
      if (settled) return;
      settled = true;
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('aborted', onAborted);
      req.off('close', onClose);
      if (result.kind !== 'ok') {
        release();
        chunks.length = 0;
        // Stop reading what is left; whoever answers closes the connection.
        req.pause();
      } else if (options.holdUntil) {
        options.holdUntil.once('close', release);
      } else {
        release();
      }
      resolveRead(result);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) return finish({ kind: 'too_large', limit });
      if (budget) {
        if (!budget.take(chunk.length)) return finish({ kind: 'busy' });
        held += chunk.length;
      }
      chunks.push(chunk);
    };
    const onEnd = () => finish({ kind: 'ok', bytes: Buffer.concat(chunks, size) });
    const onError = (error: Error) => finish({ kind: 'aborted', reason: error.message });
    const onAborted = () => finish({ kind: 'aborted', reason: 'the client closed the connection' });
    // `close` before `end`: the connection went away mid-body (Node does not always emit `aborted` any more).
    const onClose = () => finish({ kind: 'aborted', reason: 'the connection closed before the body was complete' });
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('aborted', onAborted);
    req.on('close', onClose);
  });
}
