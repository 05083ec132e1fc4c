/**
 * The training run's shared vocabulary: its settings (Hyper, TrainConfig and
 * the recipe and --keep names they use) and its log entries (StepLog,
 * ValidationLog). The run writes them and TensorBoard, the report and the
 * step log read them, so they live below all of those: this file imports
 * only types and names from the building parts, nothing of the run.
 */
import type { BackendChoice } from './backends/choices';
import type { DatasetName } from './data/datasets';
import type { ModelName } from './models/names';
import type { LearningRateSchedule, OptimizerName } from './optim';

export const RECIPES = ['seed', 'fast'] as const;
export type RecipeName = (typeof RECIPES)[number];

/** `--keep`: the last step's weights become the model (the tutorial's), or the best validation's. */
export const KEEP_CHOICES = ['last', 'best'] as const;
export type KeepChoice = (typeof KEEP_CHOICES)[number];

/** A recipe's values for one model (train/config.ts's RECIPE_DEFAULTS). */
export interface Hyper {
  steps: number;
  batchSize: number;
  optimizer: OptimizerName;
  learningRate: number;
  /** Absent: a constant learning rate. */
  decay?: LearningRateSchedule;
}

/** A run's settings, resolved from the options by train/config.ts's resolveConfig. */
export interface TrainConfig extends Hyper {
  recipe: RecipeName;
  model: ModelName;
  dataset: DatasetName;
  dataDir?: string;
  logEvery: number;
  evalBatchSize: number;
  validationSize: number;
  seed: number;
  backend: BackendChoice;
  saveDir: string;
  /** Data-parallel threads; undefined chooses by backend and model. */
  threads?: number;
  /** Write a checkpoint every this many steps; 0 never. */
  checkpointEvery: number;
  /** Measure the validation split every this many steps (0: only at the end); absent: once an epoch (see train/validation.ts). */
  validateEvery?: number;
  /** `best`: the best validation's weights become the model; absent: the last step's. */
  keep?: KeepChoice;
  /** Stop when the validation accuracy has not improved for this many validations. */
  earlyStop?: number;
  /** Set when early stopping ended the run: the steps it was to train (`steps` is then the step it stopped at). */
  plannedSteps?: number;
  /** The folder receiving the run's TensorBoard events (absolute); none when absent. */
  logdir?: string;
}

/** One logged training step (every `logEvery` steps, as the tutorial prints). */
export interface StepLog {
  step: number;
  loss: number;
  trainAccuracy: number;
  examplesPerSec: number;
}

/** One measurement of the validation split during training. */
export interface ValidationLog {
  step: number;
  validationLoss: number;
  validationAccuracy: number;
}
