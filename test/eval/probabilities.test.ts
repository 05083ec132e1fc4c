/** Class probabilities for predict and the report: rows that sum to one, and no tensor left behind when a read fails. */
import type * as tfl from '@tensorflow/tfjs';
import { strict as assert } from 'node:assert';
import { before, describe, it } from 'node:test';
import { useBackend } from '../../src/backends';
import { loadTf } from '../../src/backends/tf';
import { IMAGE_SIZE, NUM_CLASSES } from '../../src/data/shapes';
import { buildModel } from '../../src/models';
import { predictProbabilities, topClasses } from '../../src/eval/probabilities';

before(async () => {
  await useBackend('cpu');
});

const images = (n: number) => Float32Array.from({ length: n * IMAGE_SIZE }, (_, i) => ((i * 7) % 13) / 13);

describe('predictProbabilities', () => {
  it('gives one row of probabilities per image, in batches, and keeps no tensor', async () => {
    const model = buildModel('softmax', 3);
    const before = loadTf().memory().numTensors;
    const probs = await predictProbabilities(model, images(5), 5, 2);
    assert.equal(probs.length, 5 * NUM_CLASSES);
    for (let i = 0; i < 5; i++) {
      const row = probs.subarray(i * NUM_CLASSES, (i + 1) * NUM_CLASSES).reduce((a, b) => a + b, 0);
      assert.ok(Math.abs(row - 1) < 1e-5, `row ${i} sums to ${row}`);
    }
    assert.equal(topClasses(probs, 0, 3).length, 3);
    assert.equal(loadTf().memory().numTensors, before);
  });

  it('disposes its tensor when reading it back fails (a lost GPU device, say)', async () => {
    const model = buildModel('softmax', 3);
    const tf = loadTf();
    const before = tf.memory().numTensors;
    const read = tf.Tensor.prototype.data;
    tf.Tensor.prototype.data = () => Promise.reject(new Error('the device was lost'));
    try {
      await assert.rejects(predictProbabilities(model, images(2), 2), /the device was lost/);
    } finally {
      tf.Tensor.prototype.data = read;
    }
    assert.equal(tf.memory().numTensors, before);
  });

  it('applies softmax once: a model whose last layer has softmax gives its own outputs', async () => {
    const tf = loadTf();
    const model = tf.sequential({
      layers: [tf.layers.dense({ inputShape: [IMAGE_SIZE], units: NUM_CLASSES, activation: 'softmax' })],
    });
    // Weights that make one class clearly likelier than the others (softmax twice would flatten it).
    model.layers[0].setWeights([tf.fill([IMAGE_SIZE, NUM_CLASSES], 0.01), tf.tensor1d([0, 0, 0, 0, 0, 0, 0, 3, 0, 0])]);
    const xs = images(2);
    const probs = await predictProbabilities(model, xs, 2);
    const expected = tf.tidy(() => (model.predict(tf.tensor2d(xs, [2, IMAGE_SIZE])) as tfl.Tensor).dataSync());
    probs.forEach((p, i) => assert.ok(Math.abs(p - expected[i]) < 1e-6, `value ${i}: ${p} vs ${expected[i]}`));
    assert.equal(topClasses(probs, 0, 1)[0].class, 7);
    assert.ok(topClasses(probs, 0, 1)[0].probability > 0.6, 'the most likely class keeps its probability');
    model.dispose();
  });
});
