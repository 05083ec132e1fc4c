import { join, resolve } from 'node:path';
import { tfVersion, useBackend } from '../backends';
import { makeDatasets } from '../data/dataset';
import { commandDataset } from './data';
import { UserError } from '../errors';
import { checkWritableDir, displayPath } from '../fsutil';
import { buildModel } from '../models';
import { METADATA_FILE, saveModel } from '../models/io';
import { Checkpoint, readCheckpoint, writeCheckpoint } from '../train/checkpoint';
import { TrainConfig, TrainOptions, resolveConfig } from '../train/config';
import { evalThreads, evaluate } from '../eval/evaluate';
import { BackendName } from '../backends/choices';
import { TrainingEngine, createEngine } from '../engine';
import { TrainSummary, trainLoop } from '../train/trainer';
import { REPORT_FILE, writeReport } from '../report/build';
import { appendStepLog, startStepLog } from '../report/steplog';
import { packageVersion } from '../version';
import { commandLine } from './invocation';
import { Output, plural } from './output';
import { exitCodeFor, trapSignals } from './signals';

export interface TrainCommandOptions extends TrainOptions {
  json?: boolean;
  /** A save dir holding a checkpoint to continue from. */
  resume?: string;
  /** Options the user gave explicitly (not defaults). */
  given?: string[];
}

/** Options that may change when resuming: they do not change what is learned. */
const RESUMABLE = new Set(['steps', 'backend', 'threads', 'logEvery', 'evalBatchSize', 'checkpointEvery', 'json', 'resume']);

const flag = (name: string) => '--' + name.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());

/** Whether option `key`, as given, says what the checkpoint already holds. */
function sameAsCheckpoint(key: string, given: unknown, cp: Checkpoint): boolean {
  const held = (cp.config as unknown as Record<string, unknown>)[key] ?? (key === 'recipe' ? 'seed' : undefined);
  if ((key === 'dataDir' || key === 'saveDir') && typeof given === 'string' && typeof held === 'string') return resolve(given) === resolve(held);
  return given === held;
}

/** The checkpoint's settings, with the few options that may change on resume. */
function resumeConfig(cp: Checkpoint, dir: string, opts: TrainCommandOptions): TrainConfig {
  const value = (key: string) => (opts as Record<string, unknown>)[key];
  const changed = (opts.given ?? []).filter((o) => !RESUMABLE.has(o) && !sameAsCheckpoint(o, value(o), cp));
  if (changed.length) {
    const was = changed.map((o) => `${flag(o)} ${String((cp.config as unknown as Record<string, unknown>)[o] ?? 'unset')}`).join(', ');
    throw new UserError(`--resume takes its settings from the checkpoint; ${changed.map(flag).join(', ')} cannot be changed (the run has ${was})`, {
      hint: `only ${[...RESUMABLE].filter((o) => o !== 'resume' && o !== 'json').map(flag).join(', ')} may differ`,
    });
  }
  const given = new Set(opts.given ?? []);
  const cfg: TrainConfig = { ...cp.config, saveDir: resolve(dir) };
  for (const key of ['steps', 'backend', 'threads', 'logEvery', 'evalBatchSize', 'checkpointEvery'] as const) {
    if (given.has(key) && opts[key] !== undefined) Object.assign(cfg, { [key]: opts[key] });
  }
  if (cfg.steps <= cp.step) {
    const further = { hint: `to train further, give a larger total: ${commandLine('train', '--resume', displayPath(resolve(dir)), '--steps', String(cp.step * 2))}` };
    if (given.has('steps')) throw new UserError(`--steps ${cfg.steps}: the run in ${displayPath(resolve(dir))} is already at step ${cp.step}`, further);
    throw new UserError(`the run in ${displayPath(resolve(dir))} is finished (step ${cp.step} of ${cp.config.steps})`, further);
  }
  return cfg;
}

export async function runTrain(opts: TrainCommandOptions): Promise<void> {
  const out = new Output(Boolean(opts.json));
  const resumed = opts.resume ? readCheckpoint(opts.resume) : undefined;
  const cfg = resumed ? resumeConfig(resumed, opts.resume as string, opts) : resolveConfig(opts);
  const saveDir = checkWritableDir(cfg.saveDir, '--save-dir');
  const backend = await useBackend(cfg.backend);
  const raw = await commandDataset(cfg.dataset, cfg.dataDir);
  // Later resumes read the same files, wherever they are started from.
  cfg.dataDir = raw.dir;
  const data = makeDatasets(raw, cfg.validationSize, cfg.seed);
  if (cfg.batchSize > data.train.count) {
    throw new UserError(`--batch-size ${cfg.batchSize} is larger than the training set (${data.train.count} images)`);
  }
  if (resumed) data.train.setState(resumed.data);
  const startStep = resumed?.step ?? 0;

  const model = buildModel(cfg.model, cfg.seed);
  const engine = await createEngine(model, { ...cfg, backend: backend.name }, resumed && { weights: resumed.weights, optimizer: resumed.optimizer });
  // Two lines, each well inside 120 columns.
  out.say(`${resumed ? `resuming at step ${startStep}: ` : ''}training ${cfg.model} (${cfg.recipe ?? 'seed'} recipe) on ${cfg.dataset} ` +
    `(${data.train.count} train / ${data.validation.count} validation / ${data.test.count} test)`);
  out.say(`  with ${cfg.optimizer} ${cfg.learningRate}${cfg.decay ? ` cosine-decayed to ${cfg.decay.finalFraction * 100}%` : ''}, ` +
    `batch ${cfg.batchSize}, ${cfg.steps} steps, backend ${backend.name}, ${plural(engine.threads, 'thread')}`);

  // The weights and optimizer state are read from the engine only here.
  const checkpoint = async (stepsDone: number) => writeCheckpoint(saveDir, { config: cfg, step: stepsDone, data: data.train.getState(), ...(await engine.exportState()) });
  const signals = trapSignals((signal) =>
    out.notice(`${signal === 'SIGINT' ? 'Ctrl-C: ' : `${signal}: `}stopping after this step and saving a checkpoint (${signal === 'SIGINT' ? 'press Ctrl-C again' : 'signal again'} to quit at once)`),
  );
  let summary: TrainSummary;
  startStepLog(saveDir, startStep);
  out.startProgress(cfg.steps, startStep);
  try {
    summary = await trainLoop(engine, data, cfg, {
      onStep: (s) => out.progress(s),
      onLog: (log) => {
        out.say(`step ${log.step}, training accuracy ${log.trainAccuracy.toFixed(2)} (loss ${log.loss.toFixed(4)}, ${Math.round(log.examplesPerSec)} examples/s)`);
        out.emit({ event: 'step', ...log });
        appendStepLog(saveDir, log);
      },
      onCheckpoint: checkpoint,
      shouldStop: () => signals.received !== undefined,
    }, startStep);
    // Training is done or stopped: a last checkpoint (it lets `--resume DIR --steps MORE` train on),
    // then Ctrl-C during the evaluation below simply ends the process; no step is lost.
    if (summary.stopped) await checkpoint(summary.stepsDone);
    else if (cfg.checkpointEvery > 0) await checkpoint(cfg.steps);
  } finally {
    out.stopProgress();
    await engine.close();
  }

  if (summary.stopped) {
    signals.dispose();
    out.say(`interrupted at step ${summary.stepsDone} of ${cfg.steps}; checkpoint saved in ${displayPath(saveDir)}`);
    out.say(`resume with: ${commandLine('train', '--resume', displayPath(saveDir))}`);
    out.emit({ event: 'interrupted', step: summary.stepsDone, saveDir });
    process.exitCode = exitCodeFor(signals.received ?? 'SIGINT');
    return;
  }
  signals.dispose();
  await finish(cfg, engine, summary, backend.name, saveDir, out, data);
}

async function finish(
  cfg: TrainConfig, engine: TrainingEngine, summary: TrainSummary, backend: BackendName, saveDir: string, out: Output,
  data: ReturnType<typeof makeDatasets>,
): Promise<void> {
  const model = engine.model;
  const how = { batchSize: cfg.evalBatchSize, threads: evalThreads(backend), backend };
  const validation = data.validation.count
    ? (await out.working('evaluating validation set', 'images', (onProgress) => evaluate(model, data.validation, { ...how, onProgress }))).accuracy
    : NaN;
  const test = await out.working('evaluating test set', 'images', (onProgress) => evaluate(model, data.test, { ...how, onProgress }));
  const result = {
    event: 'result',
    model: cfg.model,
    recipe: cfg.recipe,
    dataset: cfg.dataset,
    steps: cfg.steps,
    batchSize: cfg.batchSize,
    validationAccuracy: validation,
    testAccuracy: test.accuracy,
    seconds: summary.seconds,
    examplesPerSec: summary.examplesPerSec,
    backend,
    saveDir,
  };
  const meta = metadata(cfg, result);
  await saveModel(model, saveDir, meta);
  if (data.validation.count) appendStepLog(saveDir, { step: cfg.steps, validationAccuracy: validation });
  await writeReport(join(saveDir, REPORT_FILE), { model, test: data.test, evaluation: test, dataset: cfg.dataset, metadata: meta, runDir: saveDir });
  const fmt = (x: number) => x.toFixed(4);
  out.say(`validation accuracy ${fmt(validation)}`);
  out.say(`test accuracy ${fmt(test.accuracy)} (${test.examples} images)`);
  out.say(`trained ${summary.stepsTrained} steps in ${summary.seconds.toFixed(1)} s (${Math.round(summary.examplesPerSec)} examples/s) on ${backend}`);
  out.say(`saved ${displayPath(saveDir)} (model.json, weights.bin, ${METADATA_FILE}, ${REPORT_FILE}${cfg.checkpointEvery > 0 ? ', checkpoint' : ''})`);
  out.emit(result);
}

function metadata(cfg: TrainConfig, result: { validationAccuracy: number; testAccuracy: number; backend: string; seconds: number }) {
  return {
    model: cfg.model,
    recipe: cfg.recipe,
    dataset: cfg.dataset,
    hyperParameters: {
      steps: cfg.steps,
      batchSize: cfg.batchSize,
      optimizer: cfg.optimizer,
      learningRate: cfg.learningRate,
      ...(cfg.decay && { learningRateDecay: { kind: 'cosine', ...cfg.decay } }),
      validationSize: cfg.validationSize,
    },
    seed: cfg.seed,
    steps: cfg.steps,
    validationAccuracy: result.validationAccuracy,
    testAccuracy: result.testAccuracy,
    backend: result.backend,
    seconds: result.seconds,
    versions: { mnistDeep: packageVersion(), tfjs: tfVersion(), node: process.versions.node },
    savedAt: new Date().toISOString(),
  };
}
