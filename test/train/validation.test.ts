import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { useBackend } from '../../src/backends';
import { createEngine } from '../../src/engine';
import { graphEngineUnavailable } from '../../src/engine/graph';
import type { EngineKind } from '../../src/engine/types';
import { evaluate } from '../../src/eval/evaluate';
import { UsageError } from '../../src/errors';
import { buildModel } from '../../src/models';
import { resolveConfig } from '../../src/train/config';
import { trainLoop } from '../../src/train/trainer';
import { epochInterval, validate } from '../../src/train/validation';
import { fixtureDatasets, tempDir } from '../helpers/fixtures';

const tmp = tempDir();
after(tmp.cleanup);
const fixture = fixtureDatasets(tmp.dir, 600, 200, 150, 1);
before(() => fixture.write());

describe('validation during training', () => {
  it('the default interval is an epoch rounded to the log interval, at least one log interval', () => {
    assert.equal(epochInterval(55000, 50, 100), 1100);
    assert.equal(epochInterval(55000, 100, 100), 600);
    assert.equal(epochInterval(55000, 100, 1000), 1000);
    assert.equal(epochInterval(450, 100, 100), 100);
  });

  it('--validate-every needs a validation split (exit 2); without one, validation is off', () => {
    assert.throws(
      () => resolveConfig({ validateEvery: 100, validationSize: 0 }),
      (e: unknown) =>
        e instanceof UsageError &&
        e.exitCode === 2 &&
        e.message === '--validate-every 100: there is no validation split to measure (--validation-size 0)',
    );
    assert.equal(resolveConfig({ validationSize: 0 }).validateEvery, 0);
    assert.equal(resolveConfig({ validateEvery: 30 }).validateEvery, 30);
    assert.equal(resolveConfig({}).validateEvery, undefined);
  });

  it('the loop validates every n steps done, the last included, and a validation may end the run early', async () => {
    await useBackend('wasm');
    const data = fixture.read();
    const model = buildModel('softmax');
    const engine = await createEngine(model, {
      backend: 'wasm',
      model: 'softmax',
      optimizer: 'sgd',
      learningRate: 0.5,
      seed: 1,
      batchSize: 20,
      threads: 1,
    });
    try {
      const seen: number[] = [];
      // Each validation takes 30 ms here: the summary counts them and their time, part of the loop's.
      const onValidate = async (done: number) => {
        seen.push(done);
        await new Promise((resolve) => setTimeout(resolve, 30));
      };
      const full = await trainLoop(
        engine,
        data,
        { steps: 25, batchSize: 20, logEvery: 5, validateEvery: 10 },
        { onValidate },
      );
      assert.deepEqual(seen, [10, 20]);
      assert.equal(full.stoppedEarly, undefined);
      assert.equal(full.validations.count, 2);
      assert.ok(
        full.validations.seconds >= 0.055 && full.validations.seconds < full.seconds,
        `${full.validations.seconds} s`,
      );
      seen.length = 0;
      const run = { steps: 60, batchSize: 20, logEvery: 5, validateEvery: 5 };
      const early = await trainLoop(
        engine,
        data,
        run,
        {
          onValidate: async (done) => (seen.push(done), done === 40 ? 'stop' : undefined),
        },
        25,
      );
      assert.deepEqual(seen, [30, 35, 40]);
      assert.deepEqual([early.stepsDone, early.stopped, early.stoppedEarly], [40, false, true]);
      assert.equal(early.validations.count, 3);
    } finally {
      await engine.close();
      model.dispose();
    }
  });

  // The graph engine scores in its inference graph, the others through the model: both must equal
  // the closing evaluation of the model with the same weights.
  for (const [backend, kind] of [
    ['wasm', 'flat'],
    ['tensorflow', 'graph'],
  ] as const satisfies readonly (readonly ['wasm' | 'tensorflow', EngineKind])[]) {
    it(`on the ${kind} engine (${backend}), it scores exactly what evaluating the trained model does`, async (t) => {
      if (backend === 'tensorflow') {
        const missing = graphEngineUnavailable();
        if (missing) return t.skip(missing);
        try {
          await useBackend('tensorflow');
        } catch (err) {
          return t.skip(`native backend not set up: ${(err as Error).message}`);
        }
      } else await useBackend('wasm');
      const data = fixture.read();
      const model = buildModel('cnn', 2);
      const options = { backend, model: 'cnn', optimizer: 'adam', learningRate: 1e-3, seed: 1, batchSize: 16 } as const;
      const engine = await createEngine(model, { ...options, threads: 1, engine: kind });
      try {
        assert.equal(engine.kind, kind);
        await trainLoop(engine, data, { steps: 12, batchSize: 16, logEvery: 100 });
        const measured = await validate(engine, data.validation, 64);
        await engine.exportState();
        const closing = await evaluate(engine.model, data.validation, { batchSize: 64 });
        assert.equal(measured.accuracy, closing.accuracy);
        assert.ok(measured.accuracy > 0.2, `learned something: ${measured.accuracy}`);
        assert.ok(Number.isFinite(measured.loss) && measured.loss > 0);
      } finally {
        await engine.close();
        model.dispose();
      }
    });
  }
});
