/**
 * The webgpu step engine in a short real run: it learns (the loss falls, with
 * dropout on), `accuracy` through its forward pass agrees with the tfjs model
 * once `close` has written the weights back, steps not read back train the same, `engineKindFor` picks it for
 * webgpu, and a model it cannot build trains on the tensor engine. On a GPU's
 * adapter or Dawn's software one; else it skips saying why.
 */
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { loadTf, useBackend } from '../../src/backends';
import { createEngine, engineKindFor } from '../../src/engine';
import { accuracyOn } from '../../src/eval/predict';
import { buildModel } from '../../src/models';
import { trainLoop } from '../../src/train/trainer';
import { fixtureDatasets, tempDir } from '../helpers/fixtures';
import { webGpuForTests } from '../helpers/webgpu';

const webgpu = webGpuForTests();
const tmp = tempDir();
after(tmp.cleanup);
const fixture = fixtureDatasets(tmp.dir, 400, 50, 0, 5);

describe('the webgpu step engine', { skip: webgpu.missing ?? false }, () => {
  before(async () => {
    fixture.write();
    await useBackend('webgpu');
  });

  it('is what webgpu trains with', () => {
    assert.equal(engineKindFor('webgpu'), 'webgpu-step');
  });

  for (const [model, optimizer, learningRate, steps, batchSize] of [
    ['cnn', 'adam', 2e-3, 10, 8],
    ['softmax', 'sgd', 0.5, 20, 32],
  ] as const) {
    it(`learns the ${model} model with ${optimizer}, dropout on; close writes the weights into the model`, async () => {
      const m = buildModel(model, 2);
      const options = { backend: 'webgpu', model, optimizer, learningRate, seed: 4, batchSize } as const;
      const engine = await createEngine(m, options);
      const data = fixture.read();
      let closed = false;
      try {
        assert.equal(engine.kind, 'webgpu-step');
        // The loop reads the loss only on the first (logged) and last step: the others stay queued.
        const { losses } = await trainLoop(engine, data, { steps, batchSize, logEvery: 1000 });
        const [first, last] = [losses[0], losses[losses.length - 1]];
        assert.ok(last < first * 0.8, `loss ${first} → ${last}`);
        assert.equal(losses.filter(Number.isNaN).length, steps - 2, 'the steps between were not read');
        const batch = data.test.nextBatch(batchSize);
        const accuracy = await engine.accuracy?.(batch);
        assert.ok(accuracy !== undefined && accuracy > 0.2, `accuracy ${accuracy}`);
        await engine.close();
        closed = true;
        assert.equal(await accuracyOn(m, batch.xs, batch.labels), accuracy);
      } finally {
        if (!closed) await engine.close();
        m.dispose();
      }
    });
  }

  it('steps whose loss is not read are queued, and train the same', async () => {
    const options = {
      backend: 'webgpu',
      model: 'softmax',
      optimizer: 'sgd',
      learningRate: 0.5,
      seed: 1,
      batchSize: 16,
    } as const;
    const losses = async (readAll: boolean) => {
      const m = buildModel('softmax');
      const engine = await createEngine(m, options);
      const data = fixture.read();
      try {
        const out: number[] = [];
        for (let s = 0; s < 6; s++) out.push((await engine.step(data.train.nextBatch(16), s, readAll || s === 5)).loss);
        return out;
      } finally {
        await engine.close();
        m.dispose();
      }
    };
    const [all, last] = [await losses(true), await losses(false)];
    assert.ok(last.slice(0, 5).every(Number.isNaN), `unread losses: ${last.join(', ')}`);
    assert.equal(last[5], all[5]);
    assert.ok(all[5] < all[0], `loss ${all[0]} → ${all[5]}`);
  });

  it('leaves a model it cannot build to the tensor engine, saying why', async () => {
    const tf = loadTf();
    const m = tf.sequential({
      layers: [tf.layers.dense({ inputShape: [784], units: 10, activation: 'tanh' })],
    });
    const engine = await createEngine(m, {
      backend: 'webgpu',
      model: 'softmax',
      optimizer: 'sgd',
      learningRate: 0.1,
      seed: 1,
      batchSize: 4,
    });
    try {
      assert.equal(engine.kind, 'tensor');
      assert.match(
        engine.note ?? '',
        /webgpu step engine cannot build layer .*activation tanh; using the tensor engine/,
      );
    } finally {
      await engine.close();
      m.dispose();
    }
  });
});
