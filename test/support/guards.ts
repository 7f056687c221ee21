// What a test may not do silently: write to console.error or leave a promise rejection unhandled. setup.ts
// records both while each test runs and fails the test that caused them; a test that means to cause one says so
// first with expectConsoleError / expectUnhandledRejection, and then fails if it does NOT happen.

type Expectation = { pattern: RegExp; seen: boolean };

type GuardState = {
  consoleErrors: string[];
  rejections: unknown[];
  expectedConsole: Expectation[];
  expectedRejections: Expectation[];
};

// One state per test file's module graph; kept on globalThis so setup.ts and the test see the same one even if
// the runner were to load this module twice.
const KEY = Symbol.for('heed.test.guards');
const holder = globalThis as unknown as Record<symbol, GuardState | undefined>;
holder[KEY] ??= { consoleErrors: [], rejections: [], expectedConsole: [], expectedRejections: [] };
export const guardState: GuardState = holder[KEY];

/** This test writes a line matching `pattern` to console.error on purpose (and fails if it doesn't). */
export function expectConsoleError(pattern: RegExp): void {
  guardState.expectedConsole.push({ pattern, seen: false });
}

/** This test leaves a rejection matching `pattern` unhandled on purpose (and fails if it doesn't). */
export function expectUnhandledRejection(pattern: RegExp): void {
  guardState.expectedRejections.push({ pattern, seen: false });
}

export function describeReason(reason: unknown): string {
  if (reason instanceof Error) return reason.stack ?? `${reason.name}: ${reason.message}`;
  return typeof reason === 'string' ? reason : JSON.stringify(reason);
}

function unexpected(items: string[], expectations: Expectation[]): string[] {
  return items.filter((text) => {
    const match = expectations.find((e) => e.pattern.test(text));
    if (match) match.seen = true;
    return !match;
  });
}

/** Problems recorded since the last reset, as readable lines; empties the record. */
export function takeGuardProblems(): string[] {
  const problems: string[] = [];
  for (const line of unexpected(guardState.consoleErrors, guardState.expectedConsole))
    problems.push(`unexpected console.error: ${line}`);
  for (const reason of unexpected(guardState.rejections.map(describeReason), guardState.expectedRejections))
    problems.push(`unhandled rejection: ${reason}`);
  for (const e of guardState.expectedConsole.filter((x) => !x.seen))
    problems.push(`expected a console.error matching ${e.pattern}, but none was written`);
  for (const e of guardState.expectedRejections.filter((x) => !x.seen))
    problems.push(`expected an unhandled rejection matching ${e.pattern}, but none happened`);
  guardState.consoleErrors = [];
  guardState.rejections = [];
  guardState.expectedConsole = [];
  guardState.expectedRejections = [];
  return problems;
}
