/**
 * The seed CNN on the webgpu backend: training examples/s at each batch size
 * (median step after a warm-up), evaluation examples/s, and a per-kernel
 * profile of one training step (GPU time per kernel where the adapter has
 * timestamp queries, and how much of a step is JavaScript dispatch).
 * Run on a GPU machine by scripts/gpu/run.sh; exits 2 when there is no adapter.
 *
 *   node dist/scripts/gpu/webgpu-bench.js [--batches 50,500] [--steps 30] [--warmup 8] [--json FILE]
 */
import { writeFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import type * as tfl from '@tensorflow/tfjs';
import { loadTf, useBackend } from '../../src/backends';
import { installWebGpu, probeWebGpu } from '../../src/backends/webgpu';
import { useOwnWebGpuKernels } from '../../src/backends/webgpu-kernels';
import { BACKEND_CHOICES, BackendName } from '../../src/backends/choices';
import { nonNegativeInt, positiveInt } from '../../src/commands/options';
import { Batch } from '../../src/data/batches';
import { readClasses } from '../../src/eval/predict';
import { buildModel, crossEntropy } from '../../src/models';
import { EngineKind, createEngine } from '../../src/engine';
import { ADAM } from '../../src/optim';
import { RECIPE_DEFAULTS } from '../../src/train/config';
import { SETTING_DEFAULTS } from '../../src/train/settings';
import { listOption, median, parseScriptArgs, randomSplit } from '../common';

/** The tutorial's CNN recipe, which `train` runs by default. */
const SEED_CNN = RECIPE_DEFAULTS.seed.cnn;

interface Args {
  /** webgpu; another backend only to try the script where there is no GPU. */
  backend: BackendName;
  batches: number[];
  steps: number;
  warmup: number;
  json?: string;
}

function parseArgs(argv: string[]): Args {
  const program = new Command('webgpu-bench')
    .addOption(
      new Option('--backend <name>', 'webgpu; another backend only to try the script where there is no GPU')
        .choices(BACKEND_CHOICES.filter((b) => b !== 'auto'))
        .default('webgpu'),
    )
    .addOption(listOption('--batches <list>', 'batch sizes, comma-separated', positiveInt, [SEED_CNN.batchSize, 500]))
    .option('--steps <n>', 'timed steps per batch size', positiveInt, 30)
    .option('--warmup <n>', 'untimed steps first', nonNegativeInt, 8)
    .option('--json <file>', 'also write the report as JSON');
  return parseScriptArgs<Args>(program, argv);
}

/** One training step: `step` returns once the work is queued; `loss` resolves when the GPU is done. */
/** One step; `readLoss` false lets an engine queue it without reading its loss back (NaN then). */
type StepFn = (batch: Batch, i: number, readLoss: boolean) => Promise<number>;

interface Trainer {
  name: string;
  step: StepFn;
  close(): Promise<void>;
}

/** The path `mnist-deep train` takes: the engine that createEngine picks (the step engine on webgpu), or `engine`. */
async function engineTrainer(
  model: tfl.LayersModel,
  batchSize: number,
  backend: BackendName,
  engineKind?: EngineKind,
): Promise<Trainer> {
  const { optimizer, learningRate } = SEED_CNN;
  const engine = await createEngine(model, {
    backend,
    model: 'cnn',
    optimizer,
    learningRate,
    seed: 1,
    batchSize,
    threads: 1,
    engine: engineKind,
  });
  return {
    name: `mnist-deep ${engine.kind} engine`,
    step: async (b, i, readLoss) => (await engine.step(b, i, readLoss)).loss,
    close: () => engine.close(),
  };
}

/** tf.train.adam's minimize, all on the GPU, the loss read once a step (the probe in ../shared/anchors/gpu). */
function minimizeTrainer(model: tfl.LayersModel): Trainer {
  const tf = loadTf();
  const opt = tf.train.adam(SEED_CNN.learningRate, ADAM.beta1, ADAM.beta2, ADAM.epsilon);
  return {
    name: 'tf.train.adam minimize',
    step: async (b) => {
      const loss = tf.tidy(() => {
        const x = tf.tensor2d(b.xs, [b.size, 784]);
        const y = tf.tensor2d(b.ys, [b.size, 10]);
        return opt.minimize(
          () => crossEntropy(y, model.apply(x, { training: true }) as tfl.Tensor),
          true,
        ) as tfl.Scalar;
      });
      const value = (await loss.data())[0];
      loss.dispose();
      return value;
    },
    close: async () => opt.dispose(),
  };
}

interface TrainResult {
  trainer: string;
  batch: number;
  examplesPerSec: number;
  medianStepMs: number;
  /** Median time until the step's work is queued (JavaScript and Dawn's encoding). */
  medianQueueMs: number;
  firstLoss: number;
  lastLoss: number;
  tensorsBefore: number;
  tensorsAfter: number;
}

async function timeTrainer(make: () => Promise<Trainer>, batchSize: number, args: Args): Promise<TrainResult> {
  const tf = loadTf();
  const trainer = await make();
  const split = randomSplit(Math.max(batchSize * 4, 2000), 5);
  const steps: number[] = [];
  const queued: number[] = [];
  const losses: number[] = [];
  let tensorsBefore = 0;
  try {
    for (let i = 0; i < args.warmup + args.steps; i++) {
      if (i === args.warmup) tensorsBefore = tf.memory().numTensors;
      const batch = split.nextBatch(batchSize);
      const t0 = performance.now();
      // As `train` does: the loss read on log steps (every 100) and the last one.
      const readLoss = i % 100 === 0 || i === args.warmup + args.steps - 1;
      const pending = trainer.step(batch, i, readLoss);
      const t1 = performance.now();
      const loss = await pending;
      if (readLoss) losses.push(loss);
      if (i >= args.warmup) {
        steps.push(performance.now() - t0);
        queued.push(t1 - t0);
      }
    }
  } finally {
    await trainer.close();
  }
  const ms = median(steps);
  return {
    trainer: trainer.name,
    batch: batchSize,
    examplesPerSec: (batchSize * 1000) / ms,
    medianStepMs: ms,
    medianQueueMs: median(queued),
    firstLoss: losses[0],
    lastLoss: losses[losses.length - 1],
    tensorsBefore,
    tensorsAfter: tf.memory().numTensors,
  };
}

/** Evaluation batches: eval's default. */
const EVAL_BATCH = SETTING_DEFAULTS.evalBatchSize;

/** Images classified per second, over ten batches after one to warm up. */
async function evalRate(model: tfl.LayersModel): Promise<number> {
  const batch = randomSplit(EVAL_BATCH, 9).slice(0, EVAL_BATCH);
  await readClasses(model, batch.xs, EVAL_BATCH);
  const t0 = performance.now();
  for (let i = 0; i < 10; i++) await readClasses(model, batch.xs, EVAL_BATCH);
  return (10 * EVAL_BATCH) / ((performance.now() - t0) / 1000);
}

/**
 * Wall time of the step's heavy ops alone at the CNN's shapes (each run 10
 * times, then one readback): what the profile shows when the adapter has no
 * GPU timestamps.
 */
async function opTimes(batch: number): Promise<Record<string, number>> {
  const tf = loadTf();
  const r = (shape: number[]) => tf.randomUniform(shape);
  const ops: Record<string, () => tfl.Tensor> = {};
  for (const [name, h, cin, cout] of [
    ['conv1', 28, 1, 32],
    ['conv2', 14, 32, 64],
  ] as const) {
    const x = r([batch, h, h, cin]);
    const w = r([5, 5, cin, cout]);
    const dy = r([batch, h, h, cout]);
    ops[`${name} Conv2D`] = () => tf.conv2d(x as tfl.Tensor4D, w as tfl.Tensor4D, 1, 'same');
    const attrs = { strides: 1, pad: 'same', dataFormat: 'NHWC', dilations: 1 };
    const kernel = (name: string, inputs: Record<string, tfl.Tensor>, extra: Record<string, unknown>) => () =>
      tf.engine().runKernel(name, inputs, { ...attrs, ...extra } as unknown as tfl.NamedAttrMap) as tfl.Tensor;
    const filterGrad = kernel('Conv2DBackpropFilter', { x, dy }, { filterShape: [5, 5, cin, cout] });
    ops[`${name} Conv2DBackpropFilter`] = filterGrad;
    ops[`${name} Conv2DBackpropFilter, TF.js's`] = () => {
      useOwnWebGpuKernels(false);
      try {
        return filterGrad();
      } finally {
        useOwnWebGpuKernels(true);
      }
    };
    if (cin > 1)
      ops[`${name} Conv2DBackpropInput`] = kernel(
        'Conv2DBackpropInput',
        { dy, filter: w },
        { inputShape: [batch, h, h, cin] },
      );
    const pooled = tf.maxPool(dy as tfl.Tensor4D, 2, 2, 'same');
    ops[`${name} MaxPool`] = () => tf.maxPool(dy as tfl.Tensor4D, 2, 2, 'same');
    ops[`${name} MaxPoolGrad`] = () =>
      tf.grad((t: tfl.Tensor) => tf.maxPool(t as tfl.Tensor4D, 2, 2, 'same'))(dy, pooled);
  }
  const a = r([batch, 3136]);
  const w1 = r([3136, 1024]);
  const g = r([batch, 1024]);
  ops['fc1 MatMul'] = () => tf.matMul(a, w1);
  ops['fc1 MatMul dW (aT.g)'] = () => tf.matMul(a, g, true, false);
  ops['fc1 MatMul dX (g.wT)'] = () => tf.matMul(g, w1, false, true);
  const out: Record<string, number> = {};
  for (const [name, op] of Object.entries(ops)) {
    await tf.tidy(op).data();
    const t0 = performance.now();
    const results: tfl.Tensor[] = [];
    for (let i = 0; i < 10; i++) results.push(tf.tidy(op));
    await results[results.length - 1].data();
    out[name] = (performance.now() - t0) / 10;
    tf.dispose(results);
  }
  return out;
}

interface KernelRow {
  name: string;
  count: number;
  gpuMs: number;
}

/** tf.profile of one step: kernels by name with their summed GPU time. */
async function profileStep(
  trainer: Trainer,
  batchSize: number,
): Promise<{ wallMs: number; kernels: number; gpuMs: number; rows: KernelRow[] }> {
  const tf = loadTf();
  const split = randomSplit(batchSize * 2, 3);
  for (let i = 0; i < 3; i++) await trainer.step(split.nextBatch(batchSize), i, true);
  const batch = split.nextBatch(batchSize);
  const t0 = performance.now();
  const info = await tf.profile(() => trainer.step(batch, 3, true));
  const wallMs = performance.now() - t0;
  const byName = new Map<string, KernelRow>();
  for (const k of info.kernels) {
    const row = byName.get(k.name) ?? { name: k.name, count: 0, gpuMs: 0 };
    row.count++;
    row.gpuMs += typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    byName.set(k.name, row);
  }
  const rows = [...byName.values()].sort((a, b) => b.gpuMs - a.gpuMs || b.count - a.count);
  return { wallMs, kernels: info.kernels.length, gpuMs: rows.reduce((s, r) => s + r.gpuMs, 0), rows };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  let status;
  try {
    // GPU timestamps (per-kernel times in tf.profile) are behind this Dawn toggle.
    if (args.backend === 'webgpu' && probeWebGpu().ok) installWebGpu(['enable-dawn-features=allow_unsafe_apis']);
    status = await useBackend(args.backend);
  } catch (err) {
    process.stdout.write(`no ${args.backend}: ${(err as Error).message}\n`);
    process.exit(2);
  }
  const tf = loadTf();
  const report: Record<string, unknown> = {
    adapter: status.detail,
    tfjs: tf.version.tfjs,
    node: process.versions.node,
  };
  process.stdout.write(`${status.name}: ${status.detail}\n`);
  const results: TrainResult[] = [];
  for (const batch of args.batches) {
    const variants: Array<[string, () => Promise<Trainer>]> = [
      ['', () => engineTrainer(buildModel('cnn', 1), batch, args.backend)],
      [' (TF.js kernels only)', () => engineTrainer(buildModel('cnn', 1), batch, args.backend, 'tensor')],
      [' (TF.js kernels only)', async () => minimizeTrainer(buildModel('cnn', 1))],
    ];
    for (const [note, make] of variants) {
      if (args.backend === 'webgpu') useOwnWebGpuKernels(note === '');
      try {
        const r = await timeTrainer(make, batch, args);
        r.trainer += note;
        results.push(r);
        process.stdout.write(
          `RESULT train ${r.trainer} batch=${batch} ex_per_s=${r.examplesPerSec.toFixed(0)} step_ms=${r.medianStepMs.toFixed(2)} ` +
            `queue_ms=${r.medianQueueMs.toFixed(2)} loss ${r.firstLoss.toFixed(3)} -> ${r.lastLoss.toFixed(3)} tensors ${r.tensorsBefore} -> ${r.tensorsAfter}\n`,
        );
      } catch (err) {
        process.stdout.write(`FAILED train batch=${batch}: ${(err as Error).stack ?? err}\n`);
      }
    }
  }
  if (args.backend === 'webgpu') useOwnWebGpuKernels(true);
  report.train = results;
  const model = buildModel('cnn', 1);
  const evalPerSec = await evalRate(model);
  report.evalExamplesPerSec = evalPerSec;
  process.stdout.write(`RESULT eval ex_per_s=${evalPerSec.toFixed(0)} (batches of ${EVAL_BATCH})\n`);
  const profiles: Record<string, unknown> = {};
  for (const batch of args.batches) {
    const trainer = await engineTrainer(buildModel('cnn', 1), batch, args.backend);
    try {
      const p = await profileStep(trainer, batch);
      profiles[`b${batch}`] = p;
      process.stdout.write(
        `PROFILE batch=${batch}: ${p.kernels} kernels, GPU ${p.gpuMs.toFixed(2)} ms of ${p.wallMs.toFixed(2)} ms wall (profiling adds overhead)\n`,
      );
      for (const r of p.rows.slice(0, 14))
        process.stdout.write(`  ${r.name.padEnd(28)} x${String(r.count).padStart(3)}  ${r.gpuMs.toFixed(3)} ms\n`);
    } catch (err) {
      process.stdout.write(`FAILED profile batch=${batch}: ${(err as Error).stack ?? err}\n`);
    } finally {
      await trainer.close();
    }
  }
  report.profiles = profiles;
  const ops: Record<string, unknown> = {};
  for (const batch of args.batches) {
    try {
      const times = await opTimes(batch);
      ops[`b${batch}`] = times;
      process.stdout.write(`OPS batch=${batch} (ms each, wall, 10 queued then one readback)\n`);
      for (const [name, ms] of Object.entries(times))
        process.stdout.write(`  ${name.padEnd(32)} ${ms.toFixed(3)} ms\n`);
    } catch (err) {
      process.stdout.write(`FAILED ops batch=${batch}: ${(err as Error).stack ?? err}\n`);
    }
  }
  report.ops = ops;
  if (args.json) writeFileSync(args.json, JSON.stringify(report, null, 1));
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stdout.write(`bench failed: ${(err as Error).stack ?? err}\n`);
    process.exit(1);
  },
);
