/**
 * One contract, every training engine that loads here (as tfjs runs one op
 * suite over all backends): from the same weights and batches, with dropout
 * off, every engine gives the same losses; a new engine built from another's
 * exportState() continues with the same next loss (also through a checkpoint
 * file, across backends both ways); validation (train/validation.ts: the
 * engine's own `evaluate` where it has one, else the model) scores the same
 * loss and accuracy; and steps leak no tensors. Engines on
 * tensorflow skip, saying why, where the native backend is not set up.
 */
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import type { TestContext } from 'node:test';
import type { LayersModel } from '@tensorflow/tfjs';
import { loadTf, useBackend } from '../../src/backends';
import type { BackendName } from '../../src/backends/choices';
import type { Batch, DataSplit } from '../../src/data/batches';
import type { BatchScore } from '../../src/engine/types';
import { EngineKind, EngineOptions, EngineState, createEngine } from '../../src/engine';
import { graphEngineUnavailable } from '../../src/engine/graph';
import { getFlatWeights, trainableVariables } from '../../src/engine/replica';
import { buildCnn, buildSoftmax } from '../../src/models';
import type { ModelName } from '../../src/models/names';
import { readCheckpoint, writeCheckpoint } from '../../src/train/checkpoint';
import { resolveConfig } from '../../src/train/config';
import { validate } from '../../src/train/validation';
import type { LearningRateSchedule, OptimizerName } from '../../src/optim';
import { fixtureDatasets, tempDir } from '../helpers/fixtures';
import { NARROW_CNN, webGpuForTests } from '../helpers/webgpu';

const tmp = tempDir();
after(tmp.cleanup);
const fixture = fixtureDatasets(tmp.dir, 300, 50, 0, 4);

interface EngineCase {
  name: string;
  backend: BackendName;
  engine: EngineKind;
  threads: number;
}

const ALL_CASES: EngineCase[] = [
  { name: 'flat, 1 thread, wasm', backend: 'wasm', engine: 'flat', threads: 1 },
  { name: 'flat, 2 threads, wasm', backend: 'wasm', engine: 'flat', threads: 2 },
  { name: 'tensor, wasm', backend: 'wasm', engine: 'tensor', threads: 1 },
  { name: 'tensor, tensorflow', backend: 'tensorflow', engine: 'tensor', threads: 1 },
  { name: 'graph, tensorflow', backend: 'tensorflow', engine: 'graph', threads: 2 },
  { name: 'flat, 1 thread, tensorflow', backend: 'tensorflow', engine: 'flat', threads: 1 },
  { name: 'tensor, webgpu', backend: 'webgpu', engine: 'tensor', threads: 1 },
  { name: 'webgpu step engine, webgpu', backend: 'webgpu', engine: 'webgpu-step', threads: 1 },
];

/**
 * webgpu runs in a process of its own (contract-webgpu.test.ts sets this):
 * Dawn and libtensorflow loaded in one process crash it. The first case, the
 * reference, runs in both.
 */
const ON_WEBGPU = process.env.MNIST_DEEP_CONTRACT === 'webgpu';
const CASES = ALL_CASES.filter((c, i) => i === 0 || (c.backend === 'webgpu') === ON_WEBGPU);

const STEPS = 4;

const MODELS: {
  model: ModelName;
  /** The model, with initial weights from `seed`. */
  build: (seed: number) => LayersModel;
  title: string;
  optimizer: OptimizerName;
  learningRate: number;
  decay?: LearningRateSchedule;
  batch: number;
}[] = [
  { model: 'softmax', build: buildSoftmax, title: 'softmax', optimizer: 'sgd', learningRate: 0.5, batch: 20 },
  // The learning rate changes every step: each engine must apply lr(step).
  {
    model: 'cnn',
    build: (seed) => (ON_WEBGPU ? buildCnn(seed, NARROW_CNN) : buildCnn(seed)),
    title: ON_WEBGPU ? `cnn (${NARROW_CNN.conv1}, ${NARROW_CNN.conv2} filters, ${NARROW_CNN.fc1} units)` : 'cnn',
    optimizer: 'adam',
    learningRate: 1e-3,
    decay: { kind: 'cosine', steps: STEPS, finalFraction: 0.1 },
    batch: 8,
  },
  // Each other schedule (src/optim/schedule.ts, TF's numbers in test/fixtures/lr-schedules.json), on SGD,
  // where a step moves the weights by lr·g: an engine with another rate shows in the next loss.
  ...(
    [
      ['cosine with warmup', { kind: 'cosine', steps: STEPS, finalFraction: 0.2, warmupSteps: 1 }],
      ['step', { kind: 'step', steps: STEPS, finalFraction: 0.05, stepEvery: 1 }],
      ['exponential', { kind: 'exponential', steps: STEPS, finalFraction: 0.1 }],
    ] as const
  ).map(([name, decay]) => ({
    model: 'softmax' as const,
    build: buildSoftmax,
    title: `softmax, ${name} schedule`,
    optimizer: 'sgd' as const,
    learningRate: 0.5,
    decay,
    batch: 20,
  })),
];

/** Relative difference allowed between engines (different kernels, float32 vs double optimizer arithmetic). */
const TOLERANCE = 2e-4;

let batches: Batch[] = [];
/** Scored as a run's validation is, in batches of 16: 50 images, so the last batch is partial. */
let heldOut: DataSplit;
const VALIDATION_BATCH = 16;
/** Why tensorflow cannot be used here, or undefined when it can. */
let nativeMissing: string | undefined;
/** Where there is no GPU, webgpu runs on the software adapter (the same WebGPU and TF.js kernels), else skips saying why. */
const webgpu = ON_WEBGPU ? webGpuForTests() : { missing: 'not in this process' };

before(async () => {
  fixture.write();
  const { train, test } = fixture.read();
  heldOut = test;
  batches = Array.from({ length: STEPS + 2 }, () => {
    const b = train.nextBatch(20);
    return { xs: b.xs.slice(), ys: b.ys.slice(), labels: b.labels.slice(), size: b.size };
  });
  try {
    if (!ON_WEBGPU) await useBackend('tensorflow');
  } catch (err) {
    nativeMissing = `native backend not set up (\`npx mnist-deep native\`): ${(err as Error).message}`;
  }
});

const take = (b: Batch, n: number): Batch => ({
  xs: b.xs.subarray(0, n * 784),
  ys: b.ys.subarray(0, n * 10),
  labels: b.labels.subarray(0, n),
  size: n,
});

/** The model's initial weights (seeded, so the same everywhere) and a fresh optimizer state. */
function initialState(spec: (typeof MODELS)[number]): EngineState {
  const { optimizer } = spec;
  const m = spec.build(3);
  const weights = getFlatWeights(trainableVariables(m));
  m.dispose();
  return {
    weights,
    optimizer: {
      name: optimizer,
      step: 0,
      slots: optimizer === 'adam' ? [new Float32Array(weights.length), new Float32Array(weights.length)] : [],
    },
  };
}

interface Run {
  losses: number[];
  state: EngineState;
  /** The loss of one more step after `state`. */
  next: number;
  /** The held-out images scored after the steps, with dropout off. */
  validation: BatchScore;
  leaked: number;
}

/** The same settings for every engine of a case, dropout off. */
function engineOptions(c: EngineCase, spec: (typeof MODELS)[number]): EngineOptions {
  return {
    backend: c.backend,
    model: spec.model,
    optimizer: spec.optimizer,
    learningRate: spec.learningRate,
    decay: spec.decay,
    seed: 1,
    batchSize: spec.batch,
    threads: c.threads,
    engine: c.engine,
    dropout: false,
  };
}

async function runCase(c: EngineCase, spec: (typeof MODELS)[number], start: EngineState, steps = STEPS): Promise<Run> {
  await useBackend(c.backend);
  const tf = loadTf();
  const model = spec.build(3);
  const engine = await createEngine(model, engineOptions(c, spec), start);
  try {
    assert.equal(engine.kind, c.engine);
    assert.equal(engine.threads, c.threads);
    const losses = [(await engine.step(take(batches[0], spec.batch), 0)).loss];
    const tensors = tf.memory().numTensors;
    for (let s = 1; s < steps; s++) losses.push((await engine.step(take(batches[s], spec.batch), s)).loss);
    const leaked = tf.memory().numTensors - tensors;
    const validation = await validate(engine, heldOut, VALIDATION_BATCH);
    const state = await engine.exportState();
    const next = (await engine.step(take(batches[steps], spec.batch), steps)).loss;
    return { losses, state, next, leaked, validation };
  } finally {
    await engine.close();
    model.dispose();
  }
}

/** A new engine from `state` takes one step at `step`: its loss. */
async function resumeCase(
  c: EngineCase,
  spec: (typeof MODELS)[number],
  state: EngineState,
  step: number,
): Promise<number> {
  await useBackend(c.backend);
  const model = spec.build(9);
  const engine = await createEngine(model, engineOptions(c, spec), state);
  try {
    return (await engine.step(take(batches[step], spec.batch), step)).loss;
  } finally {
    await engine.close();
    model.dispose();
  }
}

/**
 * The first step's loss from `state` with dropout as training has it (the option left out: on), and
 * with it off: the suite above runs with it off, so this is where an engine that lost its dropout shows.
 */
async function lossWithAndWithoutDropout(
  c: EngineCase,
  spec: (typeof MODELS)[number],
  state: () => EngineState,
): Promise<{ on: number; off: number }> {
  await useBackend(c.backend);
  const loss = async (dropout: boolean | undefined) => {
    const model = spec.build(3);
    const engine = await createEngine(model, { ...engineOptions(c, spec), dropout }, state());
    try {
      return (await engine.step(take(batches[0], spec.batch), 0)).loss;
    } finally {
      await engine.close();
      model.dispose();
    }
  };
  return { on: await loss(undefined), off: await loss(false) };
}

const close = (a: number, b: number, what: string) =>
  assert.ok(Math.abs(a - b) <= TOLERANCE * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);

const skipWithoutNative = (t: TestContext, c: EngineCase): boolean => {
  const missing =
    c.backend === 'tensorflow'
      ? (nativeMissing ?? (c.engine === 'graph' ? graphEngineUnavailable() : undefined))
      : c.backend === 'webgpu'
        ? webgpu.missing
        : undefined;
  if (!missing) return false;
  t.skip(missing);
  return true;
};

for (const spec of MODELS) {
  describe(`engine contract: ${spec.title} with ${spec.optimizer}`, () => {
    let reference: Run;
    let initial: EngineState;
    // Copies of one initial state, read on the reference's backend (webgpu cannot read a GPU tensor synchronously).
    const start = (): EngineState => ({
      weights: initial.weights.slice(),
      optimizer: { ...initial.optimizer, slots: initial.optimizer.slots.map((s) => s.slice()) },
    });

    before(async () => {
      await useBackend(CASES[0].backend);
      initial = initialState(spec);
      reference = await runCase(CASES[0], spec, start());
      assert.ok(
        reference.losses[STEPS - 1] < reference.losses[0],
        `reference loss falls: ${reference.losses.join(', ')}`,
      );
    });

    for (const c of CASES) {
      it(`${c.name}: same losses and validation, exportState resumes on the same next loss, no tensor leaks`, async (t) => {
        if (skipWithoutNative(t, c)) return;
        const run = c === CASES[0] ? reference : await runCase(c, spec, start());
        run.losses.forEach((l, i) => close(l, reference.losses[i], `step ${i} loss`));
        close(run.next, reference.next, 'loss after exportState');
        close(run.validation.loss, reference.validation.loss, 'validation loss');
        // The same predictions, up to one image whose two best classes the kernels' rounding may swap.
        const images = Math.abs(run.validation.accuracy - reference.validation.accuracy) * heldOut.count;
        assert.ok(images < 1.5, `validation accuracy ${run.validation.accuracy} vs ${reference.validation.accuracy}`);
        assert.equal(run.state.optimizer.step, STEPS);
        assert.equal(run.leaked, 0, 'tensors leaked over the steps');
        close(await resumeCase(c, spec, run.state, STEPS), run.next, 'a new engine from exportState');
      });
    }

    // The CNN's dropout layer is on while training, on every engine (with rate 0.5 its loss is another).
    if (spec.model === 'cnn')
      for (const c of CASES)
        it(`${c.name}: dropout is on while training (the first loss differs from dropout off)`, async (t) => {
          if (skipWithoutNative(t, c)) return;
          const { on, off } = await lossWithAndWithoutDropout(c, spec, start);
          assert.ok(Number.isFinite(on) && Number.isFinite(off), `losses ${on}, ${off}`);
          // Ten times the engines' own disagreement: no rounding, a mask (1.6% on the narrow CNN, more on the full one).
          assert.ok(Math.abs(on - off) > 10 * TOLERANCE * Math.abs(off), `dropout on ${on} vs off ${off}`);
        });

    // Across backends through a checkpoint file: tensorflow's engines here, webgpu's step engine in its own process.
    const crossing = ON_WEBGPU ? (['webgpu-step'] as const) : (['tensor', 'graph'] as const);
    for (const kind of crossing)
      it(`a checkpoint written on the ${kind} engine resumes on wasm, and one written on wasm resumes there`, async (t) => {
        const native = CASES.find((c) => c.backend !== 'wasm' && c.engine === kind) as EngineCase;
        if (skipWithoutNative(t, native)) return;
        const cfg = { ...resolveConfig({ model: spec.model }), saveDir: tmp.dir };
        for (const [from, to] of [
          [native, CASES[0]],
          [CASES[0], native],
        ]) {
          const run = await runCase(from, spec, start());
          const dir = tempDir();
          try {
            writeCheckpoint(dir.dir, {
              config: cfg,
              step: STEPS,
              data: fixture.read().train.getState(),
              ...run.state,
            });
            const cp = readCheckpoint(dir.dir);
            close(
              await resumeCase(to, spec, { weights: cp.weights, optimizer: cp.optimizer }, STEPS),
              run.next,
              `${from.name} → ${to.name}`,
            );
          } finally {
            dir.cleanup();
          }
        }
      });
  });
}
