/**
 * `createEngine` picks one of the four training engines for a backend: the
 * graph engine on tensorflow where `native` built the graph addon (else the
 * tensor engine), the webgpu step engine on webgpu, the flat-array engine (one
 * thread or data-parallel worker threads) on wasm and cpu; and what the
 * options ask for instead (`--engine`, `--threads`).
 */
import type * as tfl from '@tensorflow/tfjs';
import { availableParallelism } from 'node:os';
import { BackendName, runsOwnParallelism } from '../backends/choices';
import { UserError } from '../errors';
import { loadGraphApi } from '../native/graph-api';
import { threadCap, tooSmallForThreads } from '../threads/worth';
import { FlatEngine } from './flat';
import { Replica, getFlatWeights, trainableVariables } from './replica';
import type { EngineKind, EngineOptions, EngineState, TrainingEngine } from './types';

export type { EngineKind, EngineOptions, EngineState, StepResult, TrainingEngine } from './types';
export { ENGINE_KINDS, EngineRunError } from './types';

/**
 * Threads worth using: data-parallel replicas pay off for the CNN on the
 * single-threaded wasm and cpu backends; tfjs-node already uses every core,
 * and a model too small (../threads/worth.ts) stays on one.
 */
export function autoThreads(
  opts: Pick<EngineOptions, 'backend' | 'batchSize'> & { parameters: number },
  cores = availableParallelism(),
): number {
  if (runsOwnParallelism(opts.backend) || tooSmallForThreads(opts.parameters)) return 1;
  return Math.min(threadCap(cores), opts.batchSize);
}

/**
 * tensorflow runs the whole step as one TensorFlow graph when `native` built
 * the graph addon (else the tensor engine); webgpu replays one prepared step
 * of our own kernels (webgpu-step.ts; weights and Adam's state stay on the
 * GPU; a model it cannot build trains on the tensor engine); wasm and cpu
 * train faster with the optimizer in one JavaScript pass over shared arrays,
 * across threads.
 */
export function engineKindFor(backend: BackendName): EngineKind {
  if (backend === 'tensorflow' && loadGraphApi().api) return 'graph';
  if (backend === 'webgpu') return 'webgpu-step';
  return runsOwnParallelism(backend) ? 'tensor' : 'flat';
}

/** The engine for `options`, training `model`, from `initialState` (a checkpoint's) or the model's own weights. */
export async function createEngine(
  model: tfl.LayersModel,
  options: EngineOptions,
  initialState?: EngineState,
): Promise<TrainingEngine> {
  const auto = engineKindFor(options.backend);
  // More than one thread asked for: the flat engine's worker threads, except on the graph engine (TensorFlow's threads).
  const kind = options.engine ?? ((options.threads ?? 1) > 1 && auto !== 'graph' ? 'flat' : auto);
  if (initialState && initialState.optimizer.name !== options.optimizer) {
    throw new UserError(`the checkpoint's optimizer is ${initialState.optimizer.name}, not ${options.optimizer}`);
  }
  if (kind === 'graph' || kind === 'webgpu-step') {
    const backend = kind === 'graph' ? 'tensorflow' : 'webgpu';
    if (options.backend !== backend)
      throw new UserError(`the ${kind} engine trains on the ${backend} backend, not ${options.backend}`);
    if (kind === 'webgpu-step' && (options.threads ?? 1) > 1)
      throw new UserError(`--threads ${options.threads}: the webgpu backend trains on the GPU from one thread`);
    const { UnsupportedLayerError } = await import('./layer-settings');
    try {
      if (kind === 'webgpu-step')
        return await (await import('./webgpu-step')).WebGpuStepEngine.create(model, options, initialState);
      return await (await import('./graph')).GraphEngine.create(model, options, initialState);
    } catch (err) {
      // Chosen, not asked for: a model the graph or step builder cannot build trains on the tensor engine.
      if (options.engine || !(err instanceof UnsupportedLayerError)) throw err;
      const { TensorEngine } = await import('./tensor');
      return Object.assign(new TensorEngine(model, options, initialState), {
        note: `${err.message}; using the tensor engine`,
      });
    }
  }
  if (kind === 'tensor') {
    if ((options.threads ?? 1) > 1)
      throw new UserError(`--threads ${options.threads}: the tensor engine trains from one thread`);
    const { TensorEngine } = await import('./tensor');
    return new TensorEngine(model, options, initialState);
  }
  const threads = options.threads ?? autoThreads({ ...options, parameters: model.countParams() });
  if (threads > 1 && options.backend === 'webgpu')
    throw new UserError(`--threads ${threads}: the webgpu backend trains on the GPU from one thread`);
  if (threads > options.batchSize)
    throw new UserError(`--threads ${threads} is more than the batch size ${options.batchSize}`);
  const replicaOptions = { seed: options.seed, thread: 0, decay: options.decay, dropout: options.dropout };
  if (threads === 1) {
    return new FlatEngine(
      new Replica(model, options.optimizer, options.learningRate, {
        ...replicaOptions,
        weights: initialState?.weights,
        optimizerState: initialState?.optimizer,
      }),
    );
  }
  const { ParallelFlatEngine, sharedState } = await import('./flat-parallel');
  const shared = sharedState(
    initialState?.weights ?? getFlatWeights(trainableVariables(model)),
    options.optimizer,
    initialState?.optimizer,
  );
  const replica = new Replica(model, options.optimizer, options.learningRate, { ...replicaOptions, shared });
  return ParallelFlatEngine.start(replica, threads, {
    backend: options.backend,
    model: options.model,
    optimizer: options.optimizer,
    learningRate: options.learningRate,
    decay: options.decay,
    seed: options.seed,
    dropout: options.dropout,
  });
}
