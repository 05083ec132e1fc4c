import { existsSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { BackendStatus, useBackend } from '../backends';
import { makeDatasets } from '../data/dataset';
import { commandDataset, dataOrigin } from './data';
import { UserError, explainOutOfMemory } from '../errors';
import { displayPath } from '../fs/paths';
import { buildModel } from '../models';
import { saveModel } from '../models/io';
import { CHECKPOINT_FILE, METADATA_FILE, MODEL_FILE, REPORT_FILE, WEIGHTS_FILE, checkpointBinName } from '../run-files';
import { readMetadata } from '../models/metadata';
import { SaveDir, checkFreeSpace, openSaveDir } from '../savedir/prepare';
import { Checkpoint, readCheckpoint, writeCheckpoint } from '../train/checkpoint';
import { DivergedError } from '../train/diverged';
import { firstNonFinite } from '../models/finite';
import { TrainConfig, TrainOptions, capThreads, resolveConfig } from '../train/config';
import { evalThreads, evaluate } from '../eval/evaluate';
import { BackendName } from '../backends/choices';
import { EngineRunError, TrainingEngine, createEngine } from '../engine';
import { slotCount } from '../optim';
import { TrainSummary, trainLoop } from '../train/trainer';
import { RunTime, buildMetadata, runTime } from '../train/metadata';
import { writeReport } from '../report/build';
import { appendStepLog, startStepLog } from '../report/steplog';
import { commandLine } from '../terminal/command-line';
import { LogdirOption, runLogdir } from '../tensorboard/logdir';
import { TrainEvents } from '../tensorboard/training';
import { Output, plural } from './output';
import { exitCodeFor } from '../stop-signals';
import { exitOnSignals, trapSignals } from './signals';

export interface TrainCommandOptions extends Omit<TrainOptions, 'logdir'> {
  /** TensorBoard events: a folder, or `true` for a fresh one under runs/. */
  logdir?: LogdirOption;
  json?: boolean;
  /** A save dir holding a checkpoint to continue from. */
  resume?: string;
  /** Start afresh in a save dir that holds another run. */
  overwrite?: boolean;
  /** Options the user gave explicitly (not defaults). */
  given?: string[];
}

/** Options that may change when resuming: they do not change what is learned. */
const RESUMABLE = new Set([
  'steps',
  'backend',
  'threads',
  'logEvery',
  'evalBatchSize',
  'checkpointEvery',
  'json',
  'resume',
  'logdir',
]);

const flag = (name: string) => '--' + name.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());

/** The command that continues (or finishes) the run in `dir`. */
export const resumeHint = (dir: string) => commandLine('train', '--resume', displayPath(dir));

/** Whether the run in `dir` was finished at `step`: model saved, evaluated, results written. */
function finished(dir: string, step: number): boolean {
  if (![MODEL_FILE, WEIGHTS_FILE].every((f) => existsSync(join(dir, f)))) return false;
  const meta = readMetadata(dir);
  return meta?.steps === step && typeof meta.testAccuracy === 'number';
}

/** Whether option `key`, as given, says what the checkpoint already holds. */
function sameAsCheckpoint(key: string, given: unknown, cp: Checkpoint): boolean {
  const held = (cp.config as unknown as Record<string, unknown>)[key] ?? (key === 'recipe' ? 'seed' : undefined);
  if ((key === 'dataDir' || key === 'saveDir') && typeof given === 'string' && typeof held === 'string')
    return resolve(given) === resolve(held);
  return given === held;
}

/** The checkpoint's settings, with the few options that may change on resume. */
function resumeConfig(cp: Checkpoint, dir: string, opts: TrainCommandOptions): TrainConfig {
  const value = (key: string) => (opts as Record<string, unknown>)[key];
  const changed = (opts.given ?? []).filter((o) => !RESUMABLE.has(o) && !sameAsCheckpoint(o, value(o), cp));
  if (changed.length) {
    const was = changed
      .map((o) => `${flag(o)} ${String((cp.config as unknown as Record<string, unknown>)[o] ?? 'unset')}`)
      .join(', ');
    throw new UserError(
      `--resume takes its settings from the checkpoint; ${changed.map(flag).join(', ')} cannot be changed (the run has ${was})`,
      {
        hint: `only ${[...RESUMABLE]
          .filter((o) => o !== 'resume' && o !== 'json')
          .map(flag)
          .join(', ')} may differ`,
      },
    );
  }
  const given = new Set(opts.given ?? []);
  const cfg: TrainConfig = { ...cp.config, saveDir: resolve(dir) };
  for (const key of ['steps', 'backend', 'threads', 'logEvery', 'evalBatchSize', 'checkpointEvery'] as const) {
    if (given.has(key) && opts[key] !== undefined) Object.assign(cfg, { [key]: opts[key] });
  }
  const further = {
    hint: `to train further, give a larger total: ${commandLine('train', '--resume', displayPath(resolve(dir)), '--steps', String(cp.step * 2))}`,
  };
  if (cfg.steps < cp.step)
    throw new UserError(
      `--steps ${cfg.steps}: the run in ${displayPath(resolve(dir))} is already at step ${cp.step}`,
      further,
    );
  // Training complete: a run whose model or results are missing is finished; a finished one is said so.
  if (cfg.steps === cp.step && finished(dir, cp.step)) {
    throw new UserError(
      `the run in ${displayPath(resolve(dir))} is finished (step ${cp.step} of ${cp.config.steps}, model and results saved)`,
      further,
    );
  }
  return cfg;
}

/** Bytes a run writes at most: weights.bin, plus the old and the new checkpoint while one replaces the other. */
function bytesNeeded(params: number, cfg: TrainConfig): number {
  return params * 4 * (1 + 2 * (1 + slotCount(cfg.optimizer)));
}

/** Locks the save dir (and reads the checkpoint, when resuming) before anything else happens. */
function openRun(opts: TrainCommandOptions): { save: SaveDir; cfg: TrainConfig; resumed?: Checkpoint } {
  if (opts.resume !== undefined) {
    // Not a save dir at all: say so before writing a lock there.
    if (existsSync(opts.resume) && !existsSync(join(opts.resume, CHECKPOINT_FILE))) {
      throw new UserError(`--resume ${opts.resume}: no ${CHECKPOINT_FILE} there (was it trained with checkpoints?)`);
    }
    const save = openSaveDir(opts.resume, { option: '--resume', resume: true, overwrite: false });
    try {
      const resumed = readCheckpoint(save.dir);
      return { save, resumed, cfg: resumeConfig(resumed, save.dir, opts) };
    } catch (err) {
      save.release();
      throw err;
    }
  }
  const cfg = resolveConfig({ ...opts, logdir: undefined });
  const save = openSaveDir(cfg.saveDir, { option: '--save-dir', resume: false, overwrite: Boolean(opts.overwrite) });
  cfg.saveDir = save.dir;
  return { save, cfg };
}

export async function runTrain(opts: TrainCommandOptions): Promise<void> {
  const out = new Output(Boolean(opts.json));
  const { save, cfg, resumed } = openRun(opts);
  try {
    const threadsNote = capThreads(cfg);
    for (const note of [...save.notes, ...(threadsNote ? [threadsNote] : [])]) out.notice(`note: ${note}`);
    cfg.logdir = runLogdir(opts.logdir, cfg.logdir, cfg.model);
    await train(cfg, save, out, resumed);
  } finally {
    save.release();
  }
}

async function train(cfg: TrainConfig, save: SaveDir, out: Output, resumed: Checkpoint | undefined): Promise<void> {
  const saveDir = save.dir;
  const backend = await useBackend(cfg.backend);
  const slower = slowerThanNative(backend);
  if (slower) out.notice(slower);
  const model = buildModel(cfg.model, cfg.seed);
  if (resumed && resumed.weights.length !== model.countParams()) {
    throw new UserError(
      `${join(saveDir, CHECKPOINT_FILE)}: field parameters: ${resumed.weights.length}, but a ${cfg.model} model has ${model.countParams()}`,
    );
  }
  checkFreeSpace(saveDir, resumed ? '--resume' : '--save-dir', bytesNeeded(model.countParams(), cfg));
  const raw = await commandDataset(cfg.dataset, cfg.dataDir);
  // Later resumes read the same files, wherever they are started from.
  cfg.dataDir = raw.dir;
  const data = makeDatasets(raw, cfg.validationSize, cfg.seed);
  if (cfg.batchSize > data.train.count) {
    throw new UserError(`--batch-size ${cfg.batchSize} is larger than the training set (${data.train.count} images)`);
  }
  if (resumed) restoreData(data, resumed, saveDir);
  const startStep = resumed?.step ?? 0;
  // The events file stays open until the process ends when training fails; nothing is lost by that.
  const events = TrainEvents.start(cfg, startStep, (line) => out.notice(`mnist-deep: warning: ${line}`));

  const engine = await createEngine(
    model,
    { ...cfg, backend: backend.name },
    resumed && { weights: resumed.weights, optimizer: resumed.optimizer },
  );
  if (engine.note) out.notice(`note: ${engine.note}`);
  if (startStep === cfg.steps) {
    out.say(
      `finishing the run in ${displayPath(saveDir)}: training is complete (step ${startStep} of ${cfg.steps}); saving and evaluating the model`,
    );
  } else {
    // Two lines, each well inside 120 columns.
    out.say(
      `${resumed ? `resuming at step ${startStep}: ` : ''}training ${cfg.model} (${cfg.recipe ?? 'seed'} recipe) on ${cfg.dataset} ` +
        `(${data.train.count} train / ${data.validation.count} validation / ${data.test.count} test) from ${dataOrigin(raw)}`,
    );
    out.say(
      `  with ${cfg.optimizer} ${cfg.learningRate}${cfg.decay ? ` cosine-decayed to ${cfg.decay.finalFraction * 100}%` : ''}, ` +
        `batch ${cfg.batchSize}, ${cfg.steps} steps, backend ${backend.name}${engine.kind === 'graph' ? ' (graph engine)' : ''}, ` +
        plural(engine.threads, 'thread'),
    );
  }

  if (events) out.say(`  ${events.where()}`);

  let lastCheckpoint = resumed?.step;
  // The run's training time so far, kept in each checkpoint; unknown when resumed from one that kept none.
  const before = resumed ? resumed.seconds : 0;
  const t0 = performance.now();
  // The weights and optimizer state are read from the engine only here.
  const checkpoint = async (stepsDone: number) => {
    const state = await engine.exportState();
    // Never replace a good checkpoint with a diverged one.
    if (firstNonFinite(state.weights) >= 0)
      throw new DivergedError(stepsDone, 'the weights are no longer finite numbers');
    const seconds = before === undefined ? undefined : before + (performance.now() - t0) / 1000;
    writeCheckpoint(saveDir, { config: cfg, step: stepsDone, data: data.train.getState(), seconds, ...state });
    lastCheckpoint = stepsDone;
  };
  const signals = trapSignals((signal) =>
    out.notice(
      `${signal === 'SIGINT' ? 'Ctrl-C: ' : `${signal}: `}stopping after this step and saving a checkpoint (${signal === 'SIGINT' ? 'press Ctrl-C again' : 'signal again'} to quit at once)`,
    ),
  );
  let summary: TrainSummary;
  startStepLog(saveDir, startStep);
  out.startProgress(cfg.steps, startStep);
  try {
    summary = await trainLoop(
      engine,
      data,
      cfg,
      {
        onStep: (s) => out.progress(s),
        onLog: (log) => {
          out.say(
            `step ${log.step}, training accuracy ${log.trainAccuracy.toFixed(2)} (loss ${log.loss.toFixed(4)}, ${Math.round(log.examplesPerSec)} examples/s)`,
          );
          out.emit({ event: 'step', ...log });
          appendStepLog(saveDir, log);
          events?.step(log);
        },
        onCheckpoint: checkpoint,
        shouldStop: () => signals.received !== undefined,
      },
      startStep,
    );
    if (summary.stopped) await checkpoint(summary.stepsDone);
    // Training is done: a last checkpoint, so that a run cut short from here on can be finished
    // (and `--resume DIR --steps MORE` can train on).
    else if (startStep < cfg.steps) await checkpoint(cfg.steps);
  } catch (err) {
    if (err instanceof DivergedError) throw divergence(err, cfg, saveDir, lastCheckpoint);
    if (err instanceof EngineRunError && lastCheckpoint !== undefined)
      throw new UserError(
        `${err.message}; the last checkpoint (step ${lastCheckpoint}) is intact: resume with: ${resumeHint(saveDir)}`,
      );
    throw explainOutOfMemory(err, '--batch-size', cfg.batchSize);
  } finally {
    out.stopProgress();
    await signals.dispose();
    await engine.close();
  }

  // A signal during the last checkpoint still stops the run: it can be finished later.
  if (summary.stopped || signals.received) {
    out.say(`interrupted at step ${summary.stepsDone} of ${cfg.steps}; checkpoint saved in ${displayPath(saveDir)}`);
    out.say(`resume with: ${resumeHint(saveDir)}`);
    out.emit({ event: 'interrupted', step: summary.stepsDone, saveDir });
    process.exitCode = exitCodeFor(signals.received ?? 'SIGINT');
    events?.close();
    return;
  }
  await finish(
    cfg,
    engine,
    summary,
    runTime(summary, cfg.batchSize, resumed),
    backend.name,
    saveDir,
    out,
    data,
    events,
  );
}

/** `auto` fell back from the native backend to wasm or cpu: one line on what it costs and how to set native up. */
function slowerThanNative(backend: BackendStatus): string | undefined {
  const why = backend.passedOver?.find((r) => r.startsWith('tensorflow: '));
  if (!why || (backend.name !== 'wasm' && backend.name !== 'cpu')) return undefined;
  return (
    `note: training on ${backend.name}, about 5× slower than the native tensorflow backend ` +
    `(not used: ${why.slice('tensorflow: '.length)}); \`npx mnist-deep native\` sets it up and says what is missing`
  );
}

/** The checkpoint's place in the training data, which must be the same data set. */
function restoreData(data: ReturnType<typeof makeDatasets>, cp: Checkpoint, saveDir: string): void {
  if (cp.data.order.length !== data.train.count) {
    throw new UserError(
      `${join(saveDir, CHECKPOINT_FILE)}: field data.order: ${cp.data.order.length} entries, but the training set in ${data.dir} has ${data.train.count} images (was the data set changed?)`,
    );
  }
  data.train.setState(cp.data);
}

/** The one-line story of a diverged run: where, why probably, and what is kept. */
function divergence(
  err: DivergedError,
  cfg: TrainConfig,
  saveDir: string,
  lastCheckpoint: number | undefined,
): UserError {
  const kept =
    lastCheckpoint !== undefined
      ? `the last good checkpoint (step ${lastCheckpoint}) is kept in ${saveDir}`
      : 'no checkpoint had been written yet';
  return new UserError(
    `${err.message} (learning rate ${cfg.learningRate} with ${cfg.optimizer}: try a smaller --learning-rate); no model saved; ${kept}`,
  );
}

async function finish(
  cfg: TrainConfig,
  engine: TrainingEngine,
  summary: TrainSummary,
  time: RunTime | undefined,
  backend: BackendName,
  saveDir: string,
  out: Output,
  data: ReturnType<typeof makeDatasets>,
  events: TrainEvents | undefined,
): Promise<void> {
  const model = engine.model;
  // Ctrl-C from here ends the process at once: the final checkpoint is written, so the run can be finished later.
  let modelSaved = false;
  const stopTrap = exitOnSignals(() => {
    out.stopProgress();
    out.notice(
      modelSaved
        ? `interrupted during the closing evaluation; the model is saved in ${displayPath(saveDir)}`
        : `interrupted before the model was saved; the final checkpoint is in ${displayPath(saveDir)}`,
    );
    out.notice(`finish the run with: ${resumeHint(saveDir)}`);
  });
  const how = { batchSize: cfg.evalBatchSize, threads: evalThreads(backend), backend };
  let validation: number;
  let test: Awaited<ReturnType<typeof evaluate>>;
  try {
    // The model first: whatever happens during the evaluation, the trained weights are kept
    // (with the run's settings, so that eval finds its data set); the results follow it.
    await saveModel(model, saveDir, buildMetadata(cfg, { backend, seconds: time?.seconds }));
    modelSaved = true;
    validation = data.validation.count
      ? (
          await out.working('evaluating validation set', 'images', (onProgress) =>
            evaluate(model, data.validation, { ...how, onProgress }),
          )
        ).accuracy
      : NaN;
    test = await out.working('evaluating test set', 'images', (onProgress) =>
      evaluate(model, data.test, { ...how, onProgress }),
    );
  } catch (err) {
    throw explainOutOfMemory(err, '--eval-batch-size', cfg.evalBatchSize);
  } finally {
    stopTrap();
  }
  const result = {
    event: 'result',
    model: cfg.model,
    recipe: cfg.recipe,
    dataset: cfg.dataset,
    steps: cfg.steps,
    batchSize: cfg.batchSize,
    // null, not NaN, when there is no validation set (JSON would write NaN as null anyway).
    validationAccuracy: data.validation.count ? validation : null,
    testAccuracy: test.accuracy,
    seconds: time?.seconds ?? null,
    examplesPerSec: time?.examplesPerSec ?? null,
    backend,
    saveDir,
  };
  const meta = buildMetadata(cfg, { ...result, seconds: time?.seconds });
  // metadata.json with the accuracies last but the report: with them, it says the run is complete.
  await saveModel(model, saveDir, meta);
  if (data.validation.count) appendStepLog(saveDir, { step: cfg.steps, validationAccuracy: validation });
  await writeReport(join(saveDir, REPORT_FILE), {
    model,
    test: data.test,
    evaluation: test,
    dataset: cfg.dataset,
    metadata: meta,
    runDir: saveDir,
  });
  await events?.results({ model, test: data.test, evaluation: test, validationAccuracy: validation });
  events?.close();
  // Without periodic checkpoints the final one was only there to make the run finishable.
  if (cfg.checkpointEvery === 0) {
    rmSync(join(saveDir, CHECKPOINT_FILE), { force: true });
    rmSync(join(saveDir, checkpointBinName(cfg.steps)), { force: true });
  }
  const fmt = (x: number) => x.toFixed(4);
  out.say(
    data.validation.count
      ? `validation accuracy ${fmt(validation)}`
      : 'validation accuracy: none (no validation set: --validation-size 0)',
  );
  out.say(`test accuracy ${fmt(test.accuracy)} (${test.examples} images)`);
  if (summary.stepsTrained > 0) {
    out.say(
      `trained ${summary.stepsTrained} steps in ${summary.seconds.toFixed(1)} s (${Math.round(summary.examplesPerSec)} examples/s) on ${backend}`,
    );
  }
  out.say(
    `saved ${displayPath(saveDir)} (${MODEL_FILE}, ${WEIGHTS_FILE}, ${METADATA_FILE}, ${REPORT_FILE}${cfg.checkpointEvery > 0 ? ', checkpoint' : ''})`,
  );
  out.emit(result);
}
