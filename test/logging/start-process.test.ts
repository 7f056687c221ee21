// The whole of `heed start` as a separate process, everything configured with known secrets and LOG_LEVEL=trace:
// HubSpot (the simulator) and Slack (the fake Web API) on 127.0.0.1, a signed Slack command and a forged one, a
// signed HubSpot webhook whose ticket is then fetched, probes with an Authorization header, then SIGTERM. Its
// stdout and stderr — what an operator's log collector would keep — are searched for every secret.
import { type ChildProcess, spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SimPortal } from '../../src/hubspot/simulator/portal.ts';
import { type Simulator, startSimulator } from '../../src/hubspot/simulator/server.ts';
import { signV3 } from '../../src/hubspot/webhook-signature.ts';
import { FakeSlackServer } from '../../src/slack/fake-slack-server.ts';
import { createTestDatabase, type TestDatabase, testProviders } from '../support/db.ts';

const HEED = join(import.meta.dirname, '..', '..', 'bin', 'heed.js');

const SECRETS = {
  SLACK_BOT_TOKEN: 'xoxb-2233445566-7788990011-Yt5rE4wQ3aZ2sX1cD9vF8bG7',
  SLACK_SIGNING_SECRET: '0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d',
  HUBSPOT_ACCESS_TOKEN: 'pat-na1-0f1e2d3c-4b5a-4968-8776-655443322110',
  HUBSPOT_CLIENT_SECRET: 'e1d2c3b4-a596-4877-9685-a4b3c2d1e0f9',
  AUTHORIZATION: 'Bearer zz-ProbeAuthSecret-a1b2c3d4e5f6',
  PG_PASSWORD: 'StartPgPassw0rdSecret77',
};

type Reply = { status: number; body: string };

function send(url: string, method: string, body: string | undefined, headers: Record<string, string>): Promise<Reply> {
  return new Promise((resolveSend, rejectSend) => {
    const req = request(url, { method, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolveSend({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', rejectSend);
    req.end(body);
  });
}

describe('heed start, logging at trace with every secret configured', () => {
  let child: ChildProcess | undefined;
  let sim: Simulator | undefined;
  let slack: FakeSlackServer | undefined;
  let database: TestDatabase | undefined;
  afterEach(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await sim?.close();
    await slack?.stop();
    await database?.drop();
  });

  it('never writes a secret to stdout or stderr', async () => {
    const provider = testProviders().at(-1)!;
    database = await createTestDatabase(provider);
    let databaseUrl = database.url;
    if (provider === 'postgresql') {
      // The test server trusts local connections, so a password in the URL is accepted and ignored.
      const url = new URL(database.url);
      url.password = SECRETS.PG_PASSWORD;
      databaseUrl = url.toString();
    }
    sim = await startSimulator({
      portal: new SimPortal({ now: Date.now(), tickets: 10, seed: 5 }),
      accessToken: SECRETS.HUBSPOT_ACCESS_TOKEN,
    });
    slack = await new FakeSlackServer().start();
    slack.addChannel({ id: 'C0SUPPORT', name: 'support' });
    const cwd = mkdtempSync(join(tmpdir(), 'heed-start-'));
    child = spawn(process.execPath, [HEED, 'start'], {
      cwd,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        LOG_LEVEL: 'trace',
        PORT: '0',
        DATABASE_URL: databaseUrl,
        HEED_CONFIG: join(cwd, 'heed.config.json'),
        SLACK_BOT_TOKEN: SECRETS.SLACK_BOT_TOKEN,
        SLACK_SIGNING_SECRET: SECRETS.SLACK_SIGNING_SECRET,
        SLACK_API_URL: slack.apiUrl,
        HUBSPOT_ACCESS_TOKEN: SECRETS.HUBSPOT_ACCESS_TOKEN,
        HUBSPOT_CLIENT_SECRET: SECRETS.HUBSPOT_CLIENT_SECRET,
        HUBSPOT_API_URL: sim.url,
      },
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const exited = new Promise<number | null>((resolveExit) => child!.once('exit', (code) => resolveExit(code)));

    // The port comes from the "listening" line.
    const deadline = Date.now() + 40_000;
    let port: number | undefined;
    while (port === undefined) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`heed start did not come up:\n${stderr}`);
      const line = stdout.split('\n').find((l) => l.includes('"Heed is listening"'));
      if (line) port = (JSON.parse(line) as { port: number }).port;
      else await new Promise((r) => setTimeout(r, 100));
    }
    const base = `http://127.0.0.1:${port}`;
    const probeHeaders = { authorization: SECRETS.AUTHORIZATION, 'x-request-id': 'probe-7' };
    expect((await send(`${base}/healthz`, 'GET', undefined, probeHeaders)).status).toBe(200);
    expect([200, 503]).toContain((await send(`${base}/readyz`, 'GET', undefined, probeHeaders)).status);
    expect(
      (await send(`${base}/metrics?token=${SECRETS.SLACK_BOT_TOKEN}`, 'GET', undefined, probeHeaders)).status,
    ).toBe(200);

    // A Slack command, signed as Slack signs it, and a forged one.
    const command = new URLSearchParams({
      command: '/heed',
      text: 'status',
      user_id: 'U1',
      channel_id: 'C0SUPPORT',
      team_id: 'T1',
      token: 'legacy-verification-token',
      response_url: `${slack.url}/response/1`,
      trigger_id: '1.2.3',
    }).toString();
    const ts = String(Math.floor(Date.now() / 1000));
    const slackSig = (secret: string) =>
      `v0=${createHmac('sha256', secret).update(`v0:${ts}:${command}`).digest('hex')}`;
    const slackHeaders = {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': ts,
      ...probeHeaders,
    };
    const signed = await send(`${base}/slack/events`, 'POST', command, {
      ...slackHeaders,
      'x-slack-signature': slackSig(SECRETS.SLACK_SIGNING_SECRET),
    });
    expect(signed.status).toBe(200);
    const forged = await send(`${base}/slack/events`, 'POST', command, {
      ...slackHeaders,
      'x-slack-signature': slackSig('guessed'),
    });
    expect(forged.status).toBe(401);

    // A HubSpot webhook for an existing ticket: answered at once, the ticket fetched afterwards.
    const ticketId = sim.portal.ticketId(0);
    const hook = JSON.stringify([
      {
        eventId: 4242,
        subscriptionId: 1,
        portalId: sim.portal.portalId,
        appId: 1,
        occurredAt: Date.now(),
        subscriptionType: 'ticket.propertyChange',
        attemptNumber: 0,
        objectId: Number(ticketId),
        propertyName: 'subject',
        propertyValue: 'changed',
        changeSource: 'CRM',
      },
    ]);
    const hookUrl = `${base}/hubspot/webhooks`;
    const hookTs = String(Date.now());
    const hookAnswer = await send(hookUrl, 'POST', hook, {
      'content-type': 'application/json',
      'x-hubspot-request-timestamp': hookTs,
      'x-hubspot-signature-v3': signV3(SECRETS.HUBSPOT_CLIENT_SECRET, 'POST', hookUrl, hook, hookTs),
      ...probeHeaders,
    });
    expect(hookAnswer.status).toBe(204);
    const fetchDeadline = Date.now() + 10_000;
    while (!sim.counts.get('POST /crm/objects/2026-09/tickets/batch/read') && Date.now() < fetchDeadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(sim.counts.get('POST /crm/objects/2026-09/tickets/batch/read')).toBeGreaterThan(0);

    child.kill('SIGTERM');
    expect(await exited).toBe(0);

    const output = stdout + stderr;
    const leaks = Object.entries(SECRETS).flatMap(([name, secret]) =>
      [secret, secret.slice(-14)].filter((needle) => output.includes(needle)).map((needle) => `${name} (${needle})`),
    );
    expect(leaks).toEqual([]);
    // Not a terminal: one JSON object per line, and the verbose levels LOG_LEVEL asked for are there.
    const lines = stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.some((line) => (line['level'] as number) <= 20)).toBe(true);
    expect(lines.some((line) => line['msg'] === 'Heed stopped')).toBe(true);
    // The Slack command's lines (Bolt's own included) carry an id too: the interaction's trigger id.
    expect(lines.some((line) => line['component'] === 'bolt' && line['requestId'] === '1.2.3')).toBe(true);
    // Lines of an incoming request carry its id (the caller's X-Request-Id here).
    expect(
      lines.some(
        (line) =>
          line['msg'] === 'request finished' && line['requestId'] === 'probe-7' && line['path'] === '/hubspot/webhooks',
      ),
    ).toBe(true);
    expect(output).toContain('signature mismatch');
  }, 90_000);
});
