/**
 * What train writes into metadata.json (and model.json's userDefinedMetadata):
 * the run's settings, versions, and once evaluated its accuracies; and the
 * run's training time, which spans every part of a resumed run.
 */
import { tfVersion } from '../backends';
import { packageVersion } from '../version';
import { TrainConfig } from './config';
import type { TrainSummary } from './trainer';

/** How long the whole run trained, and how fast. */
export interface RunTime {
  seconds: number;
  examplesPerSec: number;
}

/**
 * The run's training time: this part's, plus what its checkpoint kept of the parts before. A run
 * resumed from a checkpoint that kept no time (written by an older version) knows only this part's,
 * and nothing at all when this part trained no step.
 */
export function runTime(summary: TrainSummary, batchSize: number, before?: { seconds?: number }): RunTime | undefined {
  if (before?.seconds !== undefined) {
    const seconds = before.seconds + summary.seconds;
    return { seconds, examplesPerSec: seconds > 0 ? (summary.stepsDone * batchSize) / seconds : 0 };
  }
  if (before && summary.stepsTrained === 0) return undefined;
  return { seconds: summary.seconds, examplesPerSec: summary.examplesPerSec };
}

export interface MetadataResults {
  backend: string;
  seconds?: number;
  validationAccuracy?: number | null;
  testAccuracy?: number;
  /** --keep best: the step whose weights were saved, and its validation accuracy. */
  kept?: { step: number; validationAccuracy: number };
}

/** metadata.json's object; without `testAccuracy` it says the model is saved but not yet evaluated. */
export function buildMetadata(cfg: TrainConfig, result: MetadataResults) {
  return {
    model: cfg.model,
    recipe: cfg.recipe,
    dataset: cfg.dataset,
    hyperParameters: {
      // The steps asked for; `steps` below is those trained (fewer when early stopping ended the run).
      steps: cfg.plannedSteps ?? cfg.steps,
      batchSize: cfg.batchSize,
      optimizer: cfg.optimizer,
      learningRate: cfg.learningRate,
      ...(cfg.decay && { learningRateDecay: cfg.decay }),
      validationSize: cfg.validationSize,
    },
    seed: cfg.seed,
    steps: cfg.steps,
    ...(cfg.plannedSteps !== undefined && { stoppedEarlyAt: cfg.steps }),
    ...(cfg.logdir && { logdir: cfg.logdir }),
    // Absent until the closing evaluation is done (tfjs refuses undefined values in model.json's metadata).
    ...(result.testAccuracy !== undefined && {
      validationAccuracy: result.validationAccuracy,
      testAccuracy: result.testAccuracy,
    }),
    ...(result.kept && { keptStep: result.kept.step, keptValidationAccuracy: result.kept.validationAccuracy }),
    backend: result.backend,
    ...(result.seconds !== undefined && { seconds: result.seconds }),
    versions: { mnistDeep: packageVersion(), tfjs: tfVersion(), node: process.versions.node },
    savedAt: new Date().toISOString(),
  };
}
