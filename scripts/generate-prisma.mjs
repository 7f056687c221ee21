// Generates the Prisma clients for both providers from the one schema in prisma/schema.prisma.
// Runs offline: PRISMA_SCHEMA_ENGINE_BINARY=/bin/false stops the CLI from downloading an engine
// that `generate` does not use. The PostgreSQL schema is a derived copy, never edited by hand.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const sqliteSchema = join(root, 'prisma', 'schema.prisma');
const postgresSchema = join(root, 'src', 'generated', 'postgresql.prisma');

const source = readFileSync(sqliteSchema, 'utf8');
const derived = source
  .replace('provider = "sqlite"', 'provider = "postgresql"')
  .replace('"../src/generated/sqlite"', '"./postgresql"');
if (derived === source || !derived.includes('"./postgresql"')) {
  throw new Error('generate-prisma: could not derive the PostgreSQL schema (provider/output lines changed?)');
}
mkdirSync(dirname(postgresSchema), { recursive: true });
writeFileSync(
  postgresSchema,
  `// GENERATED from prisma/schema.prisma by scripts/generate-prisma.mjs — do not edit.\n${derived}`,
);

const prisma = join(root, 'node_modules', 'prisma', 'build', 'index.js');
const env = { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: '/bin/false', PRISMA_HIDE_UPDATE_MESSAGE: '1' };
for (const schema of [sqliteSchema, postgresSchema]) {
  execFileSync(process.execPath, [prisma, 'generate', '--schema', schema], {
    env,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}
console.log('generate-prisma: clients written to src/generated/{sqlite,postgresql}');
