import { format } from 'node:util';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { guardState, takeGuardProblems } from './guards.ts';

// Vendors are mocked at the HTTP edge only; everything else off this machine is refused.
beforeAll(() => {
  nock.disableNetConnect();
  nock.enableNetConnect(/^(127\.0\.0\.1|localhost)(:\d+)?$/);
});

// An unexpected console.error or an unhandled rejection fails the test during which it happened (guards.ts;
// a test that expects one declares it). Vitest's own handler stands back while this listener exists, so a
// rejection is reported here, against the test, rather than as a stray error at the end of the run.
const writeError = console.error.bind(console);
console.error = (...args: unknown[]) => {
  guardState.consoleErrors.push(format(...args));
  writeError(...args);
};
process.on('unhandledRejection', (reason) => {
  guardState.rejections.push(reason);
});

// Node reports an unhandled rejection after the microtask queue drains; one turn of the event loop lets the
// ones the test (or its clean-up) caused arrive before they are counted.
const settle = () => new Promise((resolveTurn) => setImmediate(resolveTurn));
const outside: string[] = [];

beforeEach(() => {
  // What happened before this test (a hook, a previous test's late clean-up) is charged to the file in afterAll.
  outside.push(...takeGuardProblems());
});

// Registered first, so it runs after the test file's own afterEach hooks (whose clean-up counts too).
afterEach(async () => {
  nock.cleanAll();
  await settle();
  const problems = takeGuardProblems();
  if (problems.length > 0) throw new Error(problems.join('\n\n'));
});

afterAll(async () => {
  await settle();
  outside.push(...takeGuardProblems());
  if (outside.length > 0)
    throw new Error(`outside any test (in a hook or after a test ended):\n${outside.join('\n\n')}`);
});

// Property tests draw a new seed each run and print it when a property fails ("seed: …, path: …"); this replays
// one: HEED_FC_SEED=<seed> npx vitest run <file>.
if (process.env['HEED_FC_SEED']) {
  const fc = await import('fast-check');
  fc.configureGlobal({ seed: Number(process.env['HEED_FC_SEED']) });
}
