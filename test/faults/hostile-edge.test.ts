// Aborted bodies and hostile payloads against a running `heed start` (a child process, every route configured):
// bodies cut off mid-way on every POST route, bodies that never finish, bodies over the limits (declared and
// streamed), malformed JSON, signed Slack payloads that are not objects (JSON null once killed the process inside
// Bolt), hostile objects, garbage request lines and oversized headers. Counted: requests sent, answered (any HTTP
// status), dropped (the client itself went away), and whether the process is alive with no unhandled error logged.
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nock from 'nock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimPortal } from '../../src/hubspot/simulator/portal.ts';
import { type Simulator, startSimulator } from '../../src/hubspot/simulator/server.ts';
import { signV3 } from '../../src/hubspot/webhook-signature.ts';
import { FakeSlackServer } from '../../src/slack/fake-slack-server.ts';
import { createTestDatabase, type TestDatabase, testProviders } from '../support/db.ts';
import { type HeedServer, startHeedServer } from './support/heed-server.ts';
import { scenarioTally } from './support/results.ts';
import { FAULT_CHANNELS, FAULT_POLICY } from './support/workspace.ts';

const SLACK_SECRET = 'hostile-edge-signing-secret-0123';
const HUBSPOT_SECRET = 'hostile-edge-hubspot-client-secret';
const HUBSPOT_TOKEN = 'pat-na1-hostile-edge-0000-1111';

type Outcome = { answered: boolean; status?: number };

/** Raw bytes; resolves with the status line's code, or unanswered when the connection closed without one. */
function rawRequest(
  port: number,
  head: string,
  body: Buffer | string,
  options: { abortAfterWrite?: boolean; timeoutMs?: number; chunks?: number; chunk?: Buffer } = {},
): Promise<Outcome> {
  return new Promise((resolveRequest) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      const match = /^HTTP\/1\.1 (\d{3})/.exec(answer);
      resolveRequest(match ? { answered: true, status: Number(match[1]) } : { answered: false });
    };
    const timer = setTimeout(() => {
      socket.destroy();
      finish();
    }, options.timeoutMs ?? 45_000);
    socket.on('data', (chunk) => {
      answer += chunk;
      if (/^HTTP\/1\.1 \d{3}/.test(answer) && answer.includes('\r\n\r\n')) {
        socket.destroy();
        finish();
      }
    });
    socket.on('error', finish);
    socket.on('close', finish);
    socket.write(head);
    if (options.chunk && options.chunks) {
      let sent = 0;
      const pump = (): void => {
        while (sent < options.chunks! && !socket.destroyed) {
          sent++;
          socket.write(`${options.chunk!.length.toString(16)}\r\n`);
          socket.write(options.chunk!);
          if (!socket.write('\r\n')) {
            socket.once('drain', pump);
            return;
          }
        }
        if (!socket.destroyed) socket.write('0\r\n\r\n');
      };
      pump();
      return;
    }
    socket.write(body, () => {
      if (options.abortAfterWrite) socket.destroy();
    });
  });
}

function slackHeaders(body: string, type = 'application/json'): string {
  const ts = Math.floor(Date.now() / 1000);
  const signature = `v0=${createHmac('sha256', SLACK_SECRET).update(`v0:${ts}:${body}`).digest('hex')}`;
  return `content-type: ${type}\r\nx-slack-request-timestamp: ${ts}\r\nx-slack-signature: ${signature}\r\n`;
}

// Raw sockets, cut off and trickled on purpose: nock's interception (test/support/setup.ts) would buffer and close
// them on its own terms, so heed start would never see what a real client sends. Nothing here leaves the machine.
beforeAll(() => nock.restore());
afterAll(() => nock.activate());

describe.each(testProviders())('aborted bodies and hostile payloads against heed start on %s', (provider) => {
  const tally = scenarioTally(`aborted bodies, hostile payloads vs heed start (${provider})`);
  let sim: Simulator;
  let slack: FakeSlackServer;
  let database: TestDatabase;
  let heed: HeedServer | undefined;
  let cwd: string;
  beforeAll(async () => {
    sim = await startSimulator({
      portal: new SimPortal({ now: Date.now(), tickets: 40, days: 2, seed: 3 }),
      accessToken: HUBSPOT_TOKEN,
    });
    slack = await new FakeSlackServer().start();
    for (const channel of FAULT_CHANNELS) slack.addChannel(channel);
    database = await createTestDatabase(provider);
    cwd = mkdtempSync(join(tmpdir(), 'heed-faults-hostile-'));
    heed = await startHeedServer({
      cwd,
      policy: FAULT_POLICY,
      env: {
        DATABASE_URL: database.url,
        SLACK_BOT_TOKEN: 'xoxb-faults-hostile',
        SLACK_SIGNING_SECRET: SLACK_SECRET,
        SLACK_API_URL: slack.apiUrl,
        HUBSPOT_ACCESS_TOKEN: HUBSPOT_TOKEN,
        HUBSPOT_CLIENT_SECRET: HUBSPOT_SECRET,
        HUBSPOT_API_URL: sim.url,
      },
    });
  });
  afterAll(async () => {
    const stopped = await heed?.stop();
    await sim?.close();
    await slack?.stop();
    await database?.drop();
    if (cwd) rmSync(cwd, { recursive: true, force: true });
    tally.write();
    expect(stopped).toEqual({ code: 0, signal: null });
  });

  it('answers or drops every request, and stays up with no unhandled error', async () => {
    let counted = false;
    try {
      const port = Number(new URL(heed!.base).port);
      const sent: { kind: string; expectAnswer: boolean; outcome: Promise<Outcome> }[] = [];
      const send = (kind: string, expectAnswer: boolean, outcome: Promise<Outcome>) =>
        sent.push({ kind, expectAnswer, outcome });
      const post = (path: string, headers: string) => `POST ${path} HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\n${headers}`;

      // 1. Cut off mid-body, on every route that reads one (and on probes that do not): nobody left to answer.
      const partial = '[{"eventId":1,"subscriptionType":"ticket.propertyChange","objectId":';
      for (let k = 0; k < 25; k++) {
        const hubspotHead = `content-type: application/json\r\nx-hubspot-signature-v3: x\r\nx-hubspot-request-timestamp: ${Date.now()}\r\n`;
        send(
          'cut off /hubspot/webhooks',
          false,
          rawRequest(port, `${post('/hubspot/webhooks', hubspotHead)}content-length: 4000\r\n\r\n`, partial, {
            abortAfterWrite: true,
          }),
        );
        send(
          'cut off /slack/events',
          false,
          rawRequest(
            port,
            `${post('/slack/events', slackHeaders('{"type":"event_callback"'))}content-length: 4000\r\n\r\n`,
            '{"type":"event_cal',
            { abortAfterWrite: true },
          ),
        );
        send(
          'cut off /metrics',
          false,
          rawRequest(port, `GET /metrics HTTP/1.1\r\nhost: x\r\ncontent-length: 4000\r\n\r\n`, 'abc', {
            abortAfterWrite: true,
          }),
        );
      }
      // 2. Bodies that never finish (the client stays): 408 after the request timeout.
      for (let k = 0; k < 3; k++) {
        send(
          'never finishes',
          true,
          rawRequest(
            port,
            `${post('/hubspot/webhooks', 'content-type: application/json\r\n')}content-length: 500\r\n\r\n`,
            '[{',
            { timeoutMs: 60_000 },
          ),
        );
      }
      // 3. Over the limits, declared and streamed.
      send(
        '5 MB declared to Slack',
        true,
        rawRequest(port, `${post('/slack/events', slackHeaders('x'))}content-length: 5000000\r\n\r\n`, ''),
      );
      send(
        '2 MB declared to HubSpot',
        true,
        rawRequest(
          port,
          `${post('/hubspot/webhooks', 'content-type: application/json\r\n')}content-length: 2000000\r\n\r\n`,
          '',
        ),
      );
      // Streamed past the limit: Heed answers 413 and closes while the client is still writing, so the client may
      // see the connection reset before it reads the answer (TCP discards it with the unread bytes): answered or
      // reset, never a crash — as for HubSpot below. Seen once in CI under load.
      send(
        '6 MB streamed to Slack',
        false,
        rawRequest(port, `${post('/slack/events', slackHeaders('x'))}transfer-encoding: chunked\r\n\r\n`, '', {
          chunks: 24,
          chunk: Buffer.alloc(256 * 1024, 'x'),
        }),
      );
      // The webhook handler stops reading at 1 MB: answered 413 or, when the client is still writing, reset.
      send(
        '2 MB streamed to HubSpot',
        false,
        rawRequest(
          port,
          `${post('/hubspot/webhooks', 'content-type: application/json\r\n')}transfer-encoding: chunked\r\n\r\n`,
          '',
          { chunks: 8, chunk: Buffer.alloc(256 * 1024, 'x') },
        ),
      );
      // 4. Malformed and hostile bodies, signed and not.
      const uri = `${heed!.base}/hubspot/webhooks`;
      for (const body of [
        '{not json',
        'null',
        '[null, 5, "x", {"eventId": {}}]',
        '{"__proto__":{"polluted":1}}',
        '\u0000\u0001\u0002',
        '[]',
      ]) {
        const ts = String(Date.now());
        const signed = `content-type: application/json\r\nx-hubspot-request-timestamp: ${ts}\r\nx-hubspot-signature-v3: ${signV3(HUBSPOT_SECRET, 'POST', uri, body, ts)}\r\n`;
        send(
          'hostile HubSpot body, signed',
          true,
          rawRequest(
            port,
            `${post('/hubspot/webhooks', signed)}content-length: ${Buffer.byteLength(body)}\r\n\r\n`,
            body,
          ),
        );
        send(
          'hostile HubSpot body, unsigned',
          true,
          rawRequest(
            port,
            `${post('/hubspot/webhooks', 'content-type: application/json\r\n')}content-length: ${Buffer.byteLength(body)}\r\n\r\n`,
            body,
          ),
        );
      }
      const slackBodies: [string, string][] = [
        ['null', 'application/json'],
        ['42', 'application/json'],
        ['[]', 'application/json'],
        ['"ssl_check"', 'application/json'],
        ['payload=null', 'application/x-www-form-urlencoded'],
        ['payload=%5B%5D', 'application/x-www-form-urlencoded'],
        ['{"type":"event_callback","event":null}', 'application/json'],
        ['{"type":"block_actions","actions":[null],"user":null}', 'application/json'],
        ['{"command":{"x":1},"text":null}', 'application/json'],
        ['{"type":', 'application/json'],
        ['\u00ff\u00fe{}', 'application/json'],
      ];
      for (const [body, type] of slackBodies) {
        send(
          'hostile Slack body, signed',
          true,
          rawRequest(
            port,
            `${post('/slack/events', slackHeaders(body, type))}content-length: ${Buffer.byteLength(body)}\r\n\r\n`,
            body,
          ),
        );
      }
      // 5. Not even HTTP.
      send('garbage request line', true, rawRequest(port, 'HELLO THERE\r\n\r\n', ''));
      send(
        '20 KB header',
        true,
        rawRequest(port, `GET /healthz HTTP/1.1\r\nhost: x\r\nx-big: ${'a'.repeat(20_000)}\r\n\r\n`, ''),
      );

      const outcomes = await Promise.all(sent.map((s) => s.outcome));
      const answered = outcomes.filter((o) => o.answered).length;
      const unanswered = sent.filter((s, i) => s.expectAnswer && !outcomes[i]!.answered).map((s) => s.kind);
      const statuses = new Map<number, number>();
      for (const o of outcomes) if (o.status) statuses.set(o.status, (statuses.get(o.status) ?? 0) + 1);

      // Still serving, and nothing went unhandled.
      const health = await fetch(`${heed!.base}/healthz`);
      const metrics = await (await fetch(`${heed!.base}/metrics`)).text();
      const processErrors = [...metrics.matchAll(/^heed_process_errors_total\{[^}]*\} (\d+)/gm)].reduce(
        (n, m) => n + Number(m[1]),
        0,
      );
      const refused = Object.fromEntries(
        [...metrics.matchAll(/^heed_http_requests_refused_total\{reason="([a-z_]+)"\} (\d+)/gm)].map((m) => [
          m[1],
          Number(m[2]),
        ]),
      );
      const handlerErrors = heed!.lines().filter((l) => l['msg'] === 'request handler failed').length;
      const alive = heed!.alive() && health.status === 200;
      counted = true;
      tally.trial({ lost: unanswered.length, duplicated: 0, ok: alive && processErrors === 0 });
      tally.note(
        `sent ${sent.length}, answered ${answered} (${[...statuses].map(([s, n]) => `${n}×${s}`).join(' ')}), dropped ${sent.length - answered} (client went away); ` +
          `crashes ${alive ? 0 : 1}, unhandled errors ${processErrors}, process alive: ${alive ? 'yes' : 'no'}`,
      );
      expect(alive).toBe(true);
      expect(processErrors).toBe(0);
      expect(unanswered).toEqual([]);
      expect(handlerErrors).toBe(0);
      expect(refused['aborted']).toBeGreaterThanOrEqual(50);
      // The two declared too large always get their 413; the streamed ones get it unless reset first (above).
      expect(statuses.get(413)).toBeGreaterThanOrEqual(2);
      // Counted by Heed whatever the client saw: both declared, and both streams (Slack's and HubSpot's).
      expect(refused['too_large']).toBeGreaterThanOrEqual(4);
      expect(statuses.get(408)).toBe(3);
      expect(statuses.get(400)).toBeGreaterThanOrEqual(7);
      // Hostile but signed objects are refused at the edge (400), not failed inside Bolt (500 and an error line).
      expect(statuses.get(500) ?? 0).toBe(0);
      expect(
        heed!
          .lines()
          .filter((l) => Number(l['level']) >= 50)
          .map((l) => l['msg']),
      ).toEqual([]);
    } finally {
      if (!counted) tally.failed();
    }
  });
});
