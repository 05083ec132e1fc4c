/**
 * Bad input: one line naming the file or option, exit ≠ 0, no stack, nothing written. In-process
 * through `main`; the stack trace (--verbose) and the program's name through the real CLI.
 */
import { strict as assert } from 'node:assert';
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { loadTf, useBackend } from '../../src/backends';
import { saveModel } from '../../src/models/io';
import { BIN, runCli } from '../helpers/cli';
import { runInProcess } from '../helpers/in-process';
import { imagesIdx, labelsIdx, tempDir, writeDataset } from '../helpers/fixtures';

const tmp = tempDir();
const good = join(tmp.dir, 'good');
before(async () => {
  writeDataset(good, 50, 20);
  await useBackend('wasm');
});
after(tmp.cleanup);

function assertOneLineError(r: { code: number | null; stderr: string }, pattern: RegExp): void {
  assert.notEqual(r.code, 0);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], /^mnist-deep: error: /);
  assert.match(lines[0], pattern);
}

/** A copy of the good data set with one file replaced. */
function broken(name: string, file: string, content: Buffer | null): string {
  const dir = join(tmp.dir, name);
  writeDataset(dir, 50, 20);
  const path = join(dir, file);
  rmSync(path);
  if (content === null) mkdirSync(path);
  else writeFileSync(path, content);
  return dir;
}

describe('clear errors for bad data files', () => {
  const cases: Array<[string, string, Buffer | null, RegExp]> = [
    ['empty', 'train-images-idx3-ubyte.gz', Buffer.alloc(0), /train-images-idx3-ubyte\.gz: file is empty/],
    [
      'truncated',
      'train-images-idx3-ubyte.gz',
      gzipSync(imagesIdx(50)).subarray(0, 500),
      /train-images-idx3-ubyte\.gz: corrupt or truncated gzip/,
    ],
    [
      'notgzip',
      'train-labels-idx1-ubyte.gz',
      Buffer.from('<html>oops</html>'),
      /train-labels-idx1-ubyte\.gz: not a gzip file/,
    ],
    [
      'magic',
      't10k-images-idx3-ubyte.gz',
      gzipSync(imagesIdx(20, { magic: 2049 })),
      /t10k-images-idx3-ubyte\.gz: bad magic number 2049/,
    ],
    [
      'dims',
      't10k-images-idx3-ubyte.gz',
      gzipSync(imagesIdx(20, { rows: 32, cols: 32 })),
      /images are 32x32, expected 28x28/,
    ],
    ['length', 'train-images-idx3-ubyte.gz', gzipSync(imagesIdx(50).subarray(0, 5000)), /does not match the header/],
    [
      'count',
      'train-labels-idx1-ubyte.gz',
      gzipSync(labelsIdx(Array(49).fill(1))),
      /50 images but .*train-labels-idx1-ubyte\.gz has 49 labels/,
    ],
    [
      'label',
      't10k-labels-idx1-ubyte.gz',
      gzipSync(labelsIdx([...Array(19).fill(1), 12])),
      /label 12 at index 19 is out of range 0-9/,
    ],
    ['directory', 'train-images-idx3-ubyte.gz', null, /train-images-idx3-ubyte\.gz: is a directory/],
  ];
  for (const [name, file, content, pattern] of cases) {
    it(`${name}: download and train refuse it, train writes nothing`, async () => {
      const dir = broken(name, file, content);
      assertOneLineError(await runInProcess(['download', '--data-dir', dir], { cwd: tmp.dir }), pattern);
      const save = join(tmp.dir, `save-${name}`);
      assertOneLineError(
        await runInProcess(['train', '--model', 'softmax', '--data-dir', dir, '--save-dir', save], { cwd: tmp.dir }),
        pattern,
      );
      assert.equal(existsSync(save), false);
    });
  }

  it('--verbose shows the stack trace', async () => {
    const dir = broken('verbose', 'train-images-idx3-ubyte.gz', Buffer.alloc(0));
    const r = await runCli(['--verbose', 'download', '--data-dir', dir], { cwd: tmp.dir });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /UserError: .*file is empty\n\s+at /);
  });
});

describe('clear errors for bad options and model folders', () => {
  it('rejects non-positive, fractional and non-numeric counts when parsing, as usage errors (exit 2)', async () => {
    const whole = 'must be a whole number greater than 0';
    const cases = [
      ['--batch-size', '0', whole],
      ['--log-every', '-3', whole],
      ['--log-every', '1.5', whole],
      ['--batch-size', 'ten', whole],
      ['--learning-rate', 'NaN', 'must be a number greater than 0'],
      ['--learning-rate', '-1', 'must be a number greater than 0'],
      ['--steps', '', whole],
      ['--validation-size', '-1', 'must be a whole number, 0 or more'],
    ];
    for (const [opt, value, reason] of cases) {
      const r = await runInProcess(['train', opt, value], { cwd: tmp.dir });
      assert.equal(r.code, 2, `${opt} ${value}`);
      assert.deepEqual(r.stderr.trim().split('\n'), [
        `mnist-deep: error: ${opt} ${value === '' ? "''" : value}: ${reason}`,
        'mnist-deep: hint: for usage, run: npx mnist-deep train --help',
      ]);
    }
  });

  it("reports commander's own errors in the same style", async () => {
    const cases: Array<[string[], string, string]> = [
      [['train', '--stpes', '3'], "unknown option '--stpes'", 'did you mean --steps?'],
      [['trian'], "unknown command 'trian'", 'did you mean train?'],
      [['evaluate'], "unknown command 'evaluate'", 'did you mean eval?'],
      [
        ['train', '--model', 'big'],
        '--model big: allowed choices are softmax, cnn',
        'for usage, run: npx mnist-deep train --help',
      ],
      [['eval', '--model-dir'], '--model-dir needs a value', 'for usage, run: npx mnist-deep eval --help'],
      [
        ['download', '--mirror', 'ftp://example.org/'],
        '--mirror ftp://example.org/: must be an http:// or https:// URL',
        'for usage, run: npx mnist-deep download --help',
      ],
      [
        ['download', '--mirror', 'mirror.example.org'],
        '--mirror mirror.example.org: must be an http:// or https:// URL',
        'for usage, run: npx mnist-deep download --help',
      ],
      [
        ['train', '--resume', join(tmp.dir, 'no-such-run')],
        `--resume ${join(tmp.dir, 'no-such-run')}: no such folder`,
        'for usage, run: npx mnist-deep train --help',
      ],
    ];
    for (const [args, error, hint] of cases) {
      const r = await runInProcess(args, { cwd: tmp.dir });
      assert.equal(r.code, 2, args.join(' '));
      assert.deepEqual(r.stderr.trim().split('\n'), [`mnist-deep: error: ${error}`, `mnist-deep: hint: ${hint}`]);
      assert.equal(r.stdout, '');
    }
  });

  it('names the program as the user can run it: bare when on PATH, else npx', async () => {
    const bin = join(tmp.dir, 'bin');
    mkdirSync(bin, { recursive: true });
    symlinkSync(BIN, join(bin, 'mnist-deep'));
    const onPath = await runCli(['train', '--steps', '0'], {
      cwd: tmp.dir,
      bin: join(bin, 'mnist-deep'),
      env: { PATH: `${bin}${delimiter}${process.env.PATH}`, npm_command: '' },
    });
    assert.match(onPath.stderr, /^mnist-deep: hint: for usage, run: mnist-deep train --help$/m);
    const viaNpm = await runCli(['train', '--steps', '0'], {
      cwd: tmp.dir,
      env: { PATH: `${bin}${delimiter}${process.env.PATH}`, npm_command: 'exec' },
    });
    assert.match(viaNpm.stderr, /^mnist-deep: hint: for usage, run: npx mnist-deep train --help$/m);
  });

  it('refuses a --save-dir below a file', async () => {
    const file = join(tmp.dir, 'plain-file');
    writeFileSync(file, 'x');
    assertOneLineError(
      await runInProcess(['train', '--model', 'softmax', '--data-dir', good, '--save-dir', join(file, 'models')], {
        cwd: tmp.dir,
      }),
      /plain-file is not a folder/,
    );
  });

  it('eval refuses a model whose shapes do not fit the data', async () => {
    const tf = loadTf();
    const dir = join(tmp.dir, 'wrong-shape');
    const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [100], units: 10 })] });
    await saveModel(model, dir);
    assertOneLineError(
      await runInProcess(['eval', '--model-dir', dir, '--data-dir', good], { cwd: tmp.dir }),
      /model input shape \[null,100\] does not fit 28x28 images/,
    );
    const dir2 = join(tmp.dir, 'wrong-out');
    await saveModel(tf.sequential({ layers: [tf.layers.dense({ inputShape: [784], units: 3 })] }), dir2);
    assertOneLineError(
      await runInProcess(['eval', '--model-dir', dir2, '--data-dir', good], { cwd: tmp.dir }),
      /output shape \[null,3\] does not fit 10 classes/,
    );
  });

  it('eval refuses a model.json that is not JSON, naming it', async () => {
    const dir = join(tmp.dir, 'not-json');
    mkdirSync(dir);
    writeFileSync(join(dir, 'model.json'), '{');
    assertOneLineError(
      await runInProcess(['eval', '--model-dir', dir, '--data-dir', good], { cwd: tmp.dir }),
      /not-json\/model\.json: not valid JSON/,
    );
    assert.equal(readFileSync(join(dir, 'model.json'), 'utf8'), '{');
  });
});
