// Where code may reach, checked on the sources: a lint the type checker cannot express. Slack has one home
// (src/slack/: the outbox, nudge reconciliation, digest posting, renderers); the use cases in src/services/ know
// nothing of it, so a change to what people read in Slack never starts in services/. The domain stays pure: it
// imports only itself and the error type, never I/O, a vendor or the clock.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function sourceFiles(folder: string): string[] {
  return readdirSync(join(root, folder), { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.ts'))
    .map((name) => join(folder, name));
}

// Static imports and re-exports (`import … from`, `export … from`, `import '…'`) and dynamic `import('…')`.
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(?\s*)['"]([^'"]+)['"]/g;

/** Every module a source file imports, as a path from the repository root (or the bare package name). */
function importsOf(file: string, text = readFileSync(join(root, file), 'utf8')): string[] {
  return [...text.matchAll(SPECIFIER)].map(([, specifier]) =>
    specifier!.startsWith('.') ? relative(root, resolve(root, dirname(file), specifier!)) : specifier!,
  );
}

function violations(folder: string, allowed: (target: string) => boolean): string[] {
  return sourceFiles(folder).flatMap((file) =>
    importsOf(file)
      .filter((target) => !allowed(target))
      .map((target) => `${file} imports ${target}`),
  );
}

describe('layers', () => {
  it('finds imports of every form, resolved from the importing file', () => {
    const text = [
      "import { a } from '../slack/render/nudge.ts';",
      "import type { B } from '../slack/outbox.ts';",
      "export { c } from './sync.ts';",
      "const d = await import('../slack/app.ts');",
      "import 'node:fs';",
    ].join('\n');
    expect(importsOf('src/services/x.ts', text)).toEqual([
      'src/slack/render/nudge.ts',
      'src/slack/outbox.ts',
      'src/services/sync.ts',
      'src/slack/app.ts',
      'node:fs',
    ]);
  });

  it('src/services/ imports nothing from src/slack/', () => {
    expect(sourceFiles('src/services').length).toBeGreaterThan(5);
    expect(violations('src/services', (target) => !target.startsWith('src/slack/'))).toEqual([]);
  });

  it('src/domain/ imports only itself and the error type', () => {
    expect(sourceFiles('src/domain').length).toBeGreaterThan(5);
    expect(
      violations('src/domain', (target) => target.startsWith('src/domain/') || target === 'src/errors.ts'),
    ).toEqual([]);
  });
});
