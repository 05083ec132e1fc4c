import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { loadTf, useBackend } from '../../src/backends';
import { buildModel } from '../../src/models';
import { resolveConfig } from '../../src/train/config';
import { evaluate } from '../../src/eval/evaluate';
import { trainLoop } from '../../src/train/trainer';
import { Replica } from '../../src/engine/replica';
import { FlatEngine } from '../../src/engine/flat';
import type { TrainingEngine } from '../../src/engine/types';
import { fixtureDatasets, tempDir } from '../helpers/fixtures';

const tmp = tempDir();
after(tmp.cleanup);
const fixture = fixtureDatasets(tmp.dir, 600, 200, 100, 1);
const data = fixture.read;
before(async () => {
  await useBackend('wasm');
  fixture.write();
});
const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;

describe('training', () => {
  it('uses the tutorial defaults per model, and options override them', () => {
    assert.deepEqual(
      (({ steps, batchSize, optimizer, learningRate }) => ({ steps, batchSize, optimizer, learningRate }))(
        resolveConfig({ model: 'softmax' }),
      ),
      { steps: 1000, batchSize: 100, optimizer: 'sgd', learningRate: 0.5 },
    );
    const cnn = resolveConfig({});
    assert.equal(cnn.model, 'cnn');
    assert.equal(cnn.steps, 20000);
    assert.equal(cnn.learningRate, 1e-4);
    assert.equal(cnn.saveDir, 'models/cnn');
    assert.equal(resolveConfig({ model: 'cnn', learningRate: 0.01, batchSize: 7 }).batchSize, 7);
  });

  it('softmax: loss falls and the model learns the generated classes', async () => {
    const d = data();
    const model = buildModel('softmax');
    const logs: number[] = [];
    const engine = new FlatEngine(new Replica(model, 'sgd', 0.5, { seed: 1, thread: 0 }));
    const summary = await trainLoop(
      engine,
      d,
      { steps: 60, batchSize: 50, logEvery: 20 },
      { onLog: (l) => logs.push(l.step) },
    );
    assert.deepEqual(logs, [0, 20, 40]);
    assert.ok(
      mean(summary.losses.slice(-10)) < summary.losses[0] / 4,
      `losses ${summary.losses[0]} → ${mean(summary.losses.slice(-10))}`,
    );
    assert.ok((await evaluate(model, d.test, { batchSize: 64 })).accuracy > 0.9);
  });

  it('cnn: loss falls and no tensor leaks across steps', async () => {
    const tf = loadTf();
    const d = data();
    const model = buildModel('cnn', 2);
    const engine = new FlatEngine(new Replica(model, 'adam', 1e-3, { seed: 1, thread: 0 }));
    await trainLoop(engine, d, { steps: 2, batchSize: 16, logEvery: 1 });
    const before = tf.memory().numTensors;
    const summary = await trainLoop(engine, d, { steps: 30, batchSize: 16, logEvery: 5 });
    assert.equal(tf.memory().numTensors, before, 'tensor count stable');
    assert.ok(
      mean(summary.losses.slice(-5)) < mean(summary.losses.slice(0, 5)) / 2,
      `losses ${summary.losses.map((l) => l.toFixed(2)).join(' ')}`,
    );
  });

  it('asks for the loss only where it is logged, checkpointed or last; a NaN it asked for stops the run', async () => {
    const d = data();
    const engine: TrainingEngine = new FlatEngine(
      new Replica(buildModel('softmax'), 'sgd', 0.5, { seed: 1, thread: 0 }),
    );
    // The real engine, recording what the loop asks of it, and answering unread where it may (as a GPU engine does).
    const asked: number[] = [];
    const step = engine.step.bind(engine);
    engine.step = async (batch, s, readLoss) => {
      const result = await step(batch, s, readLoss);
      if (readLoss) asked.push(s);
      return readLoss ? result : { loss: NaN, unread: true as const };
    };
    const summary = await trainLoop(engine, d, { steps: 10, batchSize: 20, logEvery: 4, checkpointEvery: 3 });
    // Logged 0, 4, 8; checkpoints after steps 2, 5, 8 (done 3, 6, 9); the last step 9.
    assert.deepEqual(asked, [0, 2, 4, 5, 8, 9]);
    assert.equal(summary.stepsDone, 10);
    engine.step = async (batch, s) => ({ ...(await step(batch, s)), loss: s === 1 ? NaN : 1 });
    await assert.rejects(trainLoop(engine, d, { steps: 5, batchSize: 20, logEvery: 4 }), /step 1/);
  });
});
