import { strict as assert } from 'node:assert';
import { before, describe, it } from 'node:test';
import type * as tfl from '@tensorflow/tfjs';
import { loadTf, useBackend } from '../../src/backends';
import { buildCnn, buildSoftmax, crossEntropy } from '../../src/models';

before(async () => {
  await useBackend('wasm');
});

function weight(model: tfl.LayersModel, layer: string, index: number): Float32Array {
  return model.getLayer(layer).getWeights()[index].dataSync() as Float32Array;
}

describe('models', () => {
  it('softmax: 7,850 parameters, all zero, 10 logits out', () => {
    const m = buildSoftmax();
    assert.equal(m.countParams(), 7850);
    assert.deepEqual(m.outputs[0].shape, [null, 10]);
    assert.ok(weight(m, 'logits', 0).every((v) => v === 0));
    assert.ok(weight(m, 'logits', 1).every((v) => v === 0));
  });

  it('cnn: the tutorial architecture with 3,274,634 parameters', () => {
    const m = buildCnn(1);
    assert.equal(m.countParams(), 3274634);
    assert.deepEqual(m.inputs[0].shape, [null, 784]);
    assert.deepEqual(m.outputs[0].shape, [null, 10]);
    const shapes = m.layers.map((l) => [l.name, JSON.stringify(l.outputShape)]);
    assert.deepEqual(shapes, [
      ['reshape', '[null,28,28,1]'],
      ['conv1', '[null,28,28,32]'],
      ['pool1', '[null,14,14,32]'],
      ['conv2', '[null,14,14,64]'],
      ['pool2', '[null,7,7,64]'],
      ['flatten', '[null,3136]'],
      ['fc1', '[null,1024]'],
      ['dropout', '[null,1024]'],
      ['logits', '[null,10]'],
    ]);
    const tf = loadTf();
    const out = tf.tidy(() => (m.predict(tf.zeros([3, 784])) as tfl.Tensor).shape);
    assert.deepEqual(out, [3, 10]);
  });

  it('cnn: weights truncated-normal σ=0.1 (cut at 2σ), biases 0.1, reproducible by seed', () => {
    const m = buildCnn(3);
    const w = weight(m, 'fc1', 0);
    let sum = 0;
    let sq = 0;
    let max = 0;
    for (const v of w) {
      sum += v;
      sq += v * v;
      max = Math.max(max, Math.abs(v));
    }
    const mean = sum / w.length;
    const std = Math.sqrt(sq / w.length - mean * mean);
    assert.ok(Math.abs(mean) < 1e-3, `mean ${mean}`);
    // A normal truncated at ±2σ has a standard deviation of 0.88σ.
    assert.ok(Math.abs(std - 0.088) < 0.002, `std ${std}`);
    assert.ok(max <= 0.2 + 1e-6, `max ${max}`);
    for (const layer of ['conv1', 'conv2', 'fc1', 'logits']) {
      assert.ok(
        weight(m, layer, 1).every((v) => Math.abs(v - 0.1) < 1e-7),
        `${layer} bias`,
      );
    }
    assert.deepEqual(weight(buildCnn(3), 'conv1', 0), weight(m, 'conv1', 0));
    assert.notDeepEqual(weight(buildCnn(4), 'conv1', 0), weight(m, 'conv1', 0));
  });

  it('cross-entropy is the batch mean of softmax cross-entropy on logits', () => {
    const tf = loadTf();
    const loss = tf.tidy(
      () =>
        crossEntropy(
          tf.tensor2d([
            [1, 0],
            [0, 1],
          ]),
          tf.tensor2d([
            [0, 0],
            [2, 0],
          ]),
        ).dataSync()[0],
    );
    const expected = (Math.log(2) + (Math.log(Math.exp(2) + 1) - 0)) / 2;
    assert.ok(Math.abs(loss - expected) < 1e-5, `${loss} vs ${expected}`);
  });
});
