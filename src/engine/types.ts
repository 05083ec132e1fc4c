/**
 * The training-engine interface: what the training loop and the train command
 * use, whatever of the four engines trains underneath (see ENGINE_KINDS), so
 * that the loop never knows where the weights live.
 */
import type * as tfl from '@tensorflow/tfjs';
import type { BackendName } from '../backends/choices';
import { UserError } from '../errors';
import type { Batch } from '../data/batches';
import type { ModelName } from '../models/names';
import type { LearningRateSchedule, OptimizerName, OptimizerState } from '../optim';

/** A step the engine could not run (TensorFlow's session failed mid-run): one line, the run may resume. */
export class EngineRunError extends UserError {}

export const ENGINE_KINDS = ['flat', 'tensor', 'graph', 'webgpu-step'] as const;
/**
 * `flat`: weights in one Float32Array, optimizer in JavaScript (threads share it); `tensor`: weights and
 * optimizer state stay tfjs variables; `graph`: the whole step is one TensorFlow graph (tensorflow only);
 * `webgpu-step`: the whole step prepared once as our own WebGPU kernels (webgpu only).
 */
export type EngineKind = (typeof ENGINE_KINDS)[number];

export interface EngineOptions {
  backend: BackendName;
  model: ModelName;
  optimizer: OptimizerName;
  /** The initial learning rate; with `decay`, step s uses `learningRateAt(options, s)`. */
  learningRate: number;
  decay?: LearningRateSchedule;
  /** Seeds dropout masks (with the step and the thread). */
  seed: number;
  batchSize: number;
  /** Undefined: choose (see `autoThreads`); only the flat engine uses more than one. */
  threads?: number;
  /** Undefined: the backend's own choice (see `engineKindFor`). */
  engine?: EngineKind;
  /** false: no dropout (tests comparing engines whose masks could differ). Default true. */
  dropout?: boolean;
}

/** Everything a checkpoint holds of the model and optimizer: weights in `trainableVariables` order, flat. */
export interface EngineState {
  weights: Float32Array;
  optimizer: OptimizerState;
}

export interface StepResult {
  /** The batch's mean cross-entropy before the update (NaN where `readLoss` was false and honoured). */
  loss: number;
  /** Set where the engine honoured `readLoss` false: `loss` is then no measurement. */
  unread?: true;
}

/** A batch scored with dropout off. */
export interface BatchScore {
  loss: number;
  accuracy: number;
}

export interface TrainingEngine {
  readonly kind: EngineKind;
  /**
   * The model being trained: its variables hold the current weights after every step (the graph
   * engine, whose weights live in TensorFlow's graph: after `exportState` and `close`).
   */
  readonly model: tfl.LayersModel;
  readonly threads: number;
  /** Why this engine and not the usual one (one line to show), if so. */
  readonly note?: string;
  /**
   * One optimizer step on `batch`; `step` (0-based, of the whole run) fixes the dropout masks.
   * `readLoss` false: the engine may skip reading the loss back (it is then NaN), so that a GPU's
   * steps keep being queued (the webgpu step engine honours it; the others always read it).
   */
  step(batch: Batch, step: number, readLoss?: boolean): Promise<StepResult>;
  /** The batch's accuracy with dropout off, where the engine computes it itself (else from `model`). */
  accuracy?(batch: Batch): Promise<number>;
  /** The batch's mean cross-entropy and accuracy with dropout off, where the engine computes them itself (else from `model`). */
  evaluate?(batch: Batch): Promise<BatchScore>;
  /** A copy of the weights and optimizer state (read from the backend only now). */
  exportState(): Promise<EngineState>;
  close(): Promise<void>;
}
