/**
 * The flat engine's building block, one per training thread: the model with
 * its weights mirrored in one flat Float32Array and a flat optimizer, because
 * one array is what threads can share, a checkpoint can save and one
 * JavaScript pass can update (tfjs would dispatch a dozen kernels per weight).
 */
import type * as tfl from '@tensorflow/tfjs';
import { loadTf } from '../backends/tf';
import { IMAGE_SIZE, NUM_CLASSES } from '../data/shapes';
import { UserError } from '../errors';
import { crossEntropy } from '../models';
import { LearningRateSchedule, OptimizerName, OptimizerState } from '../optim';
import { FlatOptimizer, makeOptimizer } from '../optim/flat';
import { withDropoutSeeds } from './dropout-seed';
import type { EngineState } from './types';

/** The model's trainable variables, in a fixed order. */
export function trainableVariables(model: tfl.LayersModel): tfl.Variable[] {
  return model.trainableWeights.map((w) => w.read() as tfl.Variable);
}

export function parameterCount(vars: tfl.Variable[]): number {
  return vars.reduce((sum, v) => sum + v.size, 0);
}

/**
 * Loss and gradients of the mean cross-entropy over a batch, the gradients
 * flattened into one array in `trainableVariables` order (to send between threads).
 */
export function flatGradients(
  model: tfl.LayersModel,
  vars: tfl.Variable[],
  xs: Float32Array,
  ys: Float32Array,
  n: number,
  training = true,
  out: Float32Array = new Float32Array(parameterCount(vars)),
): { loss: number; grads: Float32Array } {
  const tf = loadTf();
  const { value, grads } = tf.tidy(() => {
    const x = tf.tensor2d(xs, [n, IMAGE_SIZE]);
    const y = tf.tensor2d(ys, [n, NUM_CLASSES]);
    return tf.variableGrads(() => crossEntropy(y, model.apply(x, { training }) as tfl.Tensor), vars);
  });
  let offset = 0;
  for (const v of vars) {
    out.set(grads[v.name].dataSync() as Float32Array, offset);
    offset += v.size;
  }
  const loss = value.dataSync()[0];
  tf.dispose([value, ...Object.values(grads)]);
  return { loss, grads: out };
}

/** Sets every variable from one flat array (as `flatGradients` orders them). */
export function setFlatWeights(vars: tfl.Variable[], flat: Float32Array): void {
  const tf = loadTf();
  tf.tidy(() => {
    let offset = 0;
    for (const v of vars) {
      v.assign(tf.tensor(flat.subarray(offset, offset + v.size), v.shape));
      offset += v.size;
    }
  });
}

/** Throws unless `state` holds `size` weights and `slots` optimizer slots of that size (a checkpoint of this model). */
export function checkStateFits(state: EngineState, size: number, slots: number, model: string): void {
  const fits =
    state.weights.length === size &&
    state.optimizer.slots.length === slots &&
    state.optimizer.slots.every((s) => s.length === size);
  if (!fits) throw new UserError(`the checkpoint's weights or optimizer state do not fit the ${model} model`);
}

export function getFlatWeights(vars: tfl.Variable[]): Float32Array {
  const flat = new Float32Array(parameterCount(vars));
  let offset = 0;
  for (const v of vars) {
    flat.set(v.dataSync() as Float32Array, offset);
    offset += v.size;
  }
  return flat;
}

/** Weights and optimizer slots in shared memory, updated in place by every training thread. */
export interface SharedState {
  weights: Float32Array;
  slots: Float32Array[];
  /** Optimizer steps already taken. */
  step: number;
}

export interface ReplicaOptions {
  /** Seeds dropout (with the step and the thread index). */
  seed: number;
  /** 0 for the main thread. */
  thread: number;
  /** Start from these weights (copied) instead of the model's. */
  weights?: Float32Array;
  optimizerState?: OptimizerState;
  /** Use these arrays, as they are, for weights and optimizer state. */
  shared?: SharedState;
  /** The learning rate's schedule, if it is not constant. */
  decay?: LearningRateSchedule;
  /** false: no dropout. */
  dropout?: boolean;
}

/**
 * A model with its weights mirrored in one flat array and a flat optimizer:
 * what each training thread holds.
 */
export class Replica {
  readonly vars: tfl.Variable[];
  readonly weights: Float32Array;
  readonly optimizer: FlatOptimizer;
  private gradBuffer: Float32Array | undefined;

  constructor(
    readonly model: tfl.LayersModel,
    optimizer: OptimizerName,
    learningRate: number,
    private readonly opts: ReplicaOptions,
  ) {
    this.vars = trainableVariables(model);
    const { shared } = opts;
    this.weights = shared?.weights ?? (opts.weights ? Float32Array.from(opts.weights) : getFlatWeights(this.vars));
    if (shared || opts.weights) this.loadWeights();
    this.optimizer = makeOptimizer(optimizer, learningRate, this.weights.length, shared?.slots, opts.decay);
    const state = shared ? { name: optimizer, step: shared.step, slots: shared.slots } : opts.optimizerState;
    if (state) this.optimizer.setState(state);
  }

  /**
   * Gradients for training step `step` (which, with the seed and thread, fixes
   * the dropout masks), into `out` or a buffer reused from step to step.
   */
  gradients(
    step: number,
    xs: Float32Array,
    ys: Float32Array,
    n: number,
    out?: Float32Array,
  ): { loss: number; grads: Float32Array } {
    const target = out ?? (this.gradBuffer ??= new Float32Array(this.weights.length));
    const { seed, thread } = this.opts;
    return withDropoutSeeds(this.model, { seed, step, thread }, () =>
      flatGradients(this.model, this.vars, xs, ys, n, this.opts.dropout !== false, target),
    );
  }

  /** One optimizer update with these gradients, then the model's variables follow. */
  apply(grads: Float32Array): void {
    this.optimizer.apply(this.weights, grads);
    this.loadWeights();
  }

  /** Updates weights [from, to) only; the variables follow at `loadWeights`. */
  applyRange(grads: Float32Array, from: number, to: number): void {
    this.optimizer.apply(this.weights, grads, from, to);
  }

  /** Copies of the weights and the optimizer's state. */
  exportState(): EngineState {
    const state = this.optimizer.getState();
    return { weights: this.weights.slice(), optimizer: { ...state, slots: state.slots.map((s) => s.slice()) } };
  }

  /** The model's variables take the flat weights. */
  loadWeights(): void {
    setFlatWeights(this.vars, this.weights);
  }
}
