// Generates the Prisma clients for both providers from the one schema in prisma/schema.prisma.
// Runs offline: PRISMA_SCHEMA_ENGINE_BINARY=/bin/false stops the CLI from downloading an engine
// that `generate` does not use. The PostgreSQL schema is a derived copy, never edited by hand.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const sqliteSchema = join(root, 'prisma', 'schema.prisma');
const postgresSchema = join(root, 'src', 'generated', 'postgresql.prisma');

const prisma = join(root, 'node_modules', 'prisma', 'build', 'index.js');
// A production install (`npm ci --omit=dev`) has no prisma CLI: the clients must already be there (the container's
// build stage generates them; see Dockerfile).
if (!existsSync(prisma)) {
  const generated = ['sqlite', 'postgresql'].every((name) => existsSync(join(root, 'src', 'generated', name)));
  if (generated) {
    console.log('generate-prisma: no prisma CLI (production install); keeping the clients in src/generated');
    process.exit(0);
  }
  console.error(
    'generate-prisma: the prisma CLI (a dev dependency) is not installed and src/generated has no clients.\n' +
      '  To fix: run `npm ci` with the dev dependencies once, or build the container image (it generates them).',
  );
  process.exit(1);
}

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

const env = { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: '/bin/false', PRISMA_HIDE_UPDATE_MESSAGE: '1' };
for (const schema of [sqliteSchema, postgresSchema]) {
  execFileSync(process.execPath, [prisma, 'generate', '--schema', schema], {
    env,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}
console.log('generate-prisma: clients written to src/generated/{sqlite,postgresql}');
