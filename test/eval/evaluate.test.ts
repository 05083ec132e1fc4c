import { strict as assert } from 'node:assert';
import { before, describe, it } from 'node:test';
import { useBackend } from '../../src/backends';
import { DataSplit } from '../../src/data/dataset';
import { IMAGE_SIZE } from '../../src/data/shapes';
import { Rng } from '../../src/data/rng';
import { buildModel } from '../../src/models';
import { evalThreads, evaluate } from '../../src/eval/evaluate';

before(async () => {
  await useBackend('wasm');
});

function randomSplit(n: number): DataSplit {
  const rng = new Rng(8);
  return new DataSplit(
    Float32Array.from({ length: n * IMAGE_SIZE }, () => (rng.next() < 0.3 ? rng.next() : 0)),
    Uint8Array.from({ length: n }, () => rng.int(10)),
  );
}

describe('evaluation on threads', () => {
  it('gives exactly the single-thread confusion matrix, whatever the thread count', async () => {
    const model = buildModel('cnn', 4);
    const split = randomSplit(1100);
    const one = await evaluate(model, split, { batchSize: 250 });
    for (const threads of [2, 3]) {
      const many = await evaluate(model, split, { batchSize: 250, threads, backend: 'wasm' });
      assert.deepEqual(many.confusion, one.confusion, `${threads} threads`);
      assert.equal(many.accuracy, one.accuracy);
      assert.equal(many.examples, 1100);
    }
  });

  it('stays on this thread for small models and for tfjs-node', async () => {
    const split = randomSplit(300);
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
