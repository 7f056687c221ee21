// POST /hubspot/webhooks: checks the v3 signature, deduplicates events by eventId, queues the tickets they name
// for a batch re-fetch, and answers at once (HubSpot gives up after 5 s and retries). The re-fetch happens
// after the answer, in the drainer (src/services/sync-webhooks.ts). Usable as a Bolt customRoute handler and
// on a plain node:http server: it reads the raw body itself, which the signature needs byte for byte.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import type { WebhookQueueRepo } from '../db/webhook-queue-repo.ts';
import { type BodyBudget, HUBSPOT_MAX_BODY_BYTES, readBody } from '../http/body.ts';
import { OBJECT_TYPE_IDS } from './api-version.ts';
import { ZWebhookBatch, ZWebhookEvent } from './schemas.ts';
import { checkSignatureV3, decodeSignedUri } from './webhook-signature.ts';

export const WEBHOOK_PATH = '/hubspot/webhooks';

export type WebhookHandlerDeps = {
  /** HUBSPOT_CLIENT_SECRET; without it the route answers 404 (webhooks are off). */
  clientSecret: string | undefined;
  queue: Pick<WebhookQueueRepo, 'accept'>;
  clock: Pick<Clock, 'now'>;
  logger: Logger;
  /** Called after events were queued (the drainer debounces and fetches). */
  onQueued?: () => void;
  /**
   * The public base URL HubSpot calls (e.g. https://heed.example.com), for the signed URI. Without it the URI is
   * rebuilt from X-Forwarded-Proto/Host or the Host header.
   */
  publicUrl?: string | undefined;
  /** Bytes of webhook bodies being read at once (a flood of large unsigned bodies is answered 503). */
  bodyBudget?: BodyBudget;
};

export type WebhookOutcome = {
  status: number;
  accepted: number;
  duplicates: number;
  ignored: number;
  /** Why the edge refused the request before reading it whole, for heed_http_requests_refused_total. */
  refused?: 'too_large' | 'busy' | 'aborted';
};

function send(res: ServerResponse, status: number, body?: unknown): void {
  if (body === undefined) {
    res.writeHead(status).end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) }).end(text);
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function signedUri(req: IncomingMessage, publicUrl: string | undefined): string {
  const path = req.url ?? '/';
  if (publicUrl) return decodeSignedUri(`${publicUrl.replace(/\/$/, '')}${path}`);
  const proto =
    header(req, 'x-forwarded-proto')?.split(',')[0]?.trim() ??
    ((req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http');
  const host = header(req, 'x-forwarded-host') ?? header(req, 'host') ?? 'localhost';
  return decodeSignedUri(`${proto}://${host}${path}`);
}

export function createHubspotWebhookHandler(
  deps: WebhookHandlerDeps,
): (req: IncomingMessage, res: ServerResponse) => Promise<WebhookOutcome> {
  return async (req, res) => {
    const outcome = (status: number, accepted = 0, duplicates = 0, ignored = 0): WebhookOutcome => ({
      status,
      accepted,
      duplicates,
      ignored,
    });
    if (!deps.clientSecret) {
      // Webhooks are off without a client secret: unsigned requests must never be trusted.
      send(res, 404, { error: 'not_found' });
      return outcome(404);
    }
    if (req.method !== 'POST') {
      send(res, 405, { error: 'method_not_allowed' });
      return outcome(405);
    }
    const body = await readBody(req, { limit: HUBSPOT_MAX_BODY_BYTES, budget: deps.bodyBudget, holdUntil: res });
    if (body.kind === 'aborted') {
      deps.logger.info({ reason: body.reason }, 'HubSpot webhook abandoned by the client mid-body; dropped');
      return { ...outcome(0), refused: 'aborted' };
    }
    if (body.kind === 'too_large') {
      res.setHeader('connection', 'close');
      send(res, 413, { error: 'payload_too_large' });
      return { ...outcome(413), refused: 'too_large' };
    }
    if (body.kind === 'busy') {
      send(res, 503, { error: 'busy' });
      return { ...outcome(503), refused: 'busy' };
    }
    const raw = body.bytes.toString('utf8');
    const check = checkSignatureV3({
      secret: deps.clientSecret,
      method: 'POST',
      uri: signedUri(req, deps.publicUrl),
      rawBody: raw,
      signature: header(req, 'x-hubspot-signature-v3'),
      timestamp: header(req, 'x-hubspot-request-timestamp'),
      now: deps.clock.now().getTime(),
    });
    if (!check.ok) {
      deps.logger.warn({ reason: check.reason }, 'Refused a HubSpot webhook request: bad signature');
      send(res, 401, { error: 'invalid_signature', reason: check.reason });
      return outcome(401);
    }
    let batch: unknown[];
    try {
      batch = ZWebhookBatch.parse(JSON.parse(raw));
    } catch {
      send(res, 400, { error: 'invalid_body' });
      return outcome(400);
    }
    let ignored = 0;
    const events = batch.flatMap((item) => {
      const parsed = ZWebhookEvent.safeParse(item);
      if (!parsed.success) {
        ignored++;
        deps.logger.warn(
          { eventId: (item as { eventId?: unknown })?.eventId },
          'Ignored a malformed HubSpot webhook event',
        );
        return [];
      }
      return [parsed.data];
    });
    const deliveries = events.map((event) => {
      const [object, action] = event.subscriptionType.split('.');
      // Legacy subscriptions say "ticket.creation"; developer-platform apps say "object.creation" with objectTypeId.
      const ticket = object === 'ticket' || (object === 'object' && event.objectTypeId === OBJECT_TYPE_IDS.tickets);
      // Companies and contacts: re-read for SLA rules on their properties (a tier change); the drainer keeps
      // only the records Heed stores, and drops them all when no rule names such a property.
      const customer =
        object === 'company' || (object === 'object' && event.objectTypeId === OBJECT_TYPE_IDS.companies)
          ? 'company'
          : object === 'contact' || (object === 'object' && event.objectTypeId === OBJECT_TYPE_IDS.contacts)
            ? 'contact'
            : undefined;
      const deleted = action === 'deletion' || action === 'privacyDeletion';
      return {
        id: String(event.eventId),
        fetch: ticket
          ? { objectType: 'ticket', objectId: String(event.objectId), deleted }
          : customer
            ? { objectType: customer, objectId: String(event.objectId), deleted }
            : undefined,
      };
    });
    let fresh: Set<string>;
    try {
      // Claimed and queued in one transaction: a failure leaves nothing claimed, so HubSpot's retry is processed.
      fresh = await deps.queue.accept('hubspot', deliveries, deps.clock.now().getTime());
    } catch (error) {
      deps.logger.error({ err: error }, 'Could not record HubSpot webhook events; HubSpot will retry');
      send(res, 500, { error: 'internal' });
      return outcome(500);
    }
    const queued = deliveries.filter((d) => fresh.has(d.id) && d.fetch).length;
    ignored += deliveries.filter((d) => fresh.has(d.id) && !d.fetch).length;
    send(res, 204);
    if (queued > 0) deps.onQueued?.();
    return outcome(204, fresh.size, events.length - fresh.size, ignored);
  };
}
