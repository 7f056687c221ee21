// A reader for the subset of the Prisma schema language Heed uses (scalar fields, @id, @unique, @default,
// @@id, @@unique, @@index). Prisma's own schema engine cannot run offline, so the drift test and the
// migration scaffolder derive the expected tables from prisma/schema.prisma with this instead.

export type ScalarType = 'String' | 'Int' | 'BigInt' | 'Float' | 'Boolean' | 'DateTime';

export type FieldModel = {
  name: string;
  type: ScalarType;
  optional: boolean;
  /** The default as SQL literal text, if any (`now()`-style defaults are not used by Heed). */
  defaultSql: string | undefined;
};

export type IndexModel = { columns: string[]; unique: boolean; name: string };

export type TableModel = {
  name: string;
  fields: FieldModel[];
  primaryKey: string[];
  indexes: IndexModel[];
};

const SCALARS = new Set<ScalarType>(['String', 'Int', 'BigInt', 'Float', 'Boolean', 'DateTime']);

function defaultToSql(raw: string): string {
  if (raw === 'true' || raw === 'false') return raw;
  if (/^-?\d+(\.\d+)?$/.test(raw)) return raw;
  if (raw.startsWith('"') && raw.endsWith('"')) return `'${raw.slice(1, -1).replace(/'/g, "''")}'`;
  throw new Error(`schema-file: unsupported default ${raw}`);
}

const listOf = (text: string) =>
  text
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);

export function parseSchemaFile(text: string): TableModel[] {
  const tables: TableModel[] = [];
  // Line by line, not by regex over braces: a default such as @default("{}") holds braces too.
  const blocks: { name: string; lines: string[] }[] = [];
  let current: { name: string; lines: string[] } | undefined;
  for (const rawLine of text.split('\n')) {
    const line = rawLine.replace(/^((?:[^"/]|"[^"]*"|\/(?!\/))*)\/\/.*$/, '$1').trim();
    const start = /^model\s+(\w+)\s*\{$/.exec(line);
    if (start) current = { name: start[1]!, lines: [] };
    else if (current && line === '}') {
      blocks.push(current);
      current = undefined;
    } else if (current) current.lines.push(line);
  }
  for (const { name, lines } of blocks) {
    const body = lines.join('\n');
    const table: TableModel = { name, fields: [], primaryKey: [], indexes: [] };
    for (const rawLine of body.split('\n')) {
      const line = rawLine.trim();
      if (!line) continue;
      const block = /^@@(id|unique|index)\(\[([^\]]*)\]/.exec(line);
      if (block) {
        const columns = listOf(block[2]!);
        if (block[1] === 'id') table.primaryKey = columns;
        else {
          const unique = block[1] === 'unique';
          table.indexes.push({ columns, unique, name: `${name}_${columns.join('_')}_${unique ? 'key' : 'idx'}` });
        }
        continue;
      }
      const field = /^(\w+)\s+(\w+)(\?)?(.*)$/.exec(line);
      if (!field) throw new Error(`schema-file: cannot read line in model ${name}: ${line}`);
      const [, fieldName, type, optional, attributes] = field as unknown as [
        string,
        string,
        string,
        string | undefined,
        string,
      ];
      if (!SCALARS.has(type as ScalarType))
        throw new Error(`schema-file: ${name}.${fieldName} has unsupported type ${type}`);
      const defaultMatch = /@default\(([^)]*)\)/.exec(attributes);
      table.fields.push({
        name: fieldName,
        type: type as ScalarType,
        optional: optional === '?',
        defaultSql: defaultMatch ? defaultToSql(defaultMatch[1]!.trim()) : undefined,
      });
      if (/@id\b/.test(attributes)) table.primaryKey = [fieldName];
      if (/@unique\b/.test(attributes)) {
        table.indexes.push({ columns: [fieldName], unique: true, name: `${name}_${fieldName}_key` });
      }
    }
    if (table.primaryKey.length === 0) throw new Error(`schema-file: model ${name} has no @id or @@id`);
    tables.push(table);
  }
  return tables;
}

export type Provider = 'sqlite' | 'postgresql';

const SQL_TYPES: Record<Provider, Record<ScalarType, string>> = {
  sqlite: { String: 'TEXT', Int: 'INTEGER', BigInt: 'BIGINT', Float: 'REAL', Boolean: 'BOOLEAN', DateTime: 'DATETIME' },
  postgresql: {
    String: 'TEXT',
    Int: 'INTEGER',
    BigInt: 'BIGINT',
    Float: 'DOUBLE PRECISION',
    Boolean: 'BOOLEAN',
    DateTime: 'TIMESTAMP(3)',
  },
};

export function sqlType(provider: Provider, type: ScalarType): string {
  return SQL_TYPES[provider][type];
}

/** The DDL Prisma would write for a fresh database, in its own style (used to scaffold migrations). */
export function createTablesSql(provider: Provider, tables: TableModel[]): string {
  const out: string[] = [];
  for (const table of tables) {
    const singlePk = provider === 'sqlite' && table.primaryKey.length === 1 ? table.primaryKey[0] : undefined;
    const columns = table.fields.map((field) => {
      let column = `    "${field.name}" ${sqlType(provider, field.type)}${field.optional ? '' : ' NOT NULL'}`;
      if (field.name === singlePk) column += ' PRIMARY KEY';
      if (field.defaultSql !== undefined) column += ` DEFAULT ${field.defaultSql}`;
      return column;
    });
    if (!singlePk) {
      const keys = table.primaryKey.map((c) => `"${c}"`).join(', ');
      columns.push(
        provider === 'postgresql'
          ? `\n    CONSTRAINT "${table.name}_pkey" PRIMARY KEY (${keys})`
          : `    PRIMARY KEY (${keys})`,
      );
    }
    out.push(`-- CreateTable\nCREATE TABLE "${table.name}" (\n${columns.join(',\n')}\n);\n`);
  }
  for (const table of tables) {
    for (const index of table.indexes) {
      const columns = index.columns.map((c) => `"${c}"`).join(', ');
      out.push(
        `-- CreateIndex\nCREATE ${index.unique ? 'UNIQUE ' : ''}INDEX "${index.name}" ON "${table.name}"(${columns});\n`,
      );
    }
  }
  return out.join('\n');
}
