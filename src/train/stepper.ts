import type * as tfl from '@tensorflow/tfjs';
import { Batch } from '../data/dataset';
import { availableParallelism } from 'node:os';
import { BackendName, runsOwnParallelism } from '../backends/choices';
import { UserError } from '../errors';
import { Replica, getFlatWeights, trainableVariables } from './gradients';
import { ModelName } from '../models/names';
import { CosineDecay, OptimizerName } from './config';
import { OptimizerState } from './optimizers';

/** Trains on one batch and returns its loss. */
export interface Stepper {
  readonly threads: number;
  /** The main thread's replica: its weights and optimizer state are the run's. */
  readonly replica: Replica;
  step(batch: Batch, step: number): Promise<number>;
  close(): Promise<void>;
}

/** One thread. */
export class LocalStepper implements Stepper {
  readonly threads = 1;

  constructor(readonly replica: Replica) {}

  async step(batch: Batch, step: number): Promise<number> {
    const { loss, grads } = this.replica.gradients(step, batch.xs, batch.ys, batch.size);
    this.replica.apply(grads);
    return loss;
  }

  async close(): Promise<void> {}
}

export interface StepperOptions {
  backend: BackendName;
  model: ModelName;
  optimizer: OptimizerName;
  learningRate: number;
  decay?: CosineDecay;
  seed: number;
  batchSize: number;
  /** Undefined: choose (see `autoThreads`). */
  threads?: number;
  /** Resume from these (a checkpoint's). */
  weights?: Float32Array;
  optimizerState?: OptimizerState;
}

/**
 * Threads worth using: data-parallel replicas pay off for the CNN on the
 * single-threaded wasm and cpu backends; tfjs-node already uses every core,
 * and the softmax model is too small for the exchange to pay.
 */
export function autoThreads(opts: Pick<StepperOptions, 'backend' | 'model' | 'batchSize'>, cores = availableParallelism()): number {
  if (runsOwnParallelism(opts.backend) || opts.model === 'softmax') return 1;
  return Math.max(1, Math.min(cores, 4, opts.batchSize));
}

export async function makeStepper(model: tfl.LayersModel, opts: StepperOptions): Promise<Stepper> {
  const threads = opts.threads ?? autoThreads(opts);
  if (threads > 1 && opts.backend === 'webgpu') throw new UserError(`--threads ${threads}: the webgpu backend trains on the GPU from one thread`);
  if (threads > opts.batchSize) throw new UserError(`--threads ${threads} is more than the batch size ${opts.batchSize}`);
  if (threads === 1) {
    return new LocalStepper(new Replica(model, opts.optimizer, opts.learningRate, {
      seed: opts.seed, thread: 0, weights: opts.weights, optimizerState: opts.optimizerState, decay: opts.decay,
    }));
  }
  const { ParallelStepper, sharedState } = await import('./parallel');
  const shared = sharedState(opts.weights ?? getFlatWeights(trainableVariables(model)), opts.optimizer, opts.optimizerState);
  const replica = new Replica(model, opts.optimizer, opts.learningRate, { seed: opts.seed, thread: 0, shared, decay: opts.decay });
  return ParallelStepper.start(replica, threads, {
    backend: opts.backend,
    model: opts.model,
    optimizer: opts.optimizer,
    learningRate: opts.learningRate,
    decay: opts.decay,
    seed: opts.seed,
  });
}
