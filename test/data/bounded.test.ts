/**
 * Only regular files of bounded size are read, and only what the user named is
 * used: special files, gzip bombs, endless mirrors, links out of a model folder
 * and a mistyped --data-dir, through the CLI's main() in-process; special files through
 * the real CLI, so that a regression hangs a child with a timeout, not the suite.
 */
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { runCli } from '../helpers/cli';
import { runInProcess } from '../helpers/in-process';
import { tempDir, writeDataset } from '../helpers/fixtures';
import { startServer } from '../helpers/http';

const tmp = tempDir();
const data = join(tmp.dir, 'data');
const model = join(tmp.dir, 'model');
before(async () => {
  writeDataset(data, 200, 40);
  const r = await runInProcess(
    ['train', '--model', 'softmax', '--data-dir', data, '--validation-size', '40', '--steps', '5', '--save-dir', model],
    { cwd: tmp.dir },
  );
  assert.equal(r.code, 0, r.stderr);
});
after(tmp.cleanup);

const errorLine = (stderr: string) =>
  stderr
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('mnist-deep: error: '))[0] ?? stderr;

/** A copy of the fixture data set with one file replaced by `make(path)`. */
function dataWith(name: string, file: string, make: (path: string) => void): string {
  const dir = join(tmp.dir, name);
  writeDataset(dir, 200, 40);
  rmSync(join(dir, file));
  make(join(dir, file));
  return dir;
}

/** A copy of the trained model folder, changed by `change(dir)`. */
function modelWith(name: string, change: (dir: string) => void): string {
  const dir = join(tmp.dir, name);
  mkdirSync(dir);
  for (const f of readdirSync(model)) writeFileSync(join(dir, f), execFileSync('cat', [join(model, f)]));
  change(dir);
  return dir;
}

describe('special files are refused by name, without hanging', () => {
  it('a FIFO in place of a data file or weights.bin', async () => {
    const dir = dataWith('fifo-data', 'train-labels-idx1-ubyte.gz', (p) => execFileSync('mkfifo', [p]));
    for (const args of [
      ['download', '--data-dir', dir],
      ['train', '--model', 'softmax', '--data-dir', dir, '--save-dir', join(tmp.dir, 'unused')],
    ]) {
      const r = await runCli(args, { cwd: tmp.dir, timeoutMs: 60_000 });
      assert.equal(r.code, 1, r.stderr);
      assert.match(
        errorLine(r.stderr),
        /train-labels-idx1-ubyte\.gz: is a FIFO \(named pipe\), expected a regular file/,
      );
    }
    const m = modelWith('fifo-model', (d) => {
      rmSync(join(d, 'weights.bin'));
      execFileSync('mkfifo', [join(d, 'weights.bin')]);
    });
    const e = await runCli(['eval', '--model-dir', m, '--data-dir', data], { cwd: tmp.dir, timeoutMs: 60_000 });
    assert.match(errorLine(e.stderr), /weights\.bin: is a FIFO \(named pipe\), expected a regular file/);
  });

  it('a data file linked to /dev/zero', async () => {
    const dir = dataWith('zero', 't10k-images-idx3-ubyte.gz', (p) => symlinkSync('/dev/zero', p));
    const r = await runCli(['download', '--data-dir', dir], { cwd: tmp.dir, timeoutMs: 60_000 });
    assert.match(errorLine(r.stderr), /t10k-images-idx3-ubyte\.gz: is a character device, expected a regular file/);
  });
});

describe('gzip inflation stops at the size the IDX header describes', () => {
  it('a gzip bomb', async () => {
    const bomb = Buffer.alloc(64 << 20);
    bomb.writeUInt32BE(2049, 0);
    bomb.writeUInt32BE(40, 4);
    const dir = dataWith('bomb', 't10k-labels-idx1-ubyte.gz', (p) => writeFileSync(p, gzipSync(bomb)));
    const r = await runInProcess(['download', '--data-dir', dir], { cwd: tmp.dir });
    assert.match(
      errorLine(r.stderr),
      /t10k-labels-idx1-ubyte\.gz: inflates to more than the 48 bytes its header describes/,
    );
  });

  it('a header claiming more images than any data set', async () => {
    const header = Buffer.alloc(16);
    [2051, 2_000_000_000, 28, 28].forEach((v, i) => header.writeUInt32BE(v, i * 4));
    const dir = dataWith('huge', 'train-images-idx3-ubyte.gz', (p) => writeFileSync(p, gzipSync(header)));
    const r = await runInProcess(['download', '--data-dir', dir], { cwd: tmp.dir });
    assert.match(
      errorLine(r.stderr),
      /train-images-idx3-ubyte\.gz: its header describes \d+ bytes, more than any data set of up to 1000000 images/,
    );
  });
});

describe('downloads stop at the published size', () => {
  it('a mirror that streams forever, or announces too much, is cut off and the next one tried', async () => {
    const chunk = Buffer.alloc(1 << 16, 7);
    const srv = await startServer({
      '/endless/': (_req, res) => {
        const pump = () => {
          while (res.write(chunk));
        };
        res.on('drain', pump);
        pump();
      },
      '/huge/': (_req, res) => {
        res.setHeader('content-length', String(1e12));
        res.write(chunk);
      },
    });
    try {
      const dir = join(tmp.dir, 'dl');
      const r = await runInProcess(
        ['download', '--data-dir', dir, '--mirror', `${srv.base}/endless/`, '--mirror', `${srv.base}/huge/`],
        { cwd: tmp.dir },
      );
      assert.equal(r.code, 1);
      assert.match(r.stderr, /endless\/: sent more than the published file's 9912422 bytes; stopped/);
      assert.match(r.stderr, /huge\/: announces 1000000000000 bytes, but the published file has 9912422/);
      assert.deepEqual(existsSync(dir) ? readdirSync(dir) : [], []);
    } finally {
      await srv.close();
    }
  });
});

describe('model folders are only what is inside them', () => {
  it('refuses weights.bin or model.json linked to a file outside', async () => {
    const outside = join(tmp.dir, 'outside.bin');
    writeFileSync(outside, execFileSync('cat', [join(model, 'weights.bin')]));
    const w = modelWith('link-weights', (d) => {
      rmSync(join(d, 'weights.bin'));
      symlinkSync(outside, join(d, 'weights.bin'));
    });
    const r = await runInProcess(['eval', '--model-dir', w, '--data-dir', data], { cwd: tmp.dir });
    assert.match(
      errorLine(r.stderr),
      /link-weights\/model\.json: "weights\.bin" is a link to .*outside\.bin, outside the model folder; refused/,
    );
    const j = modelWith('link-json', (d) => {
      rmSync(join(d, 'model.json'));
      symlinkSync(join(model, 'model.json'), join(d, 'model.json'));
    });
    const r2 = await runInProcess(['eval', '--model-dir', j, '--data-dir', data], { cwd: tmp.dir });
    assert.match(
      errorLine(r2.stderr),
      /link-json\/model\.json: "model\.json" is a link to .*\/model\/model\.json, outside the model folder; refused/,
    );
  });
});

describe('an explicit --data-dir must hold the data', () => {
  it('a mistyped or incomplete folder is an error for train and eval; download fills it', async () => {
    const typo = join(tmp.dir, 'dat');
    for (const args of [
      ['train', '--model', 'softmax', '--save-dir', join(tmp.dir, 'unused')],
      ['eval', '--model-dir', model],
    ]) {
      const r = await runInProcess([...args, '--data-dir', typo], { cwd: tmp.dir });
      assert.equal(r.code, 1);
      assert.equal(errorLine(r.stderr), `mnist-deep: error: --data-dir ${typo}: no such folder`);
    }
    const partial = dataWith('partial', 't10k-labels-idx1-ubyte.gz', () => undefined);
    const r = await runInProcess(['eval', '--model-dir', model, '--data-dir', partial], { cwd: tmp.dir });
    assert.equal(
      errorLine(r.stderr),
      `mnist-deep: error: --data-dir ${partial}: the mnist files t10k-labels-idx1-ubyte are not there (.gz or raw); download them with \`npx mnist-deep download --dataset mnist --data-dir ${partial}\``,
    );
    assert.equal(existsSync(typo), false);
  });

  it('train and eval name the folder their data came from', async () => {
    const t = await runInProcess(
      [
        'train',
        '--model',
        'softmax',
        '--data-dir',
        'data',
        '--validation-size',
        '40',
        '--steps',
        '2',
        '--save-dir',
        join(tmp.dir, 'named'),
      ],
      { cwd: tmp.dir },
    );
    assert.match(
      t.stdout,
      /^training softmax \(seed recipe\) on mnist \(160 train \/ 40 validation \/ 40 test\) from data$/m,
    );
    const e = await runInProcess(['eval', '--model-dir', model, '--data-dir', data], { cwd: tmp.dir });
    assert.match(e.stdout, /on mnist test set from data \(40 images\)/);
  });
});
