/**
 * Under a memory limit (prlimit --as, like `ulimit -v`), a batch too large is one line naming
 * its option, exit code 1: never TensorFlow's std::bad_alloc abort, and train leaves no lock.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { useBackend } from '../../src/backends';
import { buildModel } from '../../src/models';
import { saveModel } from '../../src/models/io';
import { LOCK_FILE } from '../../src/run-files';
import { BIN } from '../helpers/cli';
import { labelsIdx, tempDir } from '../helpers/fixtures';

const noPrlimit = spawnSync('prlimit', ['--version']).status === 0 ? false : 'needs prlimit (util-linux)';
const tmp = tempDir();
const data = join(tmp.dir, 'data');

/** A set of blank images: large in count, a few kilobytes gzipped. */
function blankSet(dir: string, train: number, test: number): void {
  mkdirSync(dir, { recursive: true });
  const images = (n: number) => {
    const b = Buffer.alloc(16 + n * 784);
    [2051, n, 28, 28].forEach((v, i) => b.writeUInt32BE(v, i * 4));
    return gzipSync(b);
  };
  const labels = (n: number) => gzipSync(labelsIdx(Array.from({ length: n }, (_, i) => i % 10)));
  writeFileSync(join(dir, 'train-images-idx3-ubyte.gz'), images(train));
  writeFileSync(join(dir, 'train-labels-idx1-ubyte.gz'), labels(train));
  writeFileSync(join(dir, 't10k-images-idx3-ubyte.gz'), images(test));
  writeFileSync(join(dir, 't10k-labels-idx1-ubyte.gz'), labels(test));
}

function limited(bytes: number, args: string[]) {
  const r = spawnSync('prlimit', [`--as=${bytes}`, process.execPath, BIN, ...args], { encoding: 'utf8' });
  return { code: r.status, signal: r.signal, stderr: r.stderr };
}

describe('a batch larger than the memory limit', { skip: noPrlimit }, () => {
  before(async () => {
    blankSet(data, 25000, 10000);
    await useBackend('cpu');
    await saveModel(buildModel('cnn'), join(tmp.dir, 'cnn'));
  });
  after(() => tmp.cleanup());

  it('train --batch-size 20000 (about 21 GB) under an 8 GB limit: one line, no lock left', () => {
    const save = join(tmp.dir, 'run');
    const r = limited(8e9, ['train', '--data-dir', data, '--save-dir', save, '--batch-size', '20000', '--steps', '1']);
    assert.equal(r.signal, null, r.stderr);
    assert.equal(r.code, 1, r.stderr);
    assert.match(
      r.stderr,
      /^mnist-deep: error: --batch-size 20000: a batch this large needs about [\d.]+ GB of memory/,
    );
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.equal(existsSync(join(save, LOCK_FILE)), false, 'the lock is released');
  });

  it('eval --eval-batch-size 10000 (about 3 GB for the CNN) under a 3.5 GB limit: one line', () => {
    const args = ['eval', '--model-dir', join(tmp.dir, 'cnn'), '--data-dir', data, '--eval-batch-size', '10000'];
    const r = limited(3.5e9, args);
    assert.equal(r.signal, null, r.stderr);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /^mnist-deep: error: --eval-batch-size 10000: a batch this large needs about [\d.]+ GB/);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  });
});
