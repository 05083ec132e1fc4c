import type { BackendChoice } from '../backends/choices';
import type { DatasetName } from '../data/datasets';
import type { ModelName } from '../models';

export const OPTIMIZERS = ['adam', 'sgd'] as const;
export type OptimizerName = (typeof OPTIMIZERS)[number];

export interface Hyper {
  steps: number;
  batchSize: number;
  optimizer: OptimizerName;
  learningRate: number;
}

/** The tutorial's recipe for each model. */
export const MODEL_DEFAULTS: Record<ModelName, Hyper> = {
  softmax: { steps: 1000, batchSize: 100, optimizer: 'sgd', learningRate: 0.5 },
  cnn: { steps: 20000, batchSize: 50, optimizer: 'adam', learningRate: 1e-4 },
};

export interface TrainConfig extends Hyper {
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
}

export type TrainOptions = Partial<TrainConfig> & { model?: ModelName };

/** Fills in the model's defaults; any option given overrides them. */
export function resolveConfig(opts: TrainOptions): TrainConfig {
  const model = opts.model ?? 'cnn';
  const d = MODEL_DEFAULTS[model];
  return {
    model,
    dataset: opts.dataset ?? 'mnist',
    dataDir: opts.dataDir,
    steps: opts.steps ?? d.steps,
    batchSize: opts.batchSize ?? d.batchSize,
    optimizer: opts.optimizer ?? d.optimizer,
    learningRate: opts.learningRate ?? d.learningRate,
    logEvery: opts.logEvery ?? 100,
    evalBatchSize: opts.evalBatchSize ?? 1000,
    validationSize: opts.validationSize ?? 5000,
    seed: opts.seed ?? 0,
    backend: opts.backend ?? 'auto',
    saveDir: opts.saveDir ?? `models/${model}`,
    threads: opts.threads,
    // A 20,000-step CNN run deserves checkpoints; 1,000 softmax steps take seconds.
    checkpointEvery: opts.checkpointEvery ?? (model === 'cnn' ? 1000 : 0),
  };
}
