/**
 * The memory check before TensorFlow is asked: a batch larger than the process can have is
 * refused in one line naming its option, under `ulimit -v` (prlimit --as) as well.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { before, describe, it } from 'node:test';
import { useBackend } from '../../src/backends';
import { UserError } from '../../src/errors';
import { requireMemory } from '../../src/memory/available';
import { buildModel } from '../../src/models';
import { batchBytes } from '../../src/models/memory';

const noPrlimit = spawnSync('prlimit', ['--version']).status === 0 ? false : 'needs prlimit (util-linux)';

before(async () => {
  await useBackend('cpu');
});

describe('requireMemory', () => {
  it('refuses a batch that needs more than is available, in one line naming the option and value', () => {
    assert.throws(
      () => requireMemory('--eval-batch-size', 10000, 3e9, 1.8e9),
      (err: unknown) =>
        err instanceof UserError &&
        err.message ===
          '--eval-batch-size 10000: a batch this large needs about 3.0 GB of memory, more than the 1.8 GB this process can have; try a smaller --eval-batch-size',
    );
    requireMemory('--batch-size', 50, 5e7, 1e9);
  });

  it('sees the address-space limit (ulimit -v) left to the process', { skip: noPrlimit }, () => {
    const script = `console.log(require(${JSON.stringify(require.resolve('../../src/memory/available'))}).addressSpaceLeft())`;
    const limit = 4e9;
    const r = spawnSync('prlimit', [`--as=${limit}`, process.execPath, '-e', script], { encoding: 'utf8' });
    const left = Number(r.stdout);
    assert.ok(left > 0 && left < limit, `address space left ${r.stdout} ${r.stderr}`);
  });
});

describe('batchBytes', () => {
  it('counts an evaluation batch by its largest layer and a training step by all of them', () => {
    const cnn = buildModel('cnn');
    // conv1: 28x28x32 floats, as the convolution's, the bias's and the relu's output.
    assert.equal(batchBytes(cnn, 1, false), (784 + 3 * 28 * 28 * 32) * 4);
    assert.equal(batchBytes(cnn, 10000, false), 10000 * batchBytes(cnn, 1, false));
    assert.ok(batchBytes(cnn, 30000, true) > 20e9, 'a 30,000-example CNN step needs tens of GB');
    assert.ok(batchBytes(buildModel('softmax'), 100, true) < 1e6);
  });
});
