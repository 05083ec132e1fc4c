/**
 * Every interruption resumable, every failure clean, through the real CLI: a checkpoint cut short
 * by the file size limit leaves both files or neither, an empty training file is named, a deleted
 * current folder does not stop commands given absolute paths, a read-only file system is said so.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BIN, runLimited } from '../helpers/cli';
import { runInProcess } from '../helpers/in-process';
import { tempDir, writeDataset } from '../helpers/fixtures';

const tmp = tempDir();
after(tmp.cleanup);
const small = join(tmp.dir, 'small');
before(() => writeDataset(small, 300, 60));

const hasBash = existsSync('/bin/bash');

describe('a checkpoint is a pair: both files or neither', () => {
  // 8,000 training images: checkpoint.json's data order (~39 KB) is larger than the softmax .bin (31.4 KB).
  const big = join(tmp.dir, 'big');
  before(() => writeDataset(big, 8000, 60));

  it(
    'the file size limit hit by checkpoint.json takes the new .bin back; the same command then runs',
    {
      skip: hasBash ? false : 'needs bash for ulimit',
    },
    async () => {
      const save = join(tmp.dir, 'limited');
      const args = ['train', '--model', 'softmax', '--steps', '5', '--checkpoint-every', '5'].concat([
        '--data-dir',
        big,
        '--validation-size',
        '200',
        '--save-dir',
        save,
      ]);
      const r = await runLimited(34, tmp.dir, args);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /^mnist-deep: error: \S+checkpoint\.json: cannot write: file too large/m);
      assert.deepEqual(
        readdirSync(save).filter((f) => f.startsWith('checkpoint')),
        [],
        'no .bin without its checkpoint.json',
      );
      const again = await runInProcess(args, { cwd: tmp.dir });
      assert.equal(again.code, 0, again.stderr);
    },
  );
});

describe('failures that name what is wrong', () => {
  it('an empty training file is named, not --validation-size', async () => {
    const empty = join(tmp.dir, 'empty');
    writeDataset(empty, 0, 60);
    const r = await runInProcess(
      ['train', '--model', 'softmax', '--steps', '5', '--data-dir', empty, '--save-dir', join(tmp.dir, 'e')],
      { cwd: tmp.dir },
    );
    assert.equal(r.code, 1);
    assert.equal(
      r.stderr,
      `mnist-deep: error: ${join(empty, 'train-labels-idx1-ubyte.gz')}: the training set holds no images; nothing to train on\n`,
    );
  });

  it('MNIST_DEEP_DATA_DIR naming a file is refused in one line', async () => {
    const r = await runInProcess(['info'], { cwd: tmp.dir, env: { MNIST_DEEP_DATA_DIR: BIN } });
    assert.equal(r.code, 1);
    assert.equal(r.stderr, `mnist-deep: error: MNIST_DEEP_DATA_DIR=${BIN}: exists and is not a folder\n`);
  });

  it('in a deleted current folder, train, eval and info given absolute paths work', { skip: !hasBash }, () => {
    const gone = join(tmp.dir, 'gone');
    const save = join(tmp.dir, 'from-gone');
    const inGone = (...args: string[]) => {
      mkdirSync(gone, { recursive: true });
      const script = `cd "$1" && rmdir "$1" && shift && exec "$@"`;
      return spawnSync('bash', ['-c', script, 'bash', gone, process.execPath, BIN, ...args], { encoding: 'utf8' });
    };
    const data = ['--data-dir', small];
    const train = inGone(
      'train',
      '--model',
      'softmax',
      '--steps',
      '5',
      ...data,
      '--validation-size',
      '60',
      '--save-dir',
      save,
    );
    assert.equal(train.status, 0, train.stderr);
    for (const args of [
      ['eval', '--model-dir', save, ...data],
      ['info', ...data],
    ]) {
      const r = inGone(...args);
      assert.equal(r.status, 0, r.stderr);
    }
    // A relative path there cannot work: said in words, not as uv_cwd.
    const relative = inGone('eval', '--model-dir', 'models/softmax');
    assert.equal(relative.status, 1);
    assert.equal(
      relative.stderr,
      'mnist-deep: error: the current folder no longer exists; give absolute paths, or cd to a folder that exists\n',
    );
  });

  it('a read-only file system is said to be read-only', (t) => {
    const ro = join(tmp.dir, 'ro');
    mkdirSync(ro);
    // A read-only tmpfs in a user namespace of our own: no root needed where the kernel allows it.
    const probe = spawnSync('unshare', ['-rm', 'sh', '-c', `mount -t tmpfs -o ro none "${ro}"`]);
    if (probe.status !== 0) return t.skip('unshare -rm (user namespaces) is not available here');
    const save = join(ro, 'new');
    const inRo = spawnSync(
      'unshare',
      ['-rm', 'sh', '-c', `mount -t tmpfs -o ro none "${ro}" && exec "$@"`, 'sh', process.execPath, BIN].concat([
        'train',
        '--model',
        'softmax',
        '--steps',
        '5',
        '--data-dir',
        small,
        '--save-dir',
        save,
      ]),
      { encoding: 'utf8', cwd: tmp.dir },
    );
    assert.equal(inRo.status, 1, inRo.stderr);
    assert.equal(inRo.stderr, `mnist-deep: error: --save-dir ${save}: cannot write to ${ro}: read-only file system\n`);
  });
});
