// Heed's one HTTP server and its error boundary: whatever a handler or a client does, the request is answered or
// dropped, the next request is served, and nothing becomes an unhandled rejection (vitest fails the run on one).
import type { IncomingMessage } from 'node:http';
import { connect } from 'node:net';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Route } from '../../src/http/routes.ts';
import { ACCEPTORS, type RefusalReason, type RunningServer, startHttpServer } from '../../src/http/server.ts';
import { burstWhileHeld } from '../slack/support/burst.ts';
import { captureLogger } from '../slack/support/capture-logger.ts';

/** Reads the body the way the HubSpot webhook handler does (for await): a cut-off body rejects with ECONNRESET. */
async function readAll(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString();
}

/** Sends raw bytes and returns what came back (empty when the server closed without answering). */
function raw(port: number, request: string, options: { closeAfterWrite?: boolean } = {}): Promise<string> {
  return new Promise((resolveRaw) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.on('data', (chunk) => (answer += chunk));
    socket.on('error', () => resolveRaw(answer));
    socket.on('close', () => resolveRaw(answer));
    socket.write(request, () => {
      if (options.closeAfterWrite) socket.destroy();
    });
  });
}

describe('the HTTP server', () => {
  // Raw sockets, cut off and trickled on purpose: nock's interception (test/support/setup.ts) would buffer and close
  // them on its own terms, so the server would never see what a real client does. Nothing here leaves the machine.
  beforeAll(() => nock.restore());
  afterAll(() => nock.activate());
  let running: RunningServer | undefined;
  const refused: RefusalReason[] = [];
  const log = captureLogger();
  afterEach(async () => {
    await running?.close();
    running = undefined;
    refused.length = 0;
  });

  async function serve(routes: Route[], requestTimeoutMs?: number) {
    running = await startHttpServer({
      routes,
      port: 0,
      logger: log.logger,
      events: { refused: (reason) => refused.push(reason) },
      ...(requestTimeoutMs ? { requestTimeoutMs, headersTimeoutMs: requestTimeoutMs } : {}),
    });
    return `http://127.0.0.1:${running.port}`;
  }

  const echo: Route = {
    path: '/echo',
    method: 'POST',
    maxBodyBytes: 1000,
    handler: async (req, res) => {
      const body = await readAll(req);
      res.writeHead(200).end(`got ${body.length}`);
    },
  };
  const ok: Route = { path: '/ok', method: 'GET', handler: (_req, res) => void res.writeHead(200).end('ok') };

  it('answers 500 for a handler that throws or rejects, with the request id, and keeps serving', async () => {
    const base = await serve([
      ok,
      {
        path: '/throws',
        method: 'GET',
        handler: () => {
          throw new TypeError("Cannot read properties of null (reading 'ssl_check')");
        },
      },
      { path: '/rejects', method: 'GET', handler: async () => Promise.reject(new Error('the database went away')) },
      {
        path: '/late',
        method: 'GET',
        handler: async (_req, res) => {
          res.writeHead(200);
          res.write('half');
          await Promise.reject(new Error('failed after the answer started'));
        },
      },
    ]);
    for (const path of ['/throws', '/rejects']) {
      const answer = await fetch(`${base}${path}`, { headers: { 'x-request-id': 'probe-9' } });
      expect(answer.status).toBe(500);
      expect(await answer.json()).toEqual({ error: 'internal_error' });
    }
    // The answer had started: the connection is cut so the client sees an incomplete answer, not a false 200.
    await expect(fetch(`${base}/late`).then((r) => r.text())).rejects.toThrow();
    expect((await fetch(`${base}/ok`)).status).toBe(200);
    expect(refused).toEqual(['handler_error', 'handler_error', 'handler_error']);
    const errors = log.lines().filter((l) => l['msg'] === 'request handler failed');
    expect(errors.map((l) => l['path'])).toEqual(['/throws', '/rejects', '/late']);
  });

  it('drops a body the client cut off mid-way, without an unhandled rejection, and serves the next request', async () => {
    const base = await serve([echo, ok]);
    const port = Number(new URL(base).port);
    const seen = await raw(
      port,
      'POST /echo HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 900\r\n\r\n{"eventId":1,',
      { closeAfterWrite: true },
    );
    expect(seen).toBe('');
    await new Promise((r) => setTimeout(r, 100));
    expect(refused).toEqual(['aborted']);
    expect((await fetch(`${base}/ok`)).status).toBe(200);
    const complete = await fetch(`${base}/echo`, { method: 'POST', body: 'x'.repeat(900) });
    expect(await complete.text()).toBe('got 900');
  });

  it('refuses a body declared over the route limit (413) before the handler reads it', async () => {
    let handled = 0;
    const base = await serve([
      {
        ...echo,
        handler: async (req, res) => {
          handled++;
          await echo.handler(req, res);
        },
      },
    ]);
    const answer = await fetch(`${base}/echo`, { method: 'POST', body: 'x'.repeat(1001) });
    expect(answer.status).toBe(413);
    expect(await answer.json()).toEqual({ error: 'payload_too_large', limit: 1000 });
    expect(handled).toBe(0);
    expect(refused).toEqual(['too_large']);
  });

  it('answers a body that trickles in too slowly with 408 instead of holding the connection', async () => {
    const base = await serve([echo], 300);
    const port = Number(new URL(base).port);
    const answer = await raw(port, 'POST /echo HTTP/1.1\r\nhost: x\r\ncontent-length: 500\r\n\r\nabc');
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
  });

  it('answers 404 and 405, and a malformed request line with 400', async () => {
    const base = await serve([ok]);
    expect((await fetch(`${base}/nope`)).status).toBe(404);
    expect((await fetch(`${base}/ok`, { method: 'DELETE' })).status).toBe(405);
    const port = Number(new URL(base).port);
    expect(await raw(port, 'NOT HTTP AT ALL\r\n\r\n')).toMatch(/^HTTP\/1\.1 400/);
    expect((await fetch(`${base}/ok`)).status).toBe(200);
  });

  /**
   * Sends `count` requests at once from another process (as Slack does, from elsewhere) while this process's loop is
   * held, then lets the loop turn, each turn 2 ms of other work: how many turns until every connection was accepted.
   */
  async function turnsToAccept(acceptors: number, count: number) {
    let turn = 0;
    const acceptedAt: number[] = [];
    running = await startHttpServer({ routes: [echo], port: 0, logger: log.logger, acceptors });
    running.server.on('connection', () => acceptedAt.push(turn));
    const requests = Array.from({ length: count }, () => ({ body: 'hello', headers: {} }));
    // Every connection waits in the kernel's queue while this loop is busy, as a Heed in the middle of other work.
    const burst = await burstWhileHeld(`http://127.0.0.1:${running.port}/echo`, requests, 600);
    try {
      let turning = true;
      const spin = () => {
        const started = performance.now();
        while (performance.now() - started < 2) {
          // other work in this turn
        }
        turn++;
        if (turning) setImmediate(spin);
      };
      setImmediate(spin);
      const answers = await burst.answers;
      turning = false;
      expect(answers.map((a) => a.status)).toEqual(answers.map(() => 200));
      expect(acceptedAt).toHaveLength(count);
      return Math.max(...acceptedAt) - Math.min(...acceptedAt) + 1;
    } finally {
      burst.kill();
    }
  }

  it.runIf(process.platform === 'linux')(
    `accepts a burst of connections up to ${ACCEPTORS} per turn of the event loop (one listening socket: one per turn)`,
    async () => {
      // libuv accepts one connection per listening socket per turn: 200 connections need 200 turns with one socket.
      expect(await turnsToAccept(1, 200)).toBeGreaterThanOrEqual(150);
      await running?.close();
      // With the group, a turn accepts from each socket (the kernel spreads connections over them by address).
      expect(await turnsToAccept(ACCEPTORS, 200)).toBeLessThanOrEqual(60);
    },
  );

  it('still refuses a port another server holds (EADDRINUSE), and stops accepting on every socket when closed', async () => {
    const base = await serve([ok]);
    const port = Number(new URL(base).port);
    await expect(startHttpServer({ routes: [ok], port, logger: log.logger })).rejects.toMatchObject({
      code: 'EADDRINUSE',
    });
    await expect(startHttpServer({ routes: [ok], port, logger: log.logger, acceptors: 1 })).rejects.toMatchObject({
      code: 'EADDRINUSE',
    });
    expect((await fetch(`${base}/ok`)).status).toBe(200);
    await running!.close();
    running = undefined;
    // Every socket of the group is closed: no connection is accepted (on any of them) after close.
    for (let i = 0; i < 20; i++) {
      await expect(fetch(`${base}/ok`)).rejects.toThrow();
    }
  });
});
