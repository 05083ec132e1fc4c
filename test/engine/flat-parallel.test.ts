import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { loadTf, useBackend } from '../../src/backends';
import { buildModel } from '../../src/models';
import { Replica, flatGradients, getFlatWeights, trainableVariables } from '../../src/engine/replica';
import { ParallelFlatEngine, combineGradients, shardRange, splitCounts } from '../../src/engine/flat-parallel';
import { autoThreads, createEngine } from '../../src/engine';
import { MAX_USEFUL_THREADS } from '../../src/threads/worth';
import { trainLoop } from '../../src/train/trainer';
import { fixtureDatasets, tempDir } from '../helpers/fixtures';
import { maxRelDiff } from '../helpers/compare';

const tmp = tempDir();
after(tmp.cleanup);
const fixture = fixtureDatasets(tmp.dir, 400, 100, 50, 3);
const data = fixture.read;
before(async () => {
  await useBackend('wasm');
  fixture.write();
});

describe('data-parallel training', () => {
  it('splits batches evenly', () => {
    assert.deepEqual(splitCounts(50, 2), [25, 25]);
    assert.deepEqual(splitCounts(7, 3), [3, 2, 2]);
    assert.equal(autoThreads({ backend: 'tensorflow', parameters: 3_274_634, batchSize: 50 }, 8), 1);
    assert.equal(autoThreads({ backend: 'webgpu', parameters: 3_274_634, batchSize: 50 }, 8), 1);
    assert.equal(autoThreads({ backend: 'wasm', parameters: 7850, batchSize: 50 }, 8), 1);
    assert.equal(autoThreads({ backend: 'wasm', parameters: 3_274_634, batchSize: 50 }, 2), 2);
    assert.equal(autoThreads({ backend: 'wasm', parameters: 3_274_634, batchSize: 3 }, 8), 3);
    assert.equal(autoThreads({ backend: 'wasm', parameters: 3_274_634, batchSize: 50 }, 8), MAX_USEFUL_THREADS);
    assert.deepEqual(
      [0, 1, 2].map((t) => shardRange(10, 3, t)),
      [
        [0, 4],
        [4, 8],
        [8, 10],
      ],
    );
  });

  it('refuses a replica whose state is not in shared memory', async () => {
    const replica = new Replica(buildModel('softmax'), 'sgd', 0.5, { seed: 1, thread: 0 });
    await assert.rejects(
      ParallelFlatEngine.start(replica, 2, {
        backend: 'wasm',
        model: 'softmax',
        optimizer: 'sgd',
        learningRate: 0.5,
        seed: 1,
      }),
      /sharedState/,
    );
  });

  it('the size-weighted sum of part gradients is the whole batch gradient (cnn, no dropout)', () => {
    const d = data();
    const model = buildModel('cnn', 5);
    const vars = trainableVariables(model);
    const b = d.train.nextBatch(7);
    const whole = flatGradients(model, vars, b.xs, b.ys, 7, false).grads;
    const parts = [
      flatGradients(model, vars, b.xs.subarray(0, 4 * 784), b.ys.subarray(0, 40), 4, false).grads,
      flatGradients(model, vars, b.xs.subarray(4 * 784), b.ys.subarray(40), 3, false).grads,
    ];
    const combined = combineGradients(parts, [4, 3], new Float32Array(whole.length));
    assert.ok(maxRelDiff(combined, whole) < 1e-5, `${maxRelDiff(combined, whole)}`);
  });

  const run = async (threads: number, optimizerName: 'adam' | 'sgd', learningRate: number) => {
    const model = buildModel('softmax');
    const engine = await createEngine(model, {
      backend: 'wasm',
      model: 'softmax',
      optimizer: optimizerName,
      learningRate,
      seed: 1,
      batchSize: 21,
      threads,
    });
    assert.equal(engine.threads, threads);
    try {
      const summary = await trainLoop(engine, data(), { steps: 25, batchSize: 21, logEvery: 100 });
      return { losses: summary.losses, weights: getFlatWeights(trainableVariables(model)) };
    } finally {
      await engine.close();
    }
  };

  const sameCurve = (a: number[], b: number[]) =>
    a.forEach((l, i) => assert.ok(Math.abs(l - b[i]) <= 1e-4 * Math.abs(b[i]), `step ${i}: ${l} vs ${b[i]}`));

  it('two and three threads reach the same weights as one (softmax, sgd)', async () => {
    const one = await run(1, 'sgd', 0.5);
    for (const threads of [2, 3]) {
      const other = await run(threads, 'sgd', 0.5);
      sameCurve(other.losses, one.losses);
      assert.ok(
        maxRelDiff(other.weights, one.weights) < 1e-4,
        `${threads} threads: weights differ by ${maxRelDiff(other.weights, one.weights)}`,
      );
    }
    assert.ok(one.losses[24] < one.losses[0] / 2);
  });

  it('two threads follow the same loss curve as one with adam, leaking no tensors', async () => {
    const tf = loadTf();
    const one = await run(1, 'adam', 0.01);
    const before = tf.memory().numTensors;
    const two = await run(2, 'adam', 0.01);
    // Adam divides by the root of tiny second moments, so weights whose gradients are
    // pure rounding noise may move apart; the loss curve may not.
    sameCurve(two.losses, one.losses);
    // The run leaves only its own model's 2 variables behind.
    assert.equal(tf.memory().numTensors - before, 2);
  });

  it('cnn on two threads: loss falls', async () => {
    const model = buildModel('cnn', 2);
    const engine = await createEngine(model, {
      backend: 'wasm',
      model: 'cnn',
      optimizer: 'adam',
      learningRate: 1e-3,
      seed: 1,
      batchSize: 16,
      threads: 2,
    });
    try {
      const { losses } = await trainLoop(engine, data(), { steps: 30, batchSize: 16, logEvery: 100 });
      const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
      assert.ok(mean(losses.slice(-5)) < mean(losses.slice(0, 5)) / 2, losses.map((l) => l.toFixed(2)).join(' '));
    } finally {
      await engine.close();
    }
  });
});
