// Scaffolds a migration for both providers from the difference between prisma/schema.prisma and what the
// committed migrations create: new tables, new columns, new indexes. Anything else (a changed type, a dropped
// column) is listed for you to write by hand. Usage: npm run db:migration -- <name>
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { applyMigrations, MIGRATIONS_ROOT, readMigrations } from '../src/db/migrate.ts';
import { introspectSqlite, schemaDifferences } from '../src/db/schema-drift.ts';
import { createTablesSql, type Provider, parseSchemaFile, sqlType, type TableModel } from '../src/db/schema-file.ts';

const name = process.argv[2];
if (!name || !/^[a-z0-9_]+$/.test(name)) {
  console.error('usage: npm run db:migration -- <name_in_snake_case>');
  process.exit(2);
}
const models = parseSchemaFile(readFileSync(join(MIGRATIONS_ROOT, '..', 'schema.prisma'), 'utf8'));
const scratch = new Database(':memory:');
await applyMigrations({ provider: 'sqlite', sqlite: scratch }, readMigrations('sqlite'));
const actual = introspectSqlite(scratch);
const existing = new Map(actual.map((table) => [table.name, table]));

function sqlFor(provider: Provider): string {
  const parts: string[] = [];
  const newTables = models.filter((model) => !existing.has(model.name));
  if (newTables.length > 0) parts.push(createTablesSql(provider, newTables));
  for (const model of models) {
    const table = existing.get(model.name);
    if (!table) continue;
    const columns = new Set(table.columns.map((c) => c.name));
    for (const field of model.fields.filter((f) => !columns.has(f.name))) {
      if (!field.optional && field.defaultSql === undefined) {
        throw new Error(
          `${model.name}.${field.name} is required without a default: existing rows need a value; add @default or make it optional`,
        );
      }
      const def = field.defaultSql === undefined ? '' : ` DEFAULT ${field.defaultSql}`;
      parts.push(
        `-- AlterTable\nALTER TABLE "${model.name}" ADD COLUMN "${field.name}" ${sqlType(provider, field.type)}${field.optional ? '' : ' NOT NULL'}${def};\n`,
      );
    }
    const have = new Set(table.indexes.map((i) => `${i.unique}:${i.columns.join(',')}`));
    const missing: TableModel = {
      ...model,
      indexes: model.indexes.filter((i) => !have.has(`${i.unique}:${i.columns.join(',')}`)),
    };
    if (missing.indexes.length > 0)
      parts.push(createTablesSql(provider, [missing]).replace(/-- CreateTable[\s\S]*?\);\n\n?/, ''));
  }
  return parts.join('\n');
}

const sqlite = sqlFor('sqlite');
if (!sqlite.trim()) {
  console.log('Nothing to scaffold: the migrations already create everything new in the schema.');
} else {
  const stamp = new Date().toISOString().replace(/\D/g, '').slice(0, 14);
  for (const provider of ['sqlite', 'postgresql'] as const) {
    const dir = join(MIGRATIONS_ROOT, provider, `${stamp}_${name}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'migration.sql'), provider === 'sqlite' ? sqlite : sqlFor('postgresql'));
    console.log(`wrote ${dir}/migration.sql`);
  }
}
const scaffoldedDb = new Database(':memory:');
await applyMigrations({ provider: 'sqlite', sqlite: scaffoldedDb }, readMigrations('sqlite'));
const remaining = schemaDifferences('sqlite', models, introspectSqlite(scaffoldedDb));
if (remaining.length > 0) {
  console.log('Write these by hand in the new migration (both providers):');
  for (const line of remaining) console.log(`  - ${line}`);
}
