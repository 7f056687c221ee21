// Forged, stale and replayed Slack and HubSpot requests against a running Heed: every one rejected (or, for an exact
// replay of a valid request, acknowledged without effect), and the database unchanged — Flag, AuditEntry,
// ProcessedEvent, PendingFetch and Ticket rows hashed before and after.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/client.ts';
import { silentLogger } from '../../src/logger.ts';
import { eventBody, sendSigned, sign, slashCommandBody } from '../slack/support/slack-requests.ts';
import { testProviders } from '../support/db.ts';
import { scenarioTally } from './support/results.ts';
import { type HeedTarget, SLACK_SIGNING_SECRET, startTarget } from './support/running-heed.ts';

const FORM = 'application/x-www-form-urlencoded';
const JSON_TYPE = 'application/json';
const TEN_MINUTES_S = 600;

/** Counts and a hash of every row that a Slack or HubSpot request could change. */
async function snapshot(db: Db): Promise<Record<string, string>> {
  const p = db.prisma;
  const tables: Record<string, unknown[]> = {
    flag: await p.flag.findMany({ orderBy: { key: 'asc' } }),
    auditEntry: await p.auditEntry.findMany({ orderBy: { id: 'asc' } }),
    processedEvent: await p.processedEvent.findMany({ orderBy: [{ source: 'asc' }, { id: 'asc' }] }),
    pendingFetch: await p.pendingFetch.findMany(),
    ticket: await p.ticket.findMany({ select: { id: true, modifiedAt: true, archived: true }, orderBy: { id: 'asc' } }),
  };
  return Object.fromEntries(
    Object.entries(tables).map(([name, rows]) => [
      name,
      `${rows.length}:${createHash('sha256').update(JSON.stringify(rows)).digest('hex').slice(0, 16)}`,
    ]),
  );
}

describe.each(testProviders())('forged, stale and replayed requests on %s', (provider) => {
  const tally = scenarioTally(`forged/stale/replayed requests (${provider})`);
  let target: HeedTarget;
  beforeAll(async () => {
    target = await startTarget(provider, silentLogger());
  });
  afterAll(async () => {
    await target?.close();
    // "duplicated" here counts tables a refused or replayed request changed.
    tally.note('forged/unsigned/stale/future → 401, replays → no effect; duplicated = tables changed');
    tally.write();
  });

  /** A request that must change nothing: counted as a trial, "lost" when it was not refused as expected. */
  async function mustChangeNothing(label: string, send: () => Promise<number>, expected: number[]) {
    const before = await snapshot(target.heed.db);
    const status = await send();
    const after = await snapshot(target.heed.db);
    const changed = Object.keys(before).filter((k) => before[k] !== after[k]);
    tally.trial({ lost: 0, duplicated: changed.length, ok: expected.includes(status) });
    expect({ label, status, changed }).toEqual({
      label,
      status: expect.toSatisfy((s: number) => expected.includes(s)),
      changed: [],
    });
  }

  /**
   * Waits until the effects of a valid delivery have settled (the webhook drainer works its queue in the background),
   * so a replay that follows is judged on its own effects.
   */
  async function settled(): Promise<void> {
    // The drainer starts 500 ms after a delivery (debounced): wait for its queue to empty, then for a quiet second.
    const deadline = Date.now() + 15_000;
    let last = '';
    while (Date.now() < deadline) {
      const now = JSON.stringify(await snapshot(target.heed.db));
      const queued = await target.heed.db.prisma.pendingFetch.count();
      if (queued === 0 && now === last) return;
      last = queued === 0 ? now : '';
      await new Promise((r) => setTimeout(r, 1000));
    }
    throw new Error('the database kept changing (or the webhook queue did not empty) for 15 s after a valid delivery');
  }

  function hubspotBody(eventId: number, objectId: string): string {
    return JSON.stringify([
      {
        eventId,
        subscriptionId: 2_900_001,
        portalId: 62515,
        appId: 1_234_567,
        occurredAt: Date.now(),
        subscriptionType: 'ticket.propertyChange',
        attemptNumber: 0,
        objectId: Number(objectId),
        propertyName: 'hs_pipeline_stage',
        propertyValue: '2',
        changeSource: 'CRM_UI',
      },
    ]);
  }

  /** Signed with Heed's secret unless the options say otherwise. */
  const signed = (body: string, type: string, options: Parameters<typeof sendSigned>[3] = {}) =>
    sendSigned(target.base, body, type, { secret: SLACK_SIGNING_SECRET, ...options });

  const postHubspot = async (body: string, headers: Record<string, string>) =>
    (await fetch(`${target.base}/hubspot/webhooks`, { method: 'POST', headers, body })).status;

  it('Slack: forged, unsigned, stale and future-dated slash commands, events and button clicks are refused (401)', async () => {
    const nudge = target.slack.messagesIn('CTIER1')[0];
    expect(nudge, 'a nudge to react to').toBeDefined();
    const bodies: [string, string][] = [
      [
        slashCommandBody({
          command: '/heed',
          text: 'status',
          user_id: 'UALICE',
          channel_id: 'CTIER1',
          response_url: target.slack.responseUrl('f1'),
        }),
        FORM,
      ],
      [
        slashCommandBody({
          command: '/unanswered',
          text: 'tier1',
          user_id: 'UALICE',
          channel_id: 'CTIER1',
          response_url: target.slack.responseUrl('f2'),
        }),
        FORM,
      ],
      [
        eventBody({
          type: 'reaction_added',
          user: 'UALICE',
          reaction: 'eyes',
          item: { type: 'message', channel: 'CTIER1', ts: nudge!.ts },
          event_ts: `${Date.now() / 1000}`,
        }),
        JSON_TYPE,
      ],
      [
        eventBody({
          type: 'reaction_added',
          user: 'UBOB',
          reaction: 'white_check_mark',
          item: { type: 'message', channel: 'CTIER1', ts: nudge!.ts },
          event_ts: `${Date.now() / 1000}`,
        }),
        JSON_TYPE,
      ],
    ];
    for (const [body, type] of bodies) {
      const now = Math.floor(Date.now() / 1000);
      await mustChangeNothing(
        'wrong secret',
        async () => (await signed(body, type, { secret: 'not-the-signing-secret' })).status,
        [401],
      );
      await mustChangeNothing(
        'signature of another body',
        async () => (await signed(body, type, { signature: sign(SLACK_SIGNING_SECRET, now, `${body}x`) })).status,
        [401],
      );
      await mustChangeNothing(
        'unsigned',
        async () => (await signed(body, type, { signature: '', headers: { 'x-slack-signature': '' } })).status,
        [401],
      );
      await mustChangeNothing(
        'stale (10 min)',
        async () => (await signed(body, type, { timestamp: now - TEN_MINUTES_S })).status,
        [401],
      );
      await mustChangeNothing(
        'dated 10 min ahead',
        async () => (await signed(body, type, { timestamp: now + TEN_MINUTES_S })).status,
        [401],
      );
    }
  });

  it('Slack: a replayed event (same event_id, re-signed as Slack retries do) changes nothing the second time', async () => {
    const nudge = target.slack.messagesIn('CTIER1')[0]!;
    const body = eventBody({
      type: 'reaction_added',
      user: 'UCAROL',
      reaction: 'eyes',
      item: { type: 'message', channel: 'CTIER1', ts: nudge.ts },
      event_ts: `${Date.now() / 1000}`,
    });
    const before = await snapshot(target.heed.db);
    expect((await signed(body, JSON_TYPE)).status).toBe(200);
    // Processing is acknowledged first; give the listener a moment to record the claim.
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline && (await snapshot(target.heed.db)).processedEvent === before.processedEvent) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const first = await snapshot(target.heed.db);
    expect(first.processedEvent).not.toBe(before.processedEvent);
    await settled();
    for (let k = 0; k < 5; k++) {
      await mustChangeNothing('replayed event', async () => {
        const status = (
          await signed(body, JSON_TYPE, {
            headers: { 'x-slack-retry-num': String(k + 1), 'x-slack-retry-reason': 'http_timeout' },
          })
        ).status;
        await new Promise((r) => setTimeout(r, 100));
        return status;
      }, [200]);
    }
  });

  it('HubSpot: forged, unsigned and stale webhooks are refused (401); a replayed eventId is deduplicated', async () => {
    const ticketId = (await target.heed.db.prisma.ticket.findFirst({ select: { id: true } }))!.id;
    for (let k = 0; k < 5; k++) {
      const body = hubspotBody(7_700_000 + k, ticketId);
      await mustChangeNothing(
        'wrong secret',
        () => postHubspot(body, target.hubspotHeaders(body, { secret: 'not-the-client-secret' })),
        [401],
      );
      await mustChangeNothing('unsigned', () => postHubspot(body, { 'content-type': JSON_TYPE }), [401]);
      await mustChangeNothing(
        'signature of another body',
        () => postHubspot(`${body} `, target.hubspotHeaders(body)),
        [401],
      );
      await mustChangeNothing(
        'stale (10 min)',
        () => postHubspot(body, target.hubspotHeaders(body, { timestamp: Date.now() - TEN_MINUTES_S * 1000 })),
        [401],
      );
    }
    const body = hubspotBody(7_800_001, ticketId);
    const headers = target.hubspotHeaders(body);
    expect(await postHubspot(body, headers)).toBe(204);
    expect(await target.heed.db.prisma.processedEvent.count({ where: { source: 'hubspot', id: '7800001' } })).toBe(1);
    await settled();
    // The same delivery again (HubSpot retries with the same eventId), and re-signed later.
    for (let k = 0; k < 5; k++) {
      await mustChangeNothing('replayed delivery', () => postHubspot(body, headers), [200, 204]);
      await mustChangeNothing(
        'replayed eventId, re-signed',
        () => postHubspot(body, target.hubspotHeaders(body)),
        [200, 204],
      );
    }
  });
});
