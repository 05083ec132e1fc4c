/**
 * Data-parallel training on several threads. The main thread and each worker
 * thread hold a replica of the model; the flat weights and the optimizer's
 * state live once, in shared memory. Each step:
 *
 * 1. the batch is split into one part per thread; each thread writes the
 *    gradients of its part into its own shared buffer;
 * 2. once all are written, each thread takes its own range of the weights,
 *    sums the gradients there in thread order, weighted by part sizes (the
 *    gradient of the whole batch's mean loss), and updates weights and
 *    optimizer state in that range;
 * 3. once all ranges are done, every thread loads the new weights into its
 *    model before computing the next gradients.
 *
 * Gradient buffers alternate with the step's parity, so a thread may write
 * step s's gradients while a slower one still reads step s-1's.
 */
import { join } from 'node:path';
import { Batch } from '../data/batches';
import { IMAGE_SIZE, NUM_CLASSES } from '../data/shapes';
import { WorkerChannel } from '../threads/channel';
import { OptimizerName, OptimizerState, slotCount } from '../optim';
import { Replica, SharedState } from './replica';
import type { EngineOptions, EngineState, StepResult, TrainingEngine } from './types';

/** What a worker needs to build its replica: the run's settings (seed: dropout masks, with `index`) and the shared memory. */
export interface ReplicaSpec extends Pick<
  EngineOptions,
  'backend' | 'model' | 'optimizer' | 'learningRate' | 'decay' | 'seed'
> {
  /** false: no dropout. */
  dropout?: boolean;
  /** This worker's index in `grads` (the main thread is 0). */
  index: number;
  threads: number;
  /** The shared weights, optimizer slots, and the optimizer's step count. */
  weights: SharedArrayBuffer;
  slots: SharedArrayBuffer[];
  optimizerStep: number;
  /** grads[thread][parity]: shared gradient buffers. */
  grads: SharedArrayBuffer[][];
}

/** The examples of one step: `counts[t]` for thread t, in thread order. */
export type ToWorker =
  | { type: 'batch'; step: number; xs: Float32Array; ys: Float32Array; counts: number[] }
  | { type: 'apply'; step: number; counts: number[] };

export type FromWorker = { type: 'ready' } | { type: 'grads'; loss: number } | { type: 'applied' };

/** Splits n examples into `parts` nearly equal counts (the first ones larger). */
export function splitCounts(n: number, parts: number): number[] {
  return Array.from({ length: parts }, (_, i) => Math.floor(n / parts) + (i < n % parts ? 1 : 0));
}

/** Thread t's range [from, to) of n weights. */
export function shardRange(n: number, threads: number, t: number): [number, number] {
  const size = Math.ceil(n / threads);
  return [Math.min(n, t * size), Math.min(n, (t + 1) * size)];
}

/** Σ_t (counts[t]/total)·grads[t], in thread order, into `out[from..to)`. */
export function combineGradients(
  grads: Float32Array[],
  counts: number[],
  out: Float32Array,
  from = 0,
  to = out.length,
): Float32Array {
  const total = counts.reduce((a, b) => a + b, 0);
  const w0 = counts[0] / total;
  const g0 = grads[0];
  for (let j = from; j < to; j++) out[j] = w0 * g0[j];
  for (let t = 1; t < grads.length; t++) {
    const w = counts[t] / total;
    const g = grads[t];
    for (let j = from; j < to; j++) out[j] += w * g[j];
  }
  return out;
}

/** Weights and optimizer slots in shared memory, holding `weights` and `state`. */
export function sharedState(weights: Float32Array, optimizer: OptimizerName, state?: OptimizerState): SharedState {
  const shared = (src?: Float32Array) => {
    const a = new Float32Array(new SharedArrayBuffer(weights.length * 4));
    if (src) a.set(src);
    return a;
  };
  return {
    weights: shared(weights),
    slots: Array.from({ length: slotCount(optimizer) }, (_, i) => shared(state?.slots[i])),
    step: state?.step ?? 0,
  };
}

/** A worker thread holding one replica. */
type WorkerReplica = WorkerChannel<ToWorker, FromWorker>;

/** The flat-array engine on several threads (see the top of this file). */
export class ParallelFlatEngine implements TrainingEngine {
  readonly kind = 'flat';
  private readonly views: Float32Array[][];
  private readonly sum: Float32Array;
  private readonly range: [number, number];

  private constructor(
    private readonly replica: Replica,
    private readonly workers: WorkerReplica[],
    buffers: SharedArrayBuffer[][],
  ) {
    this.views = buffers.map((pair) => pair.map((b) => new Float32Array(b)));
    this.sum = new Float32Array(replica.weights.length);
    this.range = shardRange(replica.weights.length, this.threads, 0);
  }

  get model() {
    return this.replica.model;
  }

  get threads(): number {
    return this.workers.length + 1;
  }

  /**
   * Starts `threads - 1` workers around a replica whose weights and optimizer
   * slots are in shared memory (see `sharedState`).
   */
  static async start(
    replica: Replica,
    threads: number,
    spec: Pick<ReplicaSpec, 'backend' | 'model' | 'optimizer' | 'learningRate' | 'decay' | 'seed' | 'dropout'>,
  ): Promise<ParallelFlatEngine> {
    const state = replica.optimizer.getState();
    if (!(replica.weights.buffer instanceof SharedArrayBuffer))
      throw new Error('parallel training needs the replica built on sharedState()');
    const bytes = replica.weights.length * 4;
    const grads = Array.from({ length: threads }, () => [new SharedArrayBuffer(bytes), new SharedArrayBuffer(bytes)]);
    const workers = Array.from(
      { length: threads - 1 },
      (_, i): WorkerReplica =>
        new WorkerChannel(
          join(__dirname, 'worker.js'),
          {
            ...spec,
            index: i + 1,
            threads,
            weights: replica.weights.buffer as SharedArrayBuffer,
            slots: state.slots.map((s) => s.buffer as SharedArrayBuffer),
            optimizerStep: state.step,
            grads,
          } satisfies ReplicaSpec,
          'training worker',
        ),
    );
    try {
      for (const w of workers) await w.expect('ready');
    } catch (err) {
      await Promise.all(workers.map((w) => w.close()));
      throw err;
    }
    return new ParallelFlatEngine(replica, workers, grads);
  }

  async step(batch: Batch, step: number): Promise<StepResult> {
    const counts = splitCounts(batch.size, this.threads);
    if (counts[counts.length - 1] === 0)
      throw new Error(`a batch of ${batch.size} cannot be split over ${this.threads} threads`);
    const parity = step % 2;
    // 1. Gradients: workers take the later parts of the batch, this thread the first.
    const own = counts[0];
    const gradsDone = this.workers.map((w) => w.expect('grads'));
    for (const w of this.workers)
      w.send({
        type: 'batch',
        step,
        xs: batch.xs.slice(own * IMAGE_SIZE),
        ys: batch.ys.slice(own * NUM_CLASSES),
        counts,
      });
    const mine = this.replica.gradients(
      step,
      batch.xs.subarray(0, own * IMAGE_SIZE),
      batch.ys.subarray(0, own * NUM_CLASSES),
      own,
      this.views[0][parity],
    );
    let loss = mine.loss * (own / batch.size);
    (await Promise.all(gradsDone)).forEach((g, i) => (loss += g.loss * (counts[i + 1] / batch.size)));
    // 2. Each thread updates its range of the shared weights.
    const applied = this.workers.map((w) => w.expect('applied'));
    for (const w of this.workers) w.send({ type: 'apply', step, counts });
    const [from, to] = this.range;
    this.replica.applyRange(
      combineGradients(
        this.views.map((v) => v[parity]),
        counts,
        this.sum,
        from,
        to,
      ),
      from,
      to,
    );
    await Promise.all(applied);
    // 3. This model follows; workers load theirs at the start of the next step.
    this.replica.loadWeights();
    return { loss };
  }

  async exportState(): Promise<EngineState> {
    return this.replica.exportState();
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.close()));
  }
}
