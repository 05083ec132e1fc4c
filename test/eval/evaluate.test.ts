import { strict as assert } from 'node:assert';
import { before, describe, it } from 'node:test';
import { loadTf, useBackend } from '../../src/backends';
import { UserError } from '../../src/errors';
import { predictProbabilities } from '../../src/eval/probabilities';
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

describe('a layer the backend cannot run', () => {
  it('a Conv2D with strides and dilation rate both 2 is refused on wasm in one line naming the layer', async () => {
    const tf = loadTf();
    const model = tf.sequential({
      layers: [
        tf.layers.reshape({ inputShape: [784], targetShape: [28, 28, 1] }),
        tf.layers.conv2d({ filters: 2, kernelSize: 3, strides: 2, dilationRate: 2, name: 'odd' }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 10 }),
      ],
    });
    const refusal = (err: unknown) =>
      err instanceof UserError &&
      /^layer odd \(Conv2D\): strides \[2,2\] with dilation rate \[2,2\] cannot run on the wasm backend/.test(
        err.message,
      ) &&
      !err.message.includes('\n');
    await assert.rejects(evaluate(model, randomSplit(20, 8), { batchSize: 10 }), refusal);
    await assert.rejects(predictProbabilities(model, new Float32Array(784), 1), refusal);
    model.dispose();
  });
});
