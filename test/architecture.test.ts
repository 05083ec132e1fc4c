/**
 * The layers import only downward (docs/architecture.md): nothing below
 * src/commands imports it, the engines import nothing of the run or above,
 * the building parts in src/models import nothing of the engines or above,
 * inside the run tensorboard → report → eval → savedir import only downward
 * (and none of them the runs that commands start: train, saved-eval),
 * src/optim is a leaf, nothing in src/ imports the tests or the scripts, and
 * the scripts import no test code. Files stay small: one job each, at most
 * 300 lines.
 * Read from the sources, so a breach fails here with the file named.
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

/** The run layer's folders (docs/architecture.md), top to bottom. */
const RUN = ['train', 'saved-eval', 'serve', 'export', 'tensorboard', 'report', 'eval', 'savedir'];

describe('architecture: imports go down the layers', () => {
  it('nothing outside src/commands and src/cli.ts imports src/commands', () => {
    assert.deepEqual(
      violations((f) => !f.startsWith('commands/') && f !== 'cli.ts', ['commands']),
      [],
    );
  });

  it('no command imports the train, eval, predict or serve command: what they share lives below them', () => {
    const commands = ['eval', 'predict', 'serve', 'train'];
    assert.deepEqual(
      violations(
        (f) => f.startsWith('commands/'),
        commands.map((c) => `commands/${c}`),
      ),
      [],
    );
  });

  it('src/engine imports nothing of the run or the commands', () => {
    assert.deepEqual(
      violations((f) => f.startsWith('engine/'), [...RUN, 'run-types', 'commands']),
      [],
    );
  });

  it('src/models imports nothing of the engines, the run or the commands', () => {
    assert.deepEqual(
      violations((f) => f.startsWith('models/'), ['engine', ...RUN, 'run-types', 'commands']),
      [],
    );
  });

  // Inside the run, top to bottom: what a command starts (train, saved-eval), then TensorBoard's
  // events, the report, evaluation and its metrics, the save dir's files; each imports only below.
  it('src/tensorboard imports nothing of the runs that write events (train, saved-eval), serve, export or the commands', () => {
    assert.deepEqual(
      violations((f) => f.startsWith('tensorboard/'), ['train', 'saved-eval', 'serve', 'export', 'commands']),
      [],
    );
  });

  it('src/report imports nothing of the runs, TensorBoard, serve, export or the commands (evaluation and the step log it may)', () => {
    assert.deepEqual(
      violations((f) => f.startsWith('report/'), ['train', 'saved-eval', 'tensorboard', 'serve', 'export', 'commands']),
      [],
    );
  });

  it('src/eval (evaluation and metrics) imports nothing of the runs, TensorBoard, the report, the save dir or the commands', () => {
    assert.deepEqual(
      violations(
        (f) => f.startsWith('eval/'),
        ['train', 'saved-eval', 'tensorboard', 'report', 'savedir', 'serve', 'export', 'commands'],
      ),
      [],
    );
  });

  it("src/savedir (the save dir's lock, space, model folder and step log) imports nothing of the run or the commands", () => {
    assert.deepEqual(
      violations((f) => f.startsWith('savedir/'), RUN.filter((r) => r !== 'savedir').concat('commands')),
      [],
    );
  });

  it("src/run-types.ts (the run's settings and log entries) imports nothing of the run, the engines or the commands", () => {
    assert.deepEqual(
      violations((f) => f === 'run-types.ts', [...RUN, 'engine', 'commands']),
      [],
    );
  });

  it('src/export imports nothing of the other run folders (but savedir), of the engines only the graph ops, nor the commands', () => {
    // The SavedModel is the graph engine's own forward pass: its op builder and layer ops, nothing else of the engines.
    const graphOps = ['engine/graph/builder', 'engine/graph/layers'];
    assert.deepEqual(
      violations(
        (f) => f.startsWith('export/'),
        [...RUN.filter((r) => r !== 'export' && r !== 'savedir'), 'engine', 'commands'],
      ).filter((v) => !graphOps.some((g) => v.endsWith(`imports src/${g}`))),
      [],
    );
  });

  it("src/run-files.ts (the names of a run folder's files) is a leaf: it imports nothing of ours", () => {
    assert.deepEqual(imports(join(SRC, 'run-files.ts')), []);
  });

  it('src/stop-signals.ts (the one list of stop signals) is a leaf: it imports nothing of ours', () => {
    assert.deepEqual(imports(join(SRC, 'stop-signals.ts')), []);
  });

  it('src/optim is a leaf: it imports nothing else of the project', () => {
    const outside = sources(join(SRC, 'optim'))
      .flatMap((f) => imports(f).map((i) => [relative(SRC, f), i]))
      .filter(([, i]) => !i.startsWith('optim'));
    assert.deepEqual(outside, []);
  });
});

/** The most lines a file in src/ may have: past that it does more than one job. */
const MAX_LINES = 300;
/** Files whose length is one job (kernels, one per op, that share a runner), or being split. */
const LONG_FILES = ['backends/wasm-kernels.ts'];

describe('architecture: small files, no reach outside src', () => {
  it(`no file in src/ is over ${MAX_LINES} lines but the listed kernel files`, () => {
    const long = sources(SRC)
      .map((f) => ({ file: relative(SRC, f), lines: readFileSync(f, 'utf8').split('\n').length - 1 }))
      .filter(({ file, lines }) => lines > MAX_LINES && !LONG_FILES.includes(file))
      .map(({ file, lines }) => `src/${file}: ${lines} lines`);
    assert.deepEqual(long, []);
  });

  it('every listed long file still exists and is still long (else the exception goes)', () => {
    for (const file of LONG_FILES) {
      const lines = readFileSync(join(SRC, file), 'utf8').split('\n').length - 1;
      assert.ok(lines > MAX_LINES, `src/${file} has ${lines} lines: take it off LONG_FILES`);
    }
  });

  it('nothing in src/ imports from test/ or scripts/', () => {
    assert.deepEqual(
      violations(() => true, ['../test', '../scripts']),
      [],
    );
  });

  it('scripts/ import nothing of test/, and of src/commands only the option parsers (they are command-line programs too)', () => {
    const scripts = resolve(SRC, '../scripts');
    const breaches = sources(scripts).flatMap((f) =>
      imports(f)
        .filter((i) => i.startsWith('../test/') || (i.startsWith('commands/') && i !== 'commands/options'))
        .map((i) => `scripts/${relative(scripts, f)} imports ${i.startsWith('../') ? i.slice(3) : `src/${i}`}`),
    );
    assert.deepEqual(breaches, []);
  });
});

/** Files that parse JSON themselves: the lock tells "not JSON" from "not a lock"; the webgpu probe reads its own child's lines. */
const OWN_JSON_PARSE = ['validate.ts', 'savedir/lock.ts', 'backends/webgpu.ts'];

describe('architecture: promises the docs make about every file', () => {
  it('every file in src/ opens with a comment saying why it exists', () => {
    const bare = sources(SRC)
      .filter((f) => !readFileSync(f, 'utf8').startsWith('/**'))
      .map((f) => `src/${relative(SRC, f)}`);
    assert.deepEqual(bare, []);
  });

  it('JSON is parsed through src/validate.ts (schemas), but in the listed files', () => {
    const raw = sources(SRC)
      .map((f) => relative(SRC, f))
      .filter((f) => !OWN_JSON_PARSE.includes(f) && /JSON\.parse\(/.test(readFileSync(join(SRC, f), 'utf8')))
      .map((f) => `src/${f}`);
    assert.deepEqual(raw, []);
  });
});

describe('architecture: formatting covers every source folder', () => {
  it(".prettierignore's folders are anchored at the root (models/ alone would skip src/models)", () => {
    const folders = readFileSync(resolve(SRC, '../.prettierignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#') && l.endsWith('/'));
    assert.ok(folders.length > 0);
    assert.deepEqual(
      folders.filter((l) => !l.startsWith('/')),
      [],
    );
  });
});

describe('architecture: one printing path', () => {
  /** Files allowed to write to stdout/stderr directly, and why each is safe. */
  const DIRECT: Record<string, string> = {
    'commands/info.ts': 'a JSON line (JSON-escaped)',
    'native/check.ts': 'a JSON line to its parent process',
    'backends/webgpu.ts': "a JSON line from the probe's child process",
    'native/wheel.ts': "the extraction percentage on one \\r line, the archive's name passed through visible()",
    'native/command.ts': "pip's and the compiler's own output echoed as they print it",
  };

  it('every other line goes through StatusLine.print (which escapes): no process.stdout/stderr.write', () => {
    const direct = sources(SRC)
      .map((f) => relative(SRC, f))
      .filter((f) => /process\.std(out|err)\.write\(/.test(readFileSync(join(SRC, f), 'utf8')));
    assert.deepEqual(direct.sort(), Object.keys(DIRECT).sort());
  });
});
