#!/usr/bin/env node
// The `heed` command. Node (>= 22.18, 24 LTS here) runs the TypeScript sources directly by stripping their types:
// no build step to forget and no transpiler at run time. tsconfig's `erasableSyntaxOnly` keeps the sources to the
// syntax Node can strip (no enums, no parameter properties).
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
