import type { Server } from 'node:http';
import { createServer, type Socket, connect as tcpConnect } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/client.ts';
import { healthRoute, startRouteServer } from '../../src/http/routes.ts';
import { silentLogger } from '../../src/logger.ts';
import { checkReadiness, type ReadinessDeps, readinessRoute } from '../../src/ops/readiness.ts';
import { createTestDatabase, type OpenTestDb, openTestDb, testProviders } from '../support/db.ts';
import { httpGet } from './prom-text.ts';

const NOW = new Date('2026-11-23T12:00:00.000Z');
const minutesAgo = (m: number) => new Date(NOW.getTime() - m * 60_000);
const config = { policy: { operations: { retentionDays: 180, readyMaxSyncAgeMinutes: 30 } } };

describe.each(testProviders())('/readyz on %s', (provider) => {
  let db: OpenTestDb;
  let server: Server | undefined;
  let disposed = false;

  beforeEach(async () => {
    db = await openTestDb(provider);
    disposed = false;
  });
  afterEach(async () => {
    if (server) await new Promise<void>((r) => server!.close(() => r()));
    server = undefined;
    if (!disposed) await db.dispose();
  });

  const sync = (id: string, status: string, finishedMinutesAgo: number) =>
    db.prisma.syncRun.create({
      data: {
        id,
        kind: 'incremental',
        status,
        startedAt: minutesAgo(finishedMinutesAgo + 1),
        finishedAt: minutesAgo(finishedMinutesAgo),
      },
    });

  async function probe(deps: Partial<ReadinessDeps> = {}) {
    const routes = [
      readinessRoute({ db, config, clock: () => NOW, logger: silentLogger(), ...deps }),
      healthRoute({ db, logger: silentLogger() }),
    ];
    const started = await startRouteServer(routes, 0, silentLogger());
    server = started.server;
    const response = await httpGet(`http://127.0.0.1:${started.port}/readyz`, { 'x-request-id': 'probe-1' });
    return { status: response.status, body: JSON.parse(response.body), headers: response.headers, port: started.port };
  }

  it('is not ready before the first successful sync', async () => {
    await sync('failed', 'failed', 1);
    const { status, body, headers } = await probe();
    expect(status).toBe(503);
    expect(body).toEqual({
      status: 'not_ready',
      reasons: ['no successful HubSpot sync yet'],
      database: 'ok',
      migrations: 'current',
    });
    expect(headers['x-request-id']).toBe('probe-1');
  });

  it('is ready when the database answers, migrations are current and the last good sync is recent', async () => {
    await sync('ok', 'ok', 10);
    await sync('failed-since', 'failed', 1);
    const { status, body } = await probe();
    expect(status).toBe(200);
    expect(body).toEqual({
      status: 'ready',
      database: 'ok',
      migrations: 'current',
      sync: 'fresh',
      lastSyncAt: minutesAgo(10).toISOString(),
      syncAgeMinutes: 10,
    });
  });

  it('does not wait for a sync when this Heed has none (no HubSpot token), but still checks the database', async () => {
    const { status, body } = await probe({ requireSync: false });
    expect(status).toBe(200);
    expect(body).toEqual({ status: 'ready', database: 'ok', migrations: 'current', sync: 'off' });
    await sync('stale', 'ok', 600);
    expect((await checkReadiness({ db, config, clock: () => NOW, requireSync: false })).status).toBe('ready');
  });

  it.each([
    [30, 200],
    [31, 503],
  ])('with the last good sync %i minutes old answers %i (limit 30)', async (age, expected) => {
    await sync('ok', 'ok', age);
    const { status, body } = await probe();
    expect(status).toBe(expected);
    if (expected === 503) {
      expect(body.reasons).toEqual([
        `the last successful HubSpot sync finished ${age} minutes ago (operations.readyMaxSyncAgeMinutes is 30)`,
      ]);
    }
  });

  it('is not ready while a migration is pending, and names it', async () => {
    await sync('ok', 'ok', 1);
    const [last] = await db.prisma.$queryRawUnsafe<{ migration_name: string }[]>(
      'SELECT migration_name FROM "_prisma_migrations" ORDER BY migration_name DESC LIMIT 1',
    );
    await db.prisma.$executeRawUnsafe(
      `DELETE FROM "_prisma_migrations" WHERE migration_name = '${last!.migration_name}'`,
    );
    const { status, body } = await probe();
    expect(status).toBe(503);
    expect(body.migrations).toBe('pending');
    expect(body.pendingMigrations).toEqual([last!.migration_name]);
    expect(body.reasons).toEqual([`migrations pending: ${last!.migration_name} (run \`heed migrate\`)`]);
  });

  it('answers 503 at once when the database is gone, while /healthz still answers', async () => {
    await sync('ok', 'ok', 1);
    const routes = [readinessRoute({ db, config, clock: () => NOW }), healthRoute({ db, logger: silentLogger() })];
    const started = await startRouteServer(routes, 0, silentLogger());
    server = started.server;
    await db.dispose();
    disposed = true;
    const before = Date.now();
    const ready = await httpGet(`http://127.0.0.1:${started.port}/readyz`);
    expect(Date.now() - before).toBeLessThan(2500);
    expect(ready.status).toBe(503);
    const body = JSON.parse(ready.body);
    expect(body.status).toBe('not_ready');
    expect(body.database).toBe('unreachable');
    expect(body.reasons[0]).toMatch(/^database unreachable: /);
    // Liveness is not readiness: a restart does not bring a database back, so /healthz stays 200.
    const health = await httpGet(`http://127.0.0.1:${started.port}/healthz`);
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body)).toMatchObject({ database: 'unreachable' });
  });
});

/** A TCP relay in front of PostgreSQL that can go silent, like a server that stopped answering. */
async function silentableProxy(target: { host: string; port: number }) {
  const sockets = new Set<Socket>();
  let silent = false;
  const server = createServer((client) => {
    const upstream = tcpConnect(target.port, target.host);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => sockets.delete(socket));
    }
    client.on('data', (chunk) => {
      if (!silent) upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      if (!silent) client.write(chunk);
    });
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as { port: number }).port,
    goSilent: () => {
      silent = true;
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

describe.skipIf(!testProviders().includes('postgresql'))('/readyz with a PostgreSQL that stops answering', () => {
  it('gives up after its timeout instead of hanging the probe', async () => {
    const database = await createTestDatabase('postgresql');
    const url = new URL(database.url);
    const proxy = await silentableProxy({ host: url.hostname, port: Number(url.port) });
    url.port = String(proxy.port);
    const db = await openDatabase(url.toString(), { migrate: true });
    try {
      await db.prisma.syncRun.create({
        data: { id: 'ok', kind: 'incremental', status: 'ok', startedAt: minutesAgo(2), finishedAt: minutesAgo(1) },
      });
      const deps = { db, config, clock: () => NOW, timeoutMs: 300 };
      expect((await checkReadiness(deps)).status).toBe('ready');
      proxy.goSilent();
      const before = Date.now();
      const readiness = await checkReadiness(deps);
      expect(Date.now() - before).toBeLessThan(1500);
      expect(readiness).toEqual({
        status: 'not_ready',
        reasons: ['database unreachable: no answer within 300 ms from the database'],
        database: 'unreachable',
      });
    } finally {
      await proxy.close();
      await db.close().catch(() => undefined);
      await database.drop();
    }
  });
});
