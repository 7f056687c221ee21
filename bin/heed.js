#!/usr/bin/env node
// The `heed` command. Node runs the TypeScript sources directly by stripping their types: no build step to forget
// and no transpiler at run time. tsconfig's `erasableSyntaxOnly` keeps the sources to the syntax Node can strip
// (no enums, no parameter properties).
import module from 'node:module';
import { homedir } from 'node:os';
import { join } from 'node:path';

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 24 || (major === 24 && minor < 12) || !process.features.typescript) {
  process.stderr.write(
    `heed: needs Node.js 24.12 or newer with TypeScript type stripping; this is ${process.version}` +
      `${process.features.typescript === false ? ' with type stripping turned off (--no-strip-types)' : ''}.\n` +
      '  To fix: `source scripts/node24.sh` in the repository puts the project’s Node 24 first on PATH.\n',
  );
  process.exit(1);
}

// V8's compiled code is cached on disk between runs (it halves the CPU time of `heed --help`): in NODE_COMPILE_CACHE
// when set, else in the user's cache folder. A cache that cannot be written is skipped silently.
module.enableCompileCache(
  process.env.NODE_COMPILE_CACHE ||
    join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'heed', 'node-compile-cache'),
);

const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
