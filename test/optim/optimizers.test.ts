import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { learningRateAt } from '../../src/optim';
import { Adam, Sgd } from '../../src/optim/flat';
import { RECIPE_DEFAULTS, resolveConfig } from '../../src/train/config';

describe('flat optimizers', () => {
  it('sgd: w -= lr·g', () => {
    const w = Float32Array.from([1, -2, 3]);
    new Sgd(0.5).apply(w, Float32Array.from([2, 2, -4]));
    assert.deepEqual(Array.from(w), [0, -3, 5]);
  });

  it("adam follows TF 1's AdamOptimizer update, step by step", () => {
    const lr = 0.1;
    const grads = [
      [0.5, -1, 0],
      [0.25, 2, 1e-3],
      [-0.5, 0.5, 0],
    ];
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
      for (let j = 0; j < 3; j++)
        assert.ok(Math.abs(w[j] - ref[j]) < 1e-6, `step ${t} weight ${j}: ${w[j]} vs ${ref[j]}`);
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

  it("cosine decay follows TF's CosineDecay: lr at step 0, half-way, and 2% from the end on", () => {
    const h = { learningRate: 1e-3, decay: { kind: 'cosine' as const, steps: 3000, finalFraction: 0.02 } };
    assert.equal(learningRateAt(h, 0), 1e-3);
    assert.ok(Math.abs(learningRateAt(h, 1500) - 1e-3 * (0.98 * 0.5 + 0.02)) < 1e-15);
    assert.ok(Math.abs(learningRateAt(h, 3000) - 2e-5) < 1e-15);
    assert.equal(learningRateAt(h, 9999), learningRateAt(h, 3000));
    assert.equal(learningRateAt({ learningRate: 0.5 }, 123), 0.5);
  });

  it('sgd and adam take the scheduled rate of each step, also after a state round-trip', () => {
    const decay = { kind: 'cosine' as const, steps: 4, finalFraction: 0.02 };
    const sgd = new Sgd(1, decay);
    const w = Float32Array.from([0]);
    for (let t = 0; t < 6; t++) {
      const before = w[0];
      sgd.apply(w, Float32Array.from([1]));
      assert.ok(Math.abs(before - w[0] - learningRateAt({ learningRate: 1, decay }, t)) < 1e-6, `step ${t}`);
    }
    // Adam with a rate that decays to nearly nothing moves less than Adam at a constant rate.
    const a = new Adam(1, 0.1, undefined, { kind: 'cosine', steps: 2, finalFraction: 0.001 });
    const c = new Adam(1, 0.1);
    const wa = Float32Array.from([0]);
    const wc = Float32Array.from([0]);
    for (let t = 0; t < 5; t++) {
      a.apply(wa, Float32Array.from([1]));
      c.apply(wc, Float32Array.from([1]));
    }
    assert.ok(Math.abs(wa[0]) < Math.abs(wc[0]) * 0.5);
    const b = new Adam(1, 0.1, undefined, { kind: 'cosine', steps: 2, finalFraction: 0.001 });
    b.setState(a.getState());
    const wb = Float32Array.from(wa);
    a.apply(wa, Float32Array.from([1]));
    b.apply(wb, Float32Array.from([1]));
    assert.deepEqual(wb, wa);
  });

  it('recipes: seed is the tutorial, fast decays over the steps of the run', () => {
    assert.deepEqual(resolveConfig({ model: 'cnn' }).learningRate, 1e-4);
    assert.equal(resolveConfig({ model: 'cnn' }).decay, undefined);
    const fast = resolveConfig({ model: 'cnn', recipe: 'fast' });
    assert.deepEqual([fast.steps, fast.batchSize, fast.optimizer, fast.learningRate], [3000, 100, 'adam', 1e-3]);
    assert.deepEqual(fast.decay, { kind: 'cosine', steps: 3000, finalFraction: 0.02 });
    const override = resolveConfig({ model: 'cnn', recipe: 'fast', steps: 500, learningRate: 2e-3 });
    assert.deepEqual([override.learningRate, override.decay?.steps], [2e-3, 500]);
    assert.deepEqual(RECIPE_DEFAULTS.fast.softmax, RECIPE_DEFAULTS.seed.softmax);
  });
});
