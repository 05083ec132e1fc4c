/**
 * The layers import only downward (docs/architecture.md): nothing below
 * src/commands imports it, the engines import nothing of the training run
 * (src/train) or above, and src/optim is a leaf. Read from the sources, so a
 * new upward import fails here with the file and the import named.
 */
import { strict as assert } from 'node:assert';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';

const SRC = resolve(__dirname, '../../src');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** Every project-relative import of a file (static, dynamic and require), as src-relative paths. */
function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/(?:from\s+|import\(\s*|require\(\s*)'(\.[^']*)'/g)].map((m) => m[1]);
  return specs.map((s) => relative(SRC, resolve(dirname(file), s)));
}

/** `[file, import]` pairs where a file under `from` imports something under one of `banned`. */
function violations(from: (f: string) => boolean, banned: string[]): string[] {
  return sources(SRC)
    .map((f) => relative(SRC, f))
    .filter(from)
    .flatMap((f) =>
      imports(join(SRC, f))
        .filter((i) => banned.some((b) => i === b || i.startsWith(`${b}/`)))
        .map((i) => `src/${f} imports src/${i}`),
    );
}

describe('architecture: imports go down the layers', () => {
  it('nothing outside src/commands and src/cli.ts imports src/commands', () => {
    assert.deepEqual(
      violations((f) => !f.startsWith('commands/') && f !== 'cli.ts', ['commands']),
      [],
    );
  });

  it('src/engine imports nothing of the run or the commands (train, eval, report, serve, commands)', () => {
    assert.deepEqual(
      violations((f) => f.startsWith('engine/'), ['train', 'eval', 'report', 'serve', 'commands']),
      [],
    );
  });

  it('src/optim is a leaf: it imports nothing else of the project', () => {
    const outside = sources(join(SRC, 'optim'))
      .flatMap((f) => imports(f).map((i) => [relative(SRC, f), i]))
      .filter(([, i]) => !i.startsWith('optim'));
    assert.deepEqual(outside, []);
  });
});
