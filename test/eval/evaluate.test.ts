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
  it('deals the batches out to the threads asked for, with exactly the single-thread results', async () => {
    const model = buildModel('cnn', 4);
    const split = randomSplit(1100, 8);
    const one = await evaluate(model, split, { batchSize: 250 });
    assert.deepEqual(one.perThread, [1100]);
    for (const threads of [2, 3]) {
      const many = await evaluate(model, split, { batchSize: 250, threads, backend: 'wasm' });
      // What the option changes: batch i (of 5, the last 100 images) is scored by thread i % threads.
      const expected = Array.from({ length: threads }, (_, t) =>
        [0, 1, 2, 3, 4].filter((i) => i % threads === t).reduce((n, i) => n + (i === 4 ? 100 : 250), 0),
      );
      assert.deepEqual(many.perThread, expected, `${threads} threads`);
      // What it must not change.
      assert.deepEqual(many.confusion, one.confusion, `${threads} threads`);
      assert.deepEqual(many.predictions, one.predictions);
      assert.equal(many.examples, 1100);
    }
  });

  it('stays on this thread for small models and for tfjs-node', async () => {
    const split = randomSplit(300, 8);
    const softmax = buildModel('softmax');
    const asked = await evaluate(softmax, split, { batchSize: 100, threads: 4, backend: 'wasm' });
    assert.deepEqual(asked.perThread, [300]);
    assert.deepEqual(asked.confusion, (await evaluate(softmax, split, { batchSize: 100 })).confusion);
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
