/** Class probabilities for predict and the report: rows that sum to one, and no tensor left behind when a read fails. */
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
});
