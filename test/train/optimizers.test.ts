import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { Adam, Sgd } from '../../src/train/optimizers';

describe('flat optimizers', () => {
  it('sgd: w -= lr·g', () => {
    const w = Float32Array.from([1, -2, 3]);
    new Sgd(0.5).apply(w, Float32Array.from([2, 2, -4]));
    assert.deepEqual(Array.from(w), [0, -3, 5]);
  });

  it("adam follows TF 1's AdamOptimizer update, step by step", () => {
    const lr = 0.1;
    const grads = [[0.5, -1, 0], [0.25, 2, 1e-3], [-0.5, 0.5, 0]];
    const w = Float32Array.from([1, 1, 1]);
    const adam = new Adam(3, lr);
    // Reference in float64: m, v and the bias-corrected rate of TF's adam.py.
    const ref = [1, 1, 1];
    const m = [0, 0, 0];
    const v = [0, 0, 0];
    grads.forEach((g, t) => {
      adam.apply(w, Float32Array.from(g));
      const lrT = (lr * Math.sqrt(1 - 0.999 ** (t + 1))) / (1 - 0.9 ** (t + 1));
      for (let j = 0; j < 3; j++) {
        m[j] = 0.9 * m[j] + 0.1 * g[j];
        v[j] = 0.999 * v[j] + 0.001 * g[j] * g[j];
        ref[j] -= (lrT * m[j]) / (Math.sqrt(v[j]) + 1e-8);
      }
      for (let j = 0; j < 3; j++) assert.ok(Math.abs(w[j] - ref[j]) < 1e-6, `step ${t} weight ${j}: ${w[j]} vs ${ref[j]}`);
    });
  });

  it('adam state round-trips', () => {
    const a = new Adam(2, 0.01);
    const w = Float32Array.from([1, 2]);
    a.apply(w, Float32Array.from([1, -1]));
    const b = new Adam(2, 0.01);
    b.setState(a.getState());
    const w2 = Float32Array.from(w);
    a.apply(w, Float32Array.from([0.5, 0.5]));
    b.apply(w2, Float32Array.from([0.5, 0.5]));
    assert.deepEqual(w2, w);
    assert.throws(() => new Adam(3, 0.01).setState(a.getState()), /does not fit/);
  });
});
