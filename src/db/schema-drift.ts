// Compares the tables a database really has with what prisma/schema.prisma describes. Used by the drift
// test (a schema change without a migration fails it, on both providers) and by the migration scaffolder.
import type BetterSqlite3 from 'better-sqlite3';
import type pg from 'pg';
import { type Provider, sqlType, type TableModel } from './schema-file.ts';

export type ActualColumn = { name: string; type: string; notNull: boolean; defaultSql: string | null };
export type ActualTable = {
  name: string;
  columns: ActualColumn[];
  primaryKey: string[];
  indexes: { name: string; columns: string[]; unique: boolean }[];
};

const IGNORED_TABLES = new Set(['_prisma_migrations', 'sqlite_sequence']);

export function introspectSqlite(db: BetterSqlite3.Database): ActualTable[] {
  // Plain numbers, whatever the connection's default (Prisma's connection returns BigInt).
  const all = (sql: string) => db.prepare(sql).safeIntegers(false).all();
  const tables = all(
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
  ) as {
    name: string;
  }[];
  return tables
    .filter((table) => !IGNORED_TABLES.has(table.name))
    .map(({ name }) => {
      const info = all(`PRAGMA table_info("${name}")`) as {
        name: string;
        type: string;
        notnull: number;
        dflt_value: string | null;
        pk: number;
      }[];
      const indexList = all(`PRAGMA index_list("${name}")`) as { name: string; unique: number; origin: string }[];
      return {
        name,
        columns: info.map((c) => ({
          name: c.name,
          type: c.type.toUpperCase(),
          notNull: c.notnull === 1 || c.pk > 0,
          defaultSql: c.dflt_value,
        })),
        primaryKey: info
          .filter((c) => c.pk > 0)
          .sort((a, b) => a.pk - b.pk)
          .map((c) => c.name),
        indexes: indexList
          .filter((index) => index.origin === 'c')
          .map((index) => ({
            name: index.name,
            unique: index.unique === 1,
            columns: (all(`PRAGMA index_info("${index.name}")`) as { name: string; seqno: number }[])
              .sort((a, b) => a.seqno - b.seqno)
              .map((c) => c.name),
          })),
      };
    });
}

export async function introspectPostgres(pool: pg.Pool): Promise<ActualTable[]> {
  const { rows: columns } = await pool.query<{
    table_name: string;
    column_name: string;
    data_type: string;
    datetime_precision: number | null;
    is_nullable: string;
    column_default: string | null;
  }>(
    `SELECT table_name, column_name, data_type, datetime_precision, is_nullable, column_default
       FROM information_schema.columns WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position`,
  );
  const { rows: indexes } = await pool.query<{
    table_name: string;
    index_name: string;
    is_unique: boolean;
    is_primary: boolean;
    columns: string[];
  }>(
    `SELECT t.relname AS table_name, i.relname AS index_name, ix.indisunique AS is_unique, ix.indisprimary AS is_primary,
            array_agg(a.attname ORDER BY k.ord)::text[] AS columns
       FROM pg_index ix
       JOIN pg_class t ON t.oid = ix.indrelid
       JOIN pg_class i ON i.oid = ix.indexrelid
       JOIN pg_namespace n ON n.oid = t.relnamespace AND n.nspname = current_schema()
       JOIN LATERAL unnest(ix.indkey) WITH ORDINALITY AS k(attnum, ord) ON true
       JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
      GROUP BY t.relname, i.relname, ix.indisunique, ix.indisprimary`,
  );
  const byTable = new Map<string, ActualTable>();
  for (const column of columns) {
    if (IGNORED_TABLES.has(column.table_name)) continue;
    const table = byTable.get(column.table_name) ?? {
      name: column.table_name,
      columns: [],
      primaryKey: [],
      indexes: [],
    };
    byTable.set(column.table_name, table);
    const type =
      column.data_type === 'timestamp without time zone'
        ? `TIMESTAMP(${column.datetime_precision})`
        : column.data_type.toUpperCase();
    // Normalise 'x'::text → 'x' so defaults compare with the schema's literals.
    const defaultSql = column.column_default?.replace(/::[a-z ]+$/i, '') ?? null;
    table.columns.push({ name: column.column_name, type, notNull: column.is_nullable === 'NO', defaultSql });
  }
  for (const index of indexes) {
    const table = byTable.get(index.table_name);
    if (!table) continue;
    if (index.is_primary) table.primaryKey = index.columns;
    else table.indexes.push({ name: index.index_name, columns: index.columns, unique: index.is_unique });
  }
  return [...byTable.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** Every difference between the schema file and the database, as readable lines; empty when they agree. */
export function schemaDifferences(provider: Provider, expected: TableModel[], actual: ActualTable[]): string[] {
  const out: string[] = [];
  const actualByName = new Map(actual.map((table) => [table.name, table]));
  for (const model of expected) {
    const table = actualByName.get(model.name);
    if (!table) {
      out.push(`table ${model.name} is in the schema but no migration creates it`);
      continue;
    }
    actualByName.delete(model.name);
    const columns = new Map(table.columns.map((column) => [column.name, column]));
    for (const field of model.fields) {
      const column = columns.get(field.name);
      if (!column) {
        out.push(`column ${model.name}.${field.name} is in the schema but not in the database`);
        continue;
      }
      columns.delete(field.name);
      const wantType = sqlType(provider, field.type);
      if (column.type !== wantType)
        out.push(`column ${model.name}.${field.name} is ${column.type}, the schema says ${wantType}`);
      if (column.notNull === field.optional) {
        out.push(
          `column ${model.name}.${field.name} is ${column.notNull ? 'NOT NULL' : 'nullable'}, the schema says ${field.optional ? 'optional' : 'required'}`,
        );
      }
      if ((column.defaultSql ?? undefined) !== field.defaultSql) {
        out.push(
          `column ${model.name}.${field.name} defaults to ${column.defaultSql ?? 'nothing'}, the schema says ${field.defaultSql ?? 'nothing'}`,
        );
      }
    }
    for (const extra of columns.keys())
      out.push(`column ${model.name}.${extra} is in the database but not in the schema`);
    if (table.primaryKey.join(',') !== model.primaryKey.join(',')) {
      out.push(
        `table ${model.name} has primary key (${table.primaryKey.join(', ')}), the schema says (${model.primaryKey.join(', ')})`,
      );
    }
    const indexKey = (index: { columns: string[]; unique: boolean }) =>
      `${index.unique ? 'unique' : 'index'}(${index.columns.join(',')})`;
    const actualIndexes = new Set(table.indexes.map(indexKey));
    const expectedIndexes = new Set(model.indexes.map(indexKey));
    for (const index of expectedIndexes)
      if (!actualIndexes.has(index)) out.push(`${model.name}: ${index} is in the schema but not in the database`);
    for (const index of actualIndexes)
      if (!expectedIndexes.has(index)) out.push(`${model.name}: ${index} is in the database but not in the schema`);
  }
  for (const extra of actualByName.keys()) out.push(`table ${extra} is in the database but not in the schema`);
  return out;
}
