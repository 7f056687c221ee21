import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { type Route, startRouteServer } from '../../src/http/routes.ts';
import { createLogger } from '../../src/logger.ts';
import { createRequestContext } from '../../src/ops/request-context.ts';
import { httpGet } from './prom-text.ts';

function capture(mixin: () => Record<string, unknown>) {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({
    level: 'debug',
    mixin,
    destination: new Writable({
      write(chunk, _encoding, done) {
        lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
        done();
      },
    }),
  });
  return { logger, lines };
}

describe('request context', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
    close = undefined;
  });

  it('puts the request id on every line logged while a request is handled, by any logger holder', async () => {
    const context = createRequestContext();
    const { logger, lines } = capture(context.mixin);
    // A handler that knows nothing of requests, logging through the process logger across awaits.
    const route: Route = {
      path: '/work',
      method: 'GET',
      handler: async (req, res) => {
        const name = new URL(req.url ?? '/', 'http://x').searchParams.get('name');
        logger.info({ name }, 'started');
        await new Promise((r) => setTimeout(r, name === 'slow' ? 60 : 5));
        logger.child({ component: 'repo' }).warn({ name }, 'halfway');
        res.end('ok');
      },
    };
    const { server, port } = await startRouteServer(context.wrap([route], logger), 0, logger);
    close = () => new Promise<void>((r) => server.close(() => r()));
    const base = `http://127.0.0.1:${port}/work`;
    // Two requests at once: their lines must not get each other's ids.
    const [slow, fast] = await Promise.all([
      httpGet(`${base}?name=slow`, { 'x-request-id': 'req-slow' }),
      httpGet(`${base}?name=fast`),
    ]);
    expect(slow.headers['x-request-id']).toBe('req-slow');
    const fastId = fast.headers['x-request-id'];
    expect(fastId).toMatch(/^[0-9a-f-]{36}$/);
    await new Promise((r) => setTimeout(r, 20));
    logger.info('outside any request');
    const byName = (name: string) => lines.filter((line) => line['name'] === name).map((line) => line['requestId']);
    expect(byName('slow')).toEqual(['req-slow', 'req-slow']);
    expect(byName('fast')).toEqual([fastId, fastId]);
    const finished = lines.filter((line) => line['msg'] === 'request finished');
    expect(finished.map((line) => line['requestId']).sort()).toEqual([fastId, 'req-slow'].sort());
    expect(finished[0]).toMatchObject({ method: 'GET', path: '/work', status: 200 });
    expect(lines.at(-1)).not.toHaveProperty('requestId');
  });
});
