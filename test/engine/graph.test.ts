/**
 * What the graph engine adds to the engine contract (contract.test.ts): its
 * own dropout (stateless, from the seed and the step) repeats exactly, also
 * across a resume; evaluation through a graph predicts what the tfjs model
 * predicts; a layer it cannot build is a one-line error naming the layer; the
 * thread settings reach TensorFlow as a ConfigProto. Skips, saying why, where
 * `native` did not build the graph addon.
 */
import type * as tfl from '@tensorflow/tfjs';
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { loadTf, useBackend } from '../../src/backends';
import type { Batch } from '../../src/data/batches';
import { EngineOptions, EngineState, createEngine } from '../../src/engine';
import { graphEngineUnavailable } from '../../src/engine/graph';
import { GraphBuilder } from '../../src/engine/graph/builder';
import { GraphInference } from '../../src/engine/graph/inference';
import { DT, GraphApi, loadGraphApi } from '../../src/native/graph-api';
import { threadConfig } from '../../src/engine/graph/threads';
import { predictClasses } from '../../src/eval/predict';
import { buildModel } from '../../src/models';
import { UserError } from '../../src/errors';
import { fixtureDatasets, tempDir } from '../helpers/fixtures';

const tmp = tempDir();
after(tmp.cleanup);
const fixture = fixtureDatasets(tmp.dir, 200, 20, 0, 4);
let batches: Batch[] = [];
let missing: string | undefined;

before(async () => {
  fixture.write();
  const train = fixture.read().train;
  batches = Array.from({ length: 6 }, () => {
    const b = train.nextBatch(16);
    return { xs: b.xs.slice(), ys: b.ys.slice(), labels: b.labels.slice(), size: b.size };
  });
  try {
    await useBackend('tensorflow');
    missing = graphEngineUnavailable();
  } catch (err) {
    missing = `native backend not set up (\`npx mnist-deep native\`): ${(err as Error).message}`;
  }
});

const OPTIONS: EngineOptions = {
  backend: 'tensorflow',
  model: 'cnn',
  optimizer: 'adam',
  learningRate: 1e-3,
  seed: 5,
  batchSize: 16,
  engine: 'graph',
};

/** Losses of steps [from, to) on a fresh engine from `state` (dropout on); the state after them. */
async function losses(
  from: number,
  to: number,
  state?: EngineState,
): Promise<{ losses: number[]; state: EngineState }> {
  const model = buildModel('cnn', 2);
  const engine = await createEngine(model, OPTIONS, state);
  try {
    const out: number[] = [];
    for (let s = from; s < to; s++) out.push((await engine.step(batches[s], s)).loss);
    return { losses: out, state: await engine.exportState() };
  } finally {
    await engine.close();
    model.dispose();
  }
}

describe('graph engine', () => {
  it('threadConfig writes ConfigProto fields 2 and 5 as varints', () => {
    assert.deepEqual([...threadConfig(2, 2)], [0x10, 2, 0x28, 2]);
    assert.deepEqual([...threadConfig(300, 1)], [0x10, 0xac, 0x02, 0x28, 1]);
  });

  it('dropout repeats exactly from the seed and step, also across a resume', async (t) => {
    if (missing) return t.skip(missing);
    const whole = await losses(0, 6);
    const again = await losses(0, 6);
    assert.deepEqual(again.losses, whole.losses);
    const first = await losses(0, 3);
    const rest = await losses(3, 6, first.state);
    assert.deepEqual([...first.losses, ...rest.losses], whole.losses);
    assert.equal(rest.state.optimizer.step, 6);
  });

  it('the graph engine leaves the trained weights in the tfjs model when it closes', async (t) => {
    if (missing) return t.skip(missing);
    const model = buildModel('cnn', 2);
    const before = (model.trainableWeights[0].read().dataSync() as Float32Array).slice();
    const engine = await createEngine(model, OPTIONS);
    await engine.step(batches[0], 0);
    await engine.close();
    const after = model.trainableWeights[0].read().dataSync() as Float32Array;
    assert.ok(
      after.some((v, i) => v !== before[i]),
      'conv1/kernel changed',
    );
    model.dispose();
  });

  it('a failed final weight copy on close is an error, not the initial weights kept silently', async (t) => {
    if (missing) return t.skip(missing);
    const model = buildModel('cnn', 2);
    const engine = await createEngine(model, OPTIONS);
    try {
      await engine.step(batches[0], 0);
      // The session gone underneath (as a TensorFlow failure would leave it): the copy cannot run.
      (loadGraphApi().api as GraphApi).closeSession(Reflect.get(engine, 'session'));
      await assert.rejects(engine.close(), /the trained weights could not be copied out of the graph engine/);
    } finally {
      model.dispose();
    }
  });

  it('evaluation through a graph predicts what the tfjs model predicts', async (t) => {
    if (missing) return t.skip(missing);
    const model = buildModel('cnn', 4);
    const graph = await GraphInference.create(model);
    assert.ok(graph, 'the CNN builds as a graph');
    try {
      const b = batches[1];
      assert.deepEqual([...(await graph.classes(b.xs, b.size))], [...predictClasses(model, b.xs, b.size)]);
      const probs = await graph.probabilities(b.xs, b.size);
      const tf = loadTf();
      const expected = tf.tidy(() =>
        tf.softmax(model.predict(tf.tensor2d(b.xs, [b.size, 784])) as tfl.Tensor2D).dataSync(),
      );
      probs.forEach((p, i) => assert.ok(Math.abs(p - expected[i]) < 1e-5, `probability ${i}: ${p} vs ${expected[i]}`));
    } finally {
      graph.close();
      model.dispose();
    }
  });

  it('the addon refuses a tensor whose data does not match its dtype and shape (no reinterpreted bytes)', (t) => {
    if (missing) return t.skip(missing);
    const api = loadGraphApi().api as GraphApi;
    const g = new GraphBuilder(api);
    assert.throws(() => g.constant([DT.int64, [1], new Float64Array([1])]), /does not match its dtype and shape/);
    assert.throws(() => g.constant([DT.float, [3], new Float32Array(2)]), /does not match its dtype and shape/);
    assert.doesNotThrow(() => g.constant([DT.int64, [1], new BigInt64Array([1n])]));
  });

  it('a layer the graph builder does not know is one line naming it', async (t) => {
    if (missing) return t.skip(missing);
    const tf = loadTf();
    const model = tf.sequential({
      layers: [
        tf.layers.dense({ inputShape: [784], units: 8, name: 'hidden' }),
        tf.layers.batchNormalization({ name: 'norm' }),
        tf.layers.dense({ units: 10, name: 'out' }),
      ],
    });
    await assert.rejects(
      createEngine(model, { ...OPTIONS, model: 'softmax' }),
      (err: Error) =>
        err instanceof UserError &&
        /layer norm \(BatchNormalization\)/.test(err.message) &&
        !err.message.includes('\n'),
    );
    assert.equal(await GraphInference.create(model), undefined, 'evaluation falls back to tfjs');
    model.dispose();
  });
});
