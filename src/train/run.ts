/**
 * One training run, start to end, without a word printed: open the save dir
 * (fresh, or resuming its checkpoint), set up data and engine, train with
 * checkpoints, then either stop at a checkpoint (a stop was asked for) or
 * finish (save, evaluate, write results). The train command shows what
 * happens through `RunHooks` and prints the outcome.
 */
import type { BackendStatus } from '../backends';
import type { RawDataset } from '../data/files';
import type { EngineKind } from '../engine';
import { EngineRunError } from '../engine';
import { UserError, explainOutOfMemory } from '../errors';
import { firstNonFinite } from '../models/finite';
import { appendStepLog, startStepLog } from '../savedir/steplog';
import { runLogdir } from '../tensorboard/logdir';
import { Checkpoint, recordEventFiles, writeCheckpoint } from './checkpoint';
import { TrainConfig, capThreads } from './config';
import { DivergedError, divergence } from './diverged';
import { FinishHooks, Finished, finishRun } from './finish';
import { runTime } from './build-metadata';
import { RunOptions, openRun, resumeHint } from './resume';
import { RunParts, SetupHooks, setUpRun } from './setup';
import type { StepLog, ValidationLog } from '../run-types';
import { TrainSummary, trainLoop } from './trainer';
import { validate } from './validation';
import { ValidationWatch, WatchState } from './keep';
import { setFlatWeights, trainableVariables } from '../engine/replica';

/** What the person is told when training starts (or, with nothing left to train, finishing). */
export interface RunStart {
  cfg: TrainConfig;
  startStep: number;
  resumed: boolean;
  raw: RawDataset;
  counts: { train: number; validation: number; test: number };
  backend: BackendStatus['name'];
  engine: { kind: EngineKind; threads: number };
  /** Where TensorBoard events go, when they do. */
  eventsWhere?: string;
}

export interface RunHooks extends SetupHooks {
  /** Something done that the person should hear about (a stale lock taken over, threads capped, …). */
  note(line: string): void;
  started(start: RunStart): void;
  /** After every step. */
  onStep(stepsDone: number): void;
  /** Every `logEvery` steps (already in steps.jsonl and the events). */
  onLog(log: StepLog): void;
  /** Every `validateEvery` steps (already in steps.jsonl and the events). */
  onValidation?(v: ValidationLog): void;
  /** Asked after every step, and once more after the last checkpoint: stop at a checkpoint? */
  shouldStop(): boolean;
  /** The loop and its last checkpoint are done (or failed): let pending signals arrive. */
  trainingEnded(): Promise<void>;
  finish: FinishHooks;
}

export type RunOutcome =
  | { kind: 'interrupted'; step: number; steps: number; saveDir: string }
  | ({
      kind: 'finished';
      summary: TrainSummary;
      /** Early stopping ended the run at `step`: the best validation and the validations since. */
      stoppedEarly?: { step: number } & WatchState;
    } & Finished);

export async function runTraining(opts: RunOptions, hooks: RunHooks): Promise<RunOutcome> {
  const { save, cfg, resumed } = openRun(opts);
  try {
    const threadsNote = capThreads(cfg);
    for (const note of [...save.notes, ...(threadsNote ? [threadsNote] : [])]) hooks.note(note);
    cfg.logdir = runLogdir(opts.logdir, cfg.logdir, cfg.model);
    return await train(cfg, hooks, resumed);
  } finally {
    save.release();
  }
}

async function train(cfg: TrainConfig, hooks: RunHooks, resumed: Checkpoint | undefined): Promise<RunOutcome> {
  const parts = await setUpRun(cfg, hooks, resumed);
  const { engine, data, events } = parts;
  if (engine.note) hooks.note(engine.note);
  const startStep = resumed?.step ?? 0;
  // A part of a resumed run names its event files in the checkpoint before it trains: killed
  // before its first checkpoint, it is still trimmed on the next resume.
  if (resumed && events) recordEventFiles(cfg.saveDir, events.files, events.validationFiles);
  hooks.started({
    cfg,
    startStep,
    resumed: resumed !== undefined,
    raw: parts.raw,
    counts: { train: data.train.count, validation: data.validation.count, test: data.test.count },
    backend: parts.backend.name,
    engine: { kind: engine.kind, threads: engine.threads },
    ...(events && { eventsWhere: events.where() }),
  });
  const watch = new ValidationWatch(
    { keep: cfg.keep, earlyStop: cfg.earlyStop, saveDir: cfg.saveDir },
    resumed?.validation,
  );
  const summary = await trainWithCheckpoints(cfg, parts, hooks, resumed, watch);
  // A signal during the last checkpoint still stops the run: it can be finished later.
  if (summary.stopped || hooks.shouldStop()) {
    events?.close();
    return { kind: 'interrupted', step: summary.stepsDone, steps: cfg.steps, saveDir: cfg.saveDir };
  }
  // Closed, the engine has brought the model's variables up to date: finishing needs only the model
  // (with --keep best, the best validation's weights).
  const vars = trainableVariables(engine.model);
  const best = watch.bestWeights(vars.reduce((n, v) => n + v.size, 0));
  if (best) setFlatWeights(vars, best);
  const kept = cfg.keep === 'best' ? watch.current.best : undefined;
  const finished = await finishRun(
    {
      cfg,
      model: engine.model,
      data,
      backend: parts.backend.name,
      time: runTime(summary, cfg.batchSize, resumed),
      events,
      ...(kept && { kept }),
    },
    hooks.finish,
  );
  return {
    kind: 'finished',
    summary,
    ...finished,
    ...(summary.stoppedEarly && { stoppedEarly: { step: summary.stepsDone, ...watch.current } }),
  };
}

/** The loop, a checkpoint every `checkpointEvery` steps and a last one; the engine is closed when it returns. */
async function trainWithCheckpoints(
  cfg: TrainConfig,
  { engine, data, events }: RunParts,
  hooks: RunHooks,
  resumed: Checkpoint | undefined,
  watch: ValidationWatch,
): Promise<TrainSummary> {
  const startStep = resumed?.step ?? 0;
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
    const validation = watch.current;
    writeCheckpoint(cfg.saveDir, {
      config: cfg,
      step: stepsDone,
      data: data.train.getState(),
      seconds,
      eventFiles: events?.files,
      validationEventFiles: events?.validationFiles,
      validation,
      ...state,
    });
    lastCheckpoint = stepsDone;
  };
  startStepLog(cfg.saveDir, startStep);
  try {
    const onLog = (log: StepLog) => {
      hooks.onLog(log);
      appendStepLog(cfg.saveDir, log);
      events?.step(log);
    };
    const onValidate = async (stepsDone: number) => {
      const score = await validate(engine, data.validation, cfg.evalBatchSize);
      const v = { step: stepsDone, validationLoss: score.loss, validationAccuracy: score.accuracy };
      hooks.onValidation?.(v);
      appendStepLog(cfg.saveDir, v);
      events?.validation(v);
      return watch.seen(v, engine);
    };
    const hooksOfLoop = {
      onStep: hooks.onStep,
      onLog,
      onValidate,
      onCheckpoint: checkpoint,
      shouldStop: hooks.shouldStop,
    };
    const summary = await trainLoop(engine, data, cfg, hooksOfLoop, startStep);
    if (summary.stopped) await checkpoint(summary.stepsDone);
    // Stopped early, the run is complete at this step: its checkpoint says so (and the steps it was to
    // train), and --resume has nothing to do.
    else if (summary.stoppedEarly) {
      cfg.plannedSteps = cfg.steps;
      cfg.steps = summary.stepsDone;
      await checkpoint(summary.stepsDone);
    }
    // Training is done: a last checkpoint, so that a run cut short from here on can be finished
    // (and `--resume DIR --steps MORE` can train on).
    else if (startStep < cfg.steps) await checkpoint(cfg.steps);
    return summary;
  } catch (err) {
    throw failure(err, cfg, lastCheckpoint);
  } finally {
    await hooks.trainingEnded();
    await engine.close();
  }
}

/** What a failed loop tells the person: divergence, a failed engine (resumable), or memory. */
function failure(err: unknown, cfg: TrainConfig, lastCheckpoint: number | undefined): unknown {
  if (err instanceof DivergedError) return divergence(err, cfg, lastCheckpoint);
  if (err instanceof EngineRunError && lastCheckpoint !== undefined)
    return new UserError(
      `${err.message}; the last checkpoint (step ${lastCheckpoint}) is intact: resume with: ${resumeHint(cfg.saveDir)}`,
    );
  return explainOutOfMemory(err, '--batch-size', cfg.batchSize);
}
