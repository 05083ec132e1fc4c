/**
 * The graph engine under TensorFlow's tracer (`npm run bench -- --profile`): a traced step trains
 * like any other step and names every kernel TensorFlow ran, with its time; TensorFlow's oneDNN
 * kernels are asked for unless the environment already says (src/backends/onednn.ts), and the
 * answer is TensorFlow's own. Skips, saying why, where `native` did not build the graph addon.
 */
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { useBackend } from '../../src/backends';
import { ONEDNN_VARIABLE, preferOneDnn } from '../../src/backends/onednn';
import type { Batch } from '../../src/data/dataset';
import { createEngine } from '../../src/engine';
import { GraphEngine, graphEngineUnavailable } from '../../src/engine/graph';
import { buildModel } from '../../src/models';
import { fixtureDatasets, tempDir } from '../helpers/fixtures';

const tmp = tempDir();
after(tmp.cleanup);
const fixture = fixtureDatasets(tmp.dir, 100, 20, 0, 4);
let batch: Batch;
let missing: string | undefined;

before(async () => {
  fixture.write();
  batch = fixture.read().train.nextBatch(16);
  try {
    await useBackend('tensorflow');
    missing = graphEngineUnavailable();
  } catch (err) {
    missing = `native backend not set up (\`npx mnist-deep native\`): ${(err as Error).message}`;
  }
});

describe('preferOneDnn', () => {
  it('sets TF_ENABLE_ONEDNN_OPTS=1 only where the environment does not say', () => {
    const unset: NodeJS.ProcessEnv = {};
    preferOneDnn(unset);
    assert.equal(unset[ONEDNN_VARIABLE], '1');
    for (const value of ['0', 'false', '1', '']) {
      const env: NodeJS.ProcessEnv = { [ONEDNN_VARIABLE]: value };
      preferOneDnn(env);
      assert.equal(env[ONEDNN_VARIABLE], value);
    }
  });
});

describe('graph engine: a traced step', () => {
  it('trains as a step does and names the kernels that ran, with their times', async (t) => {
    if (missing) return t.skip(missing);
    const run = async (traced: boolean) => {
      const model = buildModel('softmax');
      const engine = await createEngine(model, {
        backend: 'tensorflow',
        model: 'softmax',
        optimizer: 'sgd',
        learningRate: 0.5,
        seed: 1,
        batchSize: 16,
        engine: 'graph',
      });
      assert.ok(engine instanceof GraphEngine);
      try {
        const first = traced ? await engine.traceStep(batch) : { ...(await engine.step(batch)), ops: [] };
        const second = await engine.step(batch);
        return { first, second: second.loss };
      } finally {
        await engine.close();
        model.dispose();
      }
    };
    const plain = await run(false);
    const traced = await run(true);
    assert.equal(traced.first.loss, plain.first.loss);
    assert.equal(traced.second, plain.second, 'the traced step updated the weights as a plain step does');
    const kernels = new Set(traced.first.ops.map((o) => o.kernel));
    // The forward product, its gradient and the optimizer (names may carry oneDNN's _Mkl prefix).
    for (const k of ['MatMul', 'SoftmaxCrossEntropyWithLogits', 'ResourceApplyGradientDescent'])
      assert.ok(
        [...kernels].some((name) => name.includes(k)),
        `${k} among ${[...kernels].join(', ')}`,
      );
    assert.ok(traced.first.ops.every((o) => o.micros >= 0 && o.node !== ''));
    assert.ok(traced.first.ops.some((o) => o.micros > 0));
  });
});

describe('oneDNN: what TensorFlow reports', () => {
  const kernels = (env: NodeJS.ProcessEnv) =>
    execFileSync(
      process.execPath,
      [
        '-e',
        `const b = require(${JSON.stringify(require.resolve('../../src/backends'))});
         b.useBackend('tensorflow').then(() => process.stdout.write(b.tensorflowKernels()));`,
      ],
      { encoding: 'utf8', env },
    );

  it('is on unless the environment turns it off, whatever this CPU would have by default', (t) => {
    if (missing) return t.skip(missing);
    const env = { ...process.env };
    delete env[ONEDNN_VARIABLE];
    assert.match(kernels(env), /^oneDNN/);
    assert.match(kernels({ ...env, [ONEDNN_VARIABLE]: '0' }), /^Eigen \(oneDNN off\)/);
    assert.match(kernels({ ...env, [ONEDNN_VARIABLE]: '1' }), /^oneDNN/);
  });
});
