/**
 * `npm run bench`: training and evaluation throughput for every backend that
 * loads here. Each backend runs in its own child process (so peak RSS is its
 * own); timings are medians over steps after a warm-up; the machine's load
 * average is reported with them.
 *
 *   npm run bench -- [--steps N] [--backends wasm,cpu] [--cpu-train] [--profile] [--no-anchor] [--json]
 *
 * On tensorflow the CNN trains on the engine `train` picks (the graph engine
 * where `native` built it) and, for comparison, on the tensor engine. Where
 * TensorFlow Python runs here (MNIST_DEEP_ANCHOR_PYTHON, else
 * ~/anchors-venv/bin/python) and ../shared/anchors/bench_tf_step.py exists,
 * TensorFlow's own figures (default threading) are measured in the same
 * sitting and every tensorflow figure is given as a ratio to them.
 *
 * TensorFlow Python is measured twice: with its default kernels and with
 * TF_ENABLE_ONEDNN_OPTS=1, as mnist-deep runs it where TensorFlow leaves oneDNN
 * off; `TF_ENABLE_ONEDNN_OPTS=0 npm run bench` measures mnist-deep without oneDNN.
 *
 * `--profile` adds, per backend, where a CNN training step's time goes
 * (scripts/profile.ts): on the graph engine TensorFlow's own step stats, with
 * GFLOP/s for the convolutions and matrix products; elsewhere tf.profile.
 */
import { execFileSync } from 'node:child_process';
import { Command, Option } from 'commander';
import { existsSync } from 'node:fs';
import { cpus, homedir, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { tensorflowKernels, useBackend } from '../src/backends';
import { ONEDNN_VARIABLE } from '../src/backends/onednn';
import { BACKEND_CHOICES, BackendName } from '../src/backends/choices';
import { Batch } from '../src/data/dataset';
import { buildModel } from '../src/models';
import { ModelName } from '../src/models/names';
import { evalThreads, evaluate } from '../src/eval/evaluate';
import { EngineKind, createEngine } from '../src/engine';
import { nonNegativeInt, positiveInt } from '../src/commands/options';
import { RECIPE_DEFAULTS } from '../src/train/config';
import { SETTING_DEFAULTS } from '../src/train/settings';
import { listOption, median, oneOf, parseScriptArgs, randomSplit } from './common';
import { profileStep } from './profile';

interface Args {
  steps: number;
  warmup: number;
  backends: BackendName[];
  cpuTrain: boolean;
  profile: boolean;
  json: boolean;
  anchor: boolean;
  child?: BackendName;
}

/** TensorFlow Python's figures are rows of these pseudo-backends: its default, and oneDNN forced on. */
const ANCHOR = 'TensorFlow Python';
const ANCHOR_ONEDNN = 'TensorFlow Python, TF_ENABLE_ONEDNN_OPTS=1';
type Anchor = typeof ANCHOR | typeof ANCHOR_ONEDNN;
const ANCHORS: readonly { name: Anchor; oneDnn?: string }[] = [{ name: ANCHOR }, { name: ANCHOR_ONEDNN, oneDnn: '1' }];

/** The environment as the user gave it: loading tensorflow here sets TF_ENABLE_ONEDNN_OPTS for this process. */
const userEnv = { ...process.env };

/** `userEnv` with TF_ENABLE_ONEDNN_OPTS as given (undefined: unset, TensorFlow's own default). */
function envWith(oneDnn: string | undefined): NodeJS.ProcessEnv {
  const env = { ...userEnv };
  if (oneDnn === undefined) delete env[ONEDNN_VARIABLE];
  else env[ONEDNN_VARIABLE] = oneDnn;
  return env;
}

interface Row {
  backend: BackendName | Anchor;
  task: string;
  value: number | null;
  unit: string;
  note: string;
}

const NAMES = BACKEND_CHOICES.filter((b): b is BackendName => b !== 'auto');

function parseArgs(argv: string[]): Args {
  const program = new Command('bench')
    .option('--steps <n>', 'timed steps per measure', positiveInt, 40)
    .option('--warmup <n>', 'untimed steps first', nonNegativeInt, 5)
    .addOption(
      listOption('--backends <list>', 'backends to measure, comma-separated', oneOf(NAMES), [
        'tensorflow',
        'wasm',
        'cpu',
      ]),
    )
    .option('--cpu-train', 'also train the CNN on cpu (minutes per step)', false)
    .option('--profile', "where a CNN training step's time goes, per kernel", false)
    .option('--json', 'the rows as JSON on stdout', false)
    .option('--no-anchor', "skip TensorFlow Python's figures")
    .addOption(new Option('--child <backend>', 'measure one backend in this process').choices(NAMES).hideHelp());
  return parseScriptArgs<Args>(program, argv);
}

/** The seed recipe's optimizer and learning rate for `model` (what `train` would use). */
const seedOptimizer = (model: ModelName) => {
  const { optimizer, learningRate } = RECIPE_DEFAULTS.seed[model];
  return { optimizer, learningRate };
};

async function trainRate(
  backend: BackendName,
  model: ModelName,
  batchSize: number,
  args: Args,
  threads?: number,
  engine?: EngineKind,
): Promise<{ rate: number; threads: number; cpuMs: number; kind: EngineKind }> {
  const m = buildModel(model, 1);
  const stepper = await createEngine(m, {
    backend,
    model,
    ...seedOptimizer(model),
    seed: 1,
    batchSize,
    threads,
    engine,
  });
  const split = randomSplit(Math.max(batchSize * 4, 1000), 5);
  const times: number[] = [];
  // CPU time of this process (all its threads) per step: less disturbed than wall time by other processes.
  const cpuTimes: number[] = [];
  try {
    for (let i = 0; i < args.warmup + args.steps; i++) {
      const batch: Batch = split.nextBatch(batchSize);
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      await stepper.step(batch, i);
      const c = process.cpuUsage(c0);
      if (i >= args.warmup) {
        times.push(performance.now() - t0);
        cpuTimes.push((c.user + c.system) / 1000);
      }
    }
  } finally {
    await stepper.close();
    m.dispose();
  }
  return {
    rate: (batchSize * 1000) / median(times),
    threads: stepper.threads,
    cpuMs: median(cpuTimes),
    kind: stepper.kind,
  };
}

/** The seed recipe's CNN batch, and a larger one that keeps two cores busier. */
const CNN_BATCH = RECIPE_DEFAULTS.seed.cnn.batchSize;
const WIDE_BATCH = 128;
const CNN_BATCHES = [CNN_BATCH, WIDE_BATCH];

async function child(backend: BackendName, args: Args): Promise<Row[]> {
  await useBackend(backend);
  const rows: Row[] = [];
  const add = (task: string, value: number | null, unit: string, note = '') => {
    rows.push({ backend, task, value, unit, note });
    process.stderr.write(`  ${backend} ${task}: ${value === null ? '-' : value.toFixed(1)} ${unit} ${note}\n`);
  };
  const trainCnn = backend !== 'cpu' || args.cpuTrain;
  if (backend === 'tensorflow') add('kernels', null, '', tensorflowKernels());
  for (const [batch, threads] of [
    [CNN_BATCH, undefined],
    [CNN_BATCH, 1],
    [WIDE_BATCH, undefined],
  ] as const) {
    if (!trainCnn) {
      add(
        `cnn train, batch ${batch}${threads ? `, ${threads} thread` : ''}`,
        null,
        'examples/s',
        'skipped: minutes per step (--cpu-train runs it)',
      );
      continue;
    }
    const r = await trainRate(backend, 'cnn', batch, args, threads);
    add(
      `cnn train, batch ${batch}${threads ? `, ${threads} thread` : ''}`,
      r.rate,
      'examples/s',
      `${r.kind} engine, ${r.threads} ${r.threads === 1 ? 'thread' : 'threads'}, median of ${args.steps} steps, ${r.cpuMs.toFixed(0)} CPU ms/step`,
    );
  }
  if (backend === 'tensorflow') {
    for (const batch of CNN_BATCHES) {
      const r = await trainRate(backend, 'cnn', batch, args, 1, 'tensor');
      add(
        `cnn train, batch ${batch}, tensor engine`,
        r.rate,
        'examples/s',
        `ops dispatched one at a time from JavaScript; median of ${args.steps} steps, ${r.cpuMs.toFixed(0)} CPU ms/step`,
      );
    }
    // The flat engine on tensorflow copies every gradient out and the weights back in each step.
    const r = await trainRate(backend, 'cnn', CNN_BATCH, args, 1, 'flat');
    add(
      `cnn train, batch ${CNN_BATCH}, flat engine`,
      r.rate,
      'examples/s',
      `gradients copied to JavaScript, Adam in JavaScript, weights copied back; ${r.cpuMs.toFixed(0)} CPU ms/step`,
    );
  }
  if (args.profile && trainCnn)
    for (const line of await profileStep(backend, CNN_BATCH)) process.stderr.write(line + '\n');
  const evalCount = backend === 'cpu' ? 500 : 10000;
  const model = buildModel('cnn', 1);
  const split = randomSplit(evalCount, 9);
  const evalBatch = SETTING_DEFAULTS.evalBatchSize;
  await evaluate(model, split.count > 1000 ? randomSplit(1000, 3) : split, { batchSize: evalBatch }); // warm-up
  const t0 = performance.now();
  await evaluate(model, split, { batchSize: evalBatch });
  add(
    'cnn eval, 1 thread',
    evalCount / ((performance.now() - t0) / 1000),
    'examples/s',
    `${evalCount} images, batches of ${evalBatch}`,
  );
  const threads = evalThreads(backend);
  const t1 = performance.now();
  await evaluate(model, split, { batchSize: evalBatch, threads, backend });
  add(
    'cnn eval',
    evalCount / ((performance.now() - t1) / 1000),
    'examples/s',
    `${threads} ${threads === 1 ? 'thread' : 'threads'}, worker start-up included`,
  );
  model.dispose();

  const sm = buildModel('softmax');
  const { steps, batchSize } = RECIPE_DEFAULTS.seed.softmax;
  const stepper = await createEngine(sm, {
    backend,
    model: 'softmax',
    ...seedOptimizer('softmax'),
    seed: 1,
    batchSize,
  });
  const trainSplit = randomSplit(55000, 4);
  const s0 = performance.now();
  for (let i = 0; i < steps; i++) await stepper.step(trainSplit.nextBatch(batchSize), i);
  add(`softmax, ${steps.toLocaleString('en')} steps of ${batchSize}`, (performance.now() - s0) / 1000, 's');
  await stepper.close();
  add('peak RSS', process.resourceUsage().maxRSS / 1024, 'MiB', 'whole process, all of the above');
  return rows;
}

/** "tensorflow is N× wasm" for every measure both have (train/eval rates: higher is better). */
function ratios(rows: Row[], base: BackendName): string[] {
  const out: string[] = [];
  for (const r of rows) {
    if (r.backend === base || r.unit !== 'examples/s' || r.value === null) continue;
    const b = rows.find((x) => x.backend === base && x.task === r.task && x.value !== null);
    if (b?.value) out.push(`${r.backend} / ${base}, ${r.task}: ${(r.value / b.value).toFixed(2)}×`);
  }
  return out;
}

/**
 * TensorFlow Python's own training and evaluation rates (default threading), with TensorFlow's
 * default kernels and with oneDNN forced on, or why they were not measured.
 */
function anchorRows(args: Args): Row[] | string {
  const script = resolve(__dirname, '../../../shared/anchors/bench_tf_step.py');
  const python = process.env.MNIST_DEEP_ANCHOR_PYTHON ?? join(homedir(), 'anchors-venv', 'bin', 'python');
  if (!existsSync(script)) return `${script} not found`;
  if (!existsSync(python)) return `no Python with TensorFlow (${python}; set MNIST_DEEP_ANCHOR_PYTHON)`;
  const threads = String(cpus().length);
  const rows: Row[] = [];
  for (const anchor of ANCHORS)
    for (const batch of CNN_BATCHES) {
      const cli = [script, '--threads', threads, '--batch', String(batch), '--steps', String(args.steps)];
      let out: string;
      try {
        out = execFileSync(python, batch === CNN_BATCH ? [...cli, '--eval'] : cli, {
          encoding: 'utf8',
          stdio: 'pipe',
          env: envWith(anchor.oneDnn),
        });
      } catch (err) {
        return `${script} failed: ${(err as Error).message.split('\n')[0]}`;
      }
      const train = /RESULT tf (\S+) cnn_train_step .* ex_per_s=([\d.]+)/.exec(out);
      const evalRate = /RESULT tf eval ex_per_s=([\d.]+)/.exec(out);
      const note = `TensorFlow ${train?.[1] ?? '?'}, one tf.function step, intra = inter = ${threads} threads`;
      const task = `cnn train, batch ${batch}`;
      if (train) rows.push({ backend: anchor.name, task, value: Number(train[2]), unit: 'examples/s', note });
      if (evalRate)
        rows.push({
          backend: anchor.name,
          task: 'cnn eval',
          value: Number(evalRate[1]),
          unit: 'examples/s',
          note: 'batches of 1000',
        });
    }
  return rows;
}

/** Each tensorflow training/eval figure over each TensorFlow Python row for the same batch. */
function anchorRatios(rows: Row[]): string[] {
  return ANCHORS.flatMap(({ name }) => {
    const anchor = (task: string) => rows.find((r) => r.backend === name && r.task === task)?.value;
    return rows
      .filter((r) => r.backend === 'tensorflow' && r.value !== null && r.unit === 'examples/s')
      .flatMap((r) => {
        const base = anchor(
          r.task.replace(/, (tensor engine|1 thread|flat engine)$/, '').replace(/, \d+ threads?$/, ''),
        );
        return base && r.value !== null ? [`tensorflow / ${name}, ${r.task}: ${(r.value / base).toFixed(2)}×`] : [];
      });
  });
}

function runChild(backend: BackendName, argv: string[]): Row[] | string {
  try {
    const out = execFileSync(process.execPath, [__filename, ...argv, '--child', backend], {
      encoding: 'utf8',
      env: userEnv,
      stdio: ['ignore', 'pipe', 'inherit'],
      maxBuffer: 16 << 20,
    });
    return JSON.parse(out.trim().split('\n').pop() ?? '[]') as Row[];
  } catch (err) {
    return (err as { stdout?: string }).stdout?.trim() || 'failed';
  }
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const args = parseArgs(argv);
  if (args.child) {
    process.stdout.write(JSON.stringify(await child(args.child, args)) + '\n');
    return;
  }
  const machine = {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    node: process.versions.node,
    loadBefore: loadavg(),
  };
  process.stderr.write(
    `bench: ${machine.cpus} x ${machine.cpuModel}, load average ${machine.loadBefore.map((l) => l.toFixed(2)).join(' ')}\n`,
  );
  const rows: Row[] = [];
  const unavailable: string[] = [];
  for (const backend of args.backends) {
    const loads = await useBackend(backend).then(
      () => true,
      (err: Error) => (unavailable.push(`${backend}: ${err.message}`), false),
    );
    if (!loads) continue;
    const r = runChild(backend, argv);
    if (typeof r === 'string') unavailable.push(`${backend}: ${r}`);
    else rows.push(...r);
  }
  if (args.anchor && args.backends.includes('tensorflow')) {
    process.stderr.write(`  ${ANCHOR}: ../shared/anchors/bench_tf_step.py…\n`);
    const anchor = anchorRows(args);
    if (typeof anchor === 'string') unavailable.push(`${ANCHOR}: ${anchor}`);
    else rows.push(...anchor);
  }
  const result = { machine: { ...machine, loadAfter: loadavg() }, rows, unavailable };
  if (args.json) {
    process.stdout.write(JSON.stringify(result) + '\n');
    return;
  }
  const lines = [
    `| backend | measure | value | notes |`,
    `|---|---|---:|---|`,
    ...rows.map(
      (r) =>
        `| ${r.backend} | ${r.task} | ${r.value === null ? '–' : `${r.value.toFixed(r.unit === 's' ? 2 : 0)} ${r.unit}`} | ${r.note} |`,
    ),
  ];
  process.stdout.write(lines.join('\n') + '\n\n');
  process.stdout.write(
    `${machine.cpus} x ${machine.cpuModel}, Node ${machine.node}; load average before ${machine.loadBefore.map((l) => l.toFixed(2)).join(' ')}, after ${result.machine.loadAfter.map((l) => l.toFixed(2)).join(' ')}\n`,
  );
  for (const line of ratios(rows, 'wasm')) process.stdout.write(line + '\n');
  for (const line of anchorRatios(rows)) process.stdout.write(line + '\n');
  for (const u of unavailable) process.stdout.write(`not measured: ${u}\n`);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
}
