import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/client.ts';
import { MIGRATIONS_ROOT, readMigrations } from '../../src/db/migrate.ts';
import { introspectPostgres, introspectSqlite, schemaDifferences } from '../../src/db/schema-drift.ts';
import { parseSchemaFile } from '../../src/db/schema-file.ts';
import { sqliteDate } from '../../src/db/sqlite-date.ts';
import { createTestDatabase, type TestDatabase, testProviders } from '../support/db.ts';

const schemaText = readFileSync(join(MIGRATIONS_ROOT, '..', 'schema.prisma'), 'utf8');
const models = parseSchemaFile(schemaText);

describe.each(testProviders())('migrations on %s', (provider) => {
  const created: TestDatabase[] = [];
  afterEach(async () => {
    for (const database of created.splice(0)) await database.drop();
  });

  async function fresh() {
    const database = await createTestDatabase(provider);
    created.push(database);
    return database;
  }

  it('creates every table of the schema on a fresh database, then finds nothing to do', async () => {
    const { url } = await fresh();
    const db = await openDatabase(url);
    try {
      expect(await db.pendingMigrations()).toEqual(readMigrations(provider).map((m) => m.name));
      const first = await db.migrate();
      expect(first.applied).toEqual(readMigrations(provider).map((m) => m.name));
      const second = await db.migrate();
      expect(second).toEqual({ applied: [], alreadyApplied: first.applied.length, warnings: [] });
      expect(await db.pendingMigrations()).toEqual([]);
      // Every model is usable through Prisma.
      for (const model of models) {
        const delegate = (db.prisma as unknown as Record<string, { count(): Promise<number> }>)[
          model.name[0]!.toLowerCase() + model.name.slice(1)
        ];
        expect(await delegate!.count()).toBe(0);
      }
    } finally {
      await db.close();
    }
  });

  it('records migrations in Prisma’s own table layout and checksum', async () => {
    const { url } = await fresh();
    const db = await openDatabase(url, { migrate: true });
    try {
      const rows = await db.prisma.$queryRawUnsafe<
        { migration_name: string; checksum: string; applied_steps_count: unknown; finished_at: unknown }[]
      >(
        'SELECT migration_name, checksum, applied_steps_count, finished_at FROM "_prisma_migrations" ORDER BY migration_name',
      );
      const files = readMigrations(provider);
      expect(rows.map((r) => [r.migration_name, r.checksum, Number(r.applied_steps_count)])).toEqual(
        files.map((f) => [f.name, f.checksum, 1]),
      );
      expect(rows.every((r) => r.finished_at !== null)).toBe(true);
    } finally {
      await db.close();
    }
  });

  it('matches prisma/schema.prisma exactly (drift check)', async () => {
    const { url } = await fresh();
    const db = await openDatabase(url, { migrate: true });
    try {
      const actual = db.provider === 'sqlite' ? introspectSqlite(db.sqlite) : await introspectPostgres(db.pg);
      expect(schemaDifferences(provider, models, actual)).toEqual([]);
      // The check itself must be able to fail: a column the migrations do not create is reported.
      const drifted = parseSchemaFile(schemaText.replace('model Portal {', 'model Portal {\n  extra String?'));
      expect(schemaDifferences(provider, drifted, actual)).toEqual([
        'column Portal.extra is in the schema but not in the database',
      ]);
    } finally {
      await db.close();
    }
  });

  it('stores dates so that raw SQL and Prisma agree on range filters', async () => {
    const { url } = await fresh();
    const db = await openDatabase(url, { migrate: true });
    try {
      const at = new Date('2026-03-29T01:30:00.000Z');
      await db.prisma.portal.create({ data: { id: '1', uiDomain: 'app.hubspot.com', updatedAt: at } });
      if (db.provider === 'sqlite') {
        db.sqlite
          .prepare('INSERT INTO "Portal" (id, "uiDomain", "updatedAt") VALUES (?, ?, ?)')
          .run('2', 'x', sqliteDate(new Date(at.getTime() + 1000)));
      } else {
        await db.pg.query('INSERT INTO "Portal" (id, "uiDomain", "updatedAt") VALUES ($1, $2, $3::timestamptz)', [
          '2',
          'x',
          new Date(at.getTime() + 1000).toISOString(),
        ]);
      }
      const rows = await db.prisma.portal.findMany({ where: { updatedAt: { gte: at } }, orderBy: { id: 'asc' } });
      expect(rows.map((r) => [r.id, r.updatedAt.toISOString()])).toEqual([
        ['1', '2026-03-29T01:30:00.000Z'],
        ['2', '2026-03-29T01:30:01.000Z'],
      ]);
    } finally {
      await db.close();
    }
  });

  it.runIf(provider === 'postgresql')('applies each migration once when replicas start together', async () => {
    const { url } = await fresh();
    const replicas = await Promise.all(Array.from({ length: 5 }, () => openDatabase(url)));
    try {
      const reports = await Promise.all(replicas.map((db) => db.migrate()));
      const appliedEverywhere = reports.flatMap((r) => r.applied).sort();
      expect(appliedEverywhere).toEqual(readMigrations(provider).map((m) => m.name));
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      const { rows } = await client.query(
        'SELECT migration_name, count(*)::int AS n FROM "_prisma_migrations" GROUP BY migration_name',
      );
      await client.end();
      expect(rows.every((r) => r.n === 1)).toBe(true);
    } finally {
      await Promise.all(replicas.map((db) => db.close()));
    }
  });

  it('refuses to start over a migration that failed half-way, naming the fix', async () => {
    const { url } = await fresh();
    const db = await openDatabase(url, { migrate: true });
    try {
      await db.prisma.$executeRawUnsafe(
        `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, applied_steps_count) VALUES ('x', 'y', '29990101000000_broken', ${provider === 'sqlite' ? '0' : 'now()'}, 0)`,
      );
      await expect(db.migrate()).rejects.toThrow(/29990101000000_broken started earlier but never finished/);
    } finally {
      await db.close();
    }
  });
});
