// The vendors' specs (HubSpot's OpenAPI files, Slack's manifest and Block Kit schemas) are not in this repository:
// they are in the project's shared folder, `../shared` beside the repository root, where CI and every checkout
// have it. Tests that validate against them skip, naming the folder, where it is missing.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { TestRunner } from 'vitest';

export const SHARED_DIR = resolve(import.meta.dirname, '..', '..', '..', 'shared');
export const sharedAvailable = existsSync(join(SHARED_DIR, 'specs'));
export const SHARED_MISSING = `needs the shared specs folder ${SHARED_DIR} (../shared beside the repository), which is missing`;

/** A path inside the shared folder, e.g. sharedPath('specs', 'slack', 'manifest.schema.json'). */
export function sharedPath(...parts: string[]): string {
  return join(SHARED_DIR, ...parts);
}

/**
 * Skips the running test, with a note naming the folder, when the shared folder is missing. Use it in a
 * beforeEach, or in a helper called from inside a test (it ends the test there, as `context.skip` does).
 */
export function skipWithoutShared(): void {
  if (sharedAvailable) return;
  const test = TestRunner.getCurrentTest();
  if (!test) throw new Error(`skipWithoutShared() outside a test: ${SHARED_MISSING}`);
  test.context.skip(SHARED_MISSING);
}
