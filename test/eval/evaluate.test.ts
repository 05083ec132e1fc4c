import { strict as assert } from 'node:assert';
import { before, describe, it } from 'node:test';
import { useBackend } from '../../src/backends';
import { buildModel } from '../../src/models';
import { evalThreads, evaluate } from '../../src/eval/evaluate';
import { randomSplit } from '../../scripts/common';

before(async () => {
  await useBackend('wasm');
});

describe('evaluation on threads', () => {
  it('gives exactly the single-thread confusion matrix, whatever the thread count', async () => {
    const model = buildModel('cnn', 4);
    const split = randomSplit(1100, 8);
    const one = await evaluate(model, split, { batchSize: 250 });
    for (const threads of [2, 3]) {
      const many = await evaluate(model, split, { batchSize: 250, threads, backend: 'wasm' });
      assert.deepEqual(many.confusion, one.confusion, `${threads} threads`);
      assert.equal(many.accuracy, one.accuracy);
      assert.equal(many.examples, 1100);
    }
  });

  it('stays on this thread for small models and for tfjs-node', async () => {
    const split = randomSplit(300, 8);
    const softmax = buildModel('softmax');
    assert.deepEqual(
      (await evaluate(softmax, split, { batchSize: 100, threads: 4, backend: 'wasm' })).confusion,
      (await evaluate(softmax, split, { batchSize: 100 })).confusion,
    );
    assert.equal(evalThreads('tensorflow', 8), 1);
    assert.equal(evalThreads('webgpu', 8), 1);
    assert.equal(evalThreads('wasm', 2), 2);
  });
});
