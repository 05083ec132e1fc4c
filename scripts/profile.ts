/**
 * `npm run bench -- --profile`: where a CNN training step's time goes. On the graph engine
 * TensorFlow traces the step itself (RunOptions FULL_TRACE → step stats): each kernel's time per
 * step, with GFLOP/s for the convolutions and matrix products. Elsewhere tf.profile times each
 * TensorFlow.js kernel, and the rest is JavaScript and dispatch.
 */
import type * as tfl from '@tensorflow/tfjs';
import { BackendName, loadTf } from '../src/backends';
import { TrainingEngine, createEngine } from '../src/engine';
import { GraphEngine } from '../src/engine/graph';
import { buildModel } from '../src/models';
import { RECIPE_DEFAULTS } from '../src/train/config';
import { randomSplit } from './common';

interface KernelTime {
  ms: number;
  calls: number;
}

/** The profile's work: which kernel family each kernel belongs to, for its FLOPs. */
type Family = 'conv forward' | 'conv filter gradient' | 'conv input gradient' | 'matmul (forward + gradients)';

function familyOf(kernel: string): Family | undefined {
  if (kernel.includes('Conv2DBackpropFilter')) return 'conv filter gradient';
  if (kernel.includes('Conv2DBackpropInput')) return 'conv input gradient';
  if (kernel.includes('Conv2D')) return 'conv forward';
  if (kernel.includes('MatMul')) return 'matmul (forward + gradients)';
  return undefined;
}

const product = (xs: readonly (number | null)[]) => xs.reduce<number>((p, x) => p * (x ?? 1), 1);

/**
 * FLOPs per example of each family in one training step, from each layer's kernel shape (HWIO or
 * [in, out]): a convolution's filter gradient costs what its forward pass does, and so does its
 * input gradient, except for the first layer's (its input is the batch, which needs none); each
 * dense layer has one forward and two gradient products.
 */
function flopsPerExample(model: tfl.LayersModel): Map<Family, number> {
  const flops = new Map<Family, number>();
  const add = (f: Family, n: number) => flops.set(f, (flops.get(f) ?? 0) + n);
  let firstConv = true;
  for (const layer of model.layers) {
    const kernel = layer.getWeights()[0]?.shape ?? [];
    if (layer.getClassName() === 'Conv2D') {
      const out = layer.outputShape as number[];
      const forward = 2 * out[1] * out[2] * product(kernel);
      add('conv forward', forward);
      add('conv filter gradient', forward);
      if (!firstConv) add('conv input gradient', forward);
      firstConv = false;
    } else if (layer.getClassName() === 'Dense') {
      add('matmul (forward + gradients)', 3 * 2 * product(kernel));
    }
  }
  return flops;
}

function table(title: string, perStepMs: number, rows: [string, KernelTime][], steps: number, extra: string[]) {
  const pct = (ms: number) => `${((100 * ms) / perStepMs).toFixed(1)}%`;
  return [
    title,
    ...rows
      .slice(0, 15)
      .map(
        ([name, e]) =>
          `    ${name.padEnd(40)} ${(e.ms / steps).toFixed(2).padStart(7)} ms  ${pct(e.ms / steps).padStart(6)}  ${(e.calls / steps).toFixed(0)} calls`,
      ),
    `    ${'(other kernels)'.padEnd(40)} ${(rows.slice(15).reduce((sum, [, e]) => sum + e.ms, 0) / steps).toFixed(2).padStart(7)} ms`,
    ...extra,
  ];
}

const add = (into: Map<string, KernelTime>, name: string, ms: number) => {
  const e = into.get(name) ?? { ms: 0, calls: 0 };
  e.ms += ms;
  e.calls++;
  into.set(name, e);
};

const sorted = (m: Map<string, KernelTime>) => [...m.entries()].sort((a, b) => b[1].ms - a[1].ms);

/** The graph engine's step as TensorFlow traced it: kernel times (their sum; ops overlap on inter-op threads). */
async function graphProfile(engine: GraphEngine, model: tfl.LayersModel, batchSize: number, steps: number) {
  const split = randomSplit(1000, 5);
  const byKernel = new Map<string, KernelTime>();
  const byFamily = new Map<Family, number>();
  let wall = 0;
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    const { ops } = await engine.traceStep(split.nextBatch(batchSize));
    wall += performance.now() - t0;
    for (const op of ops) {
      add(byKernel, op.kernel, op.micros / 1000);
      const family = familyOf(op.kernel);
      if (family) byFamily.set(family, (byFamily.get(family) ?? 0) + op.micros / 1000);
    }
  }
  const perStep = wall / steps;
  const kernelMs = [...byKernel.values()].reduce((s, e) => s + e.ms, 0) / steps;
  const flops = flopsPerExample(model);
  const rates = [...flops.entries()].map(([family, perExample]) => {
    const ms = (byFamily.get(family) ?? 0) / steps;
    const gflops = (perExample * batchSize) / 1e9;
    return `    ${family.padEnd(40)} ${ms.toFixed(2).padStart(7)} ms  ${gflops.toFixed(2)} GFLOP  ${ms > 0 ? (gflops / (ms / 1000)).toFixed(0) : '–'} GFLOP/s`;
  });
  return table(
    `  tensorflow profile of a cnn training step, batch ${batchSize} (graph engine, TensorFlow's step stats, ${steps} traced steps): ${perStep.toFixed(1)} ms/step wall, ${kernelMs.toFixed(1)} ms of kernels`,
    perStep,
    sorted(byKernel),
    steps,
    ['  per family of kernels (FLOPs from the layers’ shapes):', ...rates],
  );
}

/** Any other engine: tf.profile's kernel times, and what is outside them. */
async function tfjsProfile(engine: TrainingEngine, backend: BackendName, batchSize: number, steps: number) {
  const tf = loadTf();
  const split = randomSplit(1000, 5);
  const byKernel = new Map<string, KernelTime>();
  let wall = 0;
  for (let i = 0; i < steps; i++) {
    const batch = split.nextBatch(batchSize);
    const t0 = performance.now();
    const info = await tf.profile(async () => {
      await engine.step(batch, i + 2);
    });
    wall += performance.now() - t0;
    for (const k of info.kernels) add(byKernel, k.name, k.kernelTimeMs as number);
  }
  const perStep = wall / steps;
  const kernelMs = [...byKernel.values()].reduce((s, e) => s + e.ms, 0) / steps;
  return table(
    `  ${backend} profile of a cnn training step, batch ${batchSize} (${engine.kind} engine, ${steps} steps; timing overhead included): ${perStep.toFixed(1)} ms/step`,
    perStep,
    sorted(byKernel),
    steps,
    [
      `    ${'outside kernels'.padEnd(40)} ${(perStep - kernelMs).toFixed(2).padStart(7)} ms  ${((100 * (perStep - kernelMs)) / perStep).toFixed(1)}%  (JavaScript, dispatch, profiling)`,
    ],
  );
}

/** Where a CNN training step's time goes on `backend`, on the engine `train` would pick. */
export async function profileStep(backend: BackendName, batchSize: number, steps = 10): Promise<string[]> {
  const { optimizer, learningRate } = RECIPE_DEFAULTS.seed.cnn;
  const model = buildModel('cnn', 1);
  const engine = await createEngine(model, { backend, model: 'cnn', optimizer, learningRate, seed: 1, batchSize });
  try {
    const split = randomSplit(1000, 6);
    for (let i = 0; i < 3; i++) await engine.step(split.nextBatch(batchSize), i);
    return engine instanceof GraphEngine
      ? await graphProfile(engine, model, batchSize, steps)
      : await tfjsProfile(engine, backend, batchSize, steps);
  } finally {
    await engine.close();
    model.dispose();
  }
}
