/**
 * Finishing a trained run: the model saved first (so that the trained weights
 * are kept whatever happens next), the validation and test sets evaluated,
 * then metadata.json with the accuracies (which says the run is complete), the
 * step log's last point, report.html and the TensorBoard results. It prints
 * nothing: it reports to the command through `FinishHooks` and returns the
 * result.
 */
import type * as tfl from '@tensorflow/tfjs';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { BackendName } from '../backends/choices';
import type { Datasets } from '../data/batches';
import { explainOutOfMemory } from '../errors';
import { Evaluation, evalThreads, evaluate } from '../eval/evaluate';
import { saveModel } from '../models/io';
import { writeReport } from '../report/build';
import { appendStepLog } from '../savedir/steplog';
import { CHECKPOINT_FILE, REPORT_FILE, checkpointBinName, BEST_WEIGHTS_FILE } from '../run-files';
import type { TrainEvents } from '../tensorboard/training';
import { TrainConfig } from './config';
import { RunTime, buildMetadata } from './build-metadata';

/** Examples scored so far, of all. */
export type EvalProgress = (done: number, total: number) => void;

export interface FinishHooks {
  /** Saving into `saveDir` begins; until `done`, the final checkpoint is there and the run can be finished later. */
  begin(saveDir: string): void;
  /** The model is saved (its metadata without accuracies). */
  modelSaved(): void;
  /** Runs one evaluation (`label`: "evaluating test set"), showing its progress meanwhile. */
  evaluating(label: string, work: (progress: EvalProgress) => Promise<Evaluation>): Promise<Evaluation>;
  /** The evaluations are over (or failed): from here on, nothing is left that a signal should spare. */
  done(): void;
}

/** The result line of a finished run, as `--json` prints it. */
export interface RunResult {
  model: TrainConfig['model'];
  recipe: TrainConfig['recipe'];
  dataset: TrainConfig['dataset'];
  steps: number;
  batchSize: number;
  /** null, not NaN, when there is no validation set (JSON would write NaN as null anyway). */
  validationAccuracy: number | null;
  testAccuracy: number;
  /** The whole run's training time and speed; null when a checkpoint from an older version kept none. */
  seconds: number | null;
  examplesPerSec: number | null;
  backend: BackendName;
  saveDir: string;
  /** --keep best: the step whose weights the model holds, and its validation accuracy. */
  kept?: { step: number; validationAccuracy: number };
}

export interface Finished {
  result: RunResult;
  /** Test images scored. */
  testExamples: number;
  /** Whether a checkpoint stays in the save dir (periodic checkpoints were asked for). */
  checkpointKept: boolean;
}

export interface FinishInputs {
  cfg: TrainConfig;
  /** The trained model, its variables up to date (its engine closed). */
  model: tfl.LayersModel;
  data: Datasets;
  backend: BackendName;
  time: RunTime | undefined;
  events: TrainEvents | undefined;
  /** --keep best: the validation whose weights the model holds. */
  kept?: { step: number; validationAccuracy: number };
}

/** Saves the model, then evaluates it: what a signal may cut short; the final checkpoint is already written. */
async function saveAndEvaluate(
  { cfg, model, data, backend, time }: FinishInputs,
  hooks: FinishHooks,
): Promise<{ validation: number; test: Evaluation }> {
  const how = { batchSize: cfg.evalBatchSize, threads: evalThreads(backend), backend };
  hooks.begin(cfg.saveDir);
  try {
    // The model first: whatever happens during the evaluation, the trained weights are kept
    // (with the run's settings, so that eval finds its data set); the results follow it.
    await saveModel(model, cfg.saveDir, buildMetadata(cfg, { backend, seconds: time?.seconds }));
    hooks.modelSaved();
    const validation = data.validation.count
      ? (
          await hooks.evaluating('evaluating validation set', (onProgress) =>
            evaluate(model, data.validation, { ...how, onProgress }),
          )
        ).accuracy
      : NaN;
    const test = await hooks.evaluating('evaluating test set', (onProgress) =>
      evaluate(model, data.test, { ...how, onProgress }),
    );
    return { validation, test };
  } catch (err) {
    throw explainOutOfMemory(err, '--eval-batch-size', cfg.evalBatchSize);
  } finally {
    hooks.done();
  }
}

export async function finishRun(inputs: FinishInputs, hooks: FinishHooks): Promise<Finished> {
  const { cfg, model, data, backend, time, events, kept } = inputs;
  const saveDir = cfg.saveDir;
  const { validation, test } = await saveAndEvaluate(inputs, hooks);
  const result: RunResult = {
    model: cfg.model,
    recipe: cfg.recipe,
    dataset: cfg.dataset,
    steps: cfg.steps,
    batchSize: cfg.batchSize,
    validationAccuracy: data.validation.count ? validation : null,
    testAccuracy: test.accuracy,
    seconds: time?.seconds ?? null,
    examplesPerSec: time?.examplesPerSec ?? null,
    backend,
    saveDir,
    ...(kept && { kept }),
  };
  const meta = buildMetadata(cfg, { ...result, seconds: time?.seconds, kept });
  // metadata.json with the accuracies last but the report: with them, it says the run is complete.
  await saveModel(model, saveDir, meta);
  // The kept best step's accuracy is on the curve already, at its step.
  if (data.validation.count && !kept) appendStepLog(saveDir, { step: cfg.steps, validationAccuracy: validation });
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
    rmSync(join(saveDir, BEST_WEIGHTS_FILE), { force: true });
  }
  return { result, testExamples: test.examples, checkpointKept: cfg.checkpointEvery > 0 };
}
