/**
 * Data-parallel training on several threads. The main thread and each worker
 * thread hold a full replica of the model and of the optimizer. Each step the
 * batch is split into one part per thread; each thread writes the gradients
 * of its part into its own shared buffer; then every thread sums all buffers
 * in the same order, weighted by part sizes (giving the gradient of the whole
 * batch's mean loss), and applies the sum with its optimizer. Same inputs,
 * same float operations: the replicas stay bit-identical.
 *
 * Buffers are double-buffered by step parity, so a thread may write step s's
 * gradients while a slower one still reads step s-1's.
 */
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { BackendName } from '../backends/choices';
import { Batch, IMAGE_SIZE } from '../data/dataset';
import { ModelName } from '../models/names';
import { OptimizerName } from './config';
import { Replica } from './gradients';
import { OptimizerState } from './optimizers';
import { Stepper } from './stepper';

export interface ReplicaSpec {
  backend: BackendName;
  model: ModelName;
  optimizer: OptimizerName;
  learningRate: number;
  /** Seeds dropout masks (with the step and `index`). */
  seed: number;
  /** This worker's index in `grads` (the main thread is 0). */
  index: number;
  weights: Float32Array;
  optimizerState: OptimizerState;
  /** grads[thread][parity]: shared gradient buffers. */
  grads: SharedArrayBuffer[][];
}

/** The examples of one step: `counts[t]` for thread t, in thread order. */
export type ToWorker =
  | { type: 'batch'; step: number; xs: Float32Array; ys: Float32Array; counts: number[] }
  | { type: 'apply'; step: number; counts: number[] };

export type FromWorker =
  | { type: 'ready' }
  | { type: 'grads'; loss: number }
  | { type: 'error'; message: string };

/** Splits n examples into `parts` nearly equal counts (the first ones larger). */
export function splitCounts(n: number, parts: number): number[] {
  return Array.from({ length: parts }, (_, i) => Math.floor(n / parts) + (i < n % parts ? 1 : 0));
}

/** Σ_t (counts[t]/total)·grads[t], in thread order, into `out`. */
export function combineGradients(grads: Float32Array[], counts: number[], out: Float32Array): Float32Array {
  const total = counts.reduce((a, b) => a + b, 0);
  const w0 = counts[0] / total;
  const g0 = grads[0];
  for (let j = 0; j < out.length; j++) out[j] = w0 * g0[j];
  for (let t = 1; t < grads.length; t++) {
    const w = counts[t] / total;
    const g = grads[t];
    for (let j = 0; j < out.length; j++) out[j] += w * g[j];
  }
  return out;
}

/** A worker thread holding one replica; its messages are queued until read. */
class WorkerReplica {
  private readonly worker: Worker;
  private readonly inbox: FromWorker[] = [];
  private waiting: { resolve: (m: FromWorker) => void; reject: (e: Error) => void } | undefined;
  private failure: Error | undefined;

  constructor(spec: ReplicaSpec) {
    this.worker = new Worker(join(__dirname, 'worker.js'), { workerData: spec });
    this.worker.on('message', (m: FromWorker) => {
      if (m.type === 'error') return this.fail(new Error(`training worker: ${m.message}`));
      const w = this.waiting;
      this.waiting = undefined;
      if (w) w.resolve(m);
      else this.inbox.push(m);
    });
    this.worker.on('error', (err) => this.fail(err));
    this.worker.on('exit', (code) => this.fail(new Error(`training worker exited (code ${code})`)));
  }

  private fail(err: Error): void {
    this.failure ??= err;
    this.waiting?.reject(err);
    this.waiting = undefined;
  }

  /** Resolves with the worker's next message (already queued or still to come). */
  next(): Promise<FromWorker> {
    const queued = this.inbox.shift();
    if (queued) return Promise.resolve(queued);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => (this.waiting = { resolve, reject }));
  }

  send(message: ToWorker): void {
    this.worker.postMessage(message);
  }

  async close(): Promise<void> {
    this.worker.removeAllListeners('exit');
    await this.worker.terminate();
  }
}

export class ParallelStepper implements Stepper {
  private readonly views: Float32Array[][];
  private readonly sum: Float32Array;

  private constructor(
    readonly replica: Replica,
    private readonly workers: WorkerReplica[],
    buffers: SharedArrayBuffer[][],
  ) {
    this.views = buffers.map((pair) => pair.map((b) => new Float32Array(b)));
    this.sum = new Float32Array(replica.weights.length);
  }

  get threads(): number {
    return this.workers.length + 1;
  }

  /** Starts `threads - 1` workers, each with a copy of the replica's current weights. */
  static async start(replica: Replica, threads: number, spec: Omit<ReplicaSpec, 'weights' | 'optimizerState' | 'index' | 'grads'>): Promise<ParallelStepper> {
    const bytes = replica.weights.length * 4;
    const grads = Array.from({ length: threads }, () => [new SharedArrayBuffer(bytes), new SharedArrayBuffer(bytes)]);
    const workers = Array.from({ length: threads - 1 }, (_, i) => new WorkerReplica({
      ...spec, index: i + 1, weights: replica.weights, optimizerState: replica.optimizer.getState(), grads,
    }));
    try {
      for (const w of workers) {
        const ready = await w.next();
        if (ready.type !== 'ready') throw new Error('training worker did not start');
      }
    } catch (err) {
      await Promise.all(workers.map((w) => w.close()));
      throw err;
    }
    return new ParallelStepper(replica, workers, grads);
  }

  async step(batch: Batch, step: number): Promise<number> {
    const counts = splitCounts(batch.size, this.threads);
    if (counts[counts.length - 1] === 0) throw new Error(`a batch of ${batch.size} cannot be split over ${this.threads} threads`);
    const parity = step % 2;
    const replies = this.workers.map((w) => w.next());
    // Workers take the later parts; this thread the first.
    const own = counts[0];
    for (const w of this.workers) w.send({ type: 'batch', step, xs: batch.xs.slice(own * IMAGE_SIZE), ys: batch.ys.slice(own * 10), counts });
    const mine = this.replica.gradients(step, batch.xs.subarray(0, own * IMAGE_SIZE), batch.ys.subarray(0, own * 10), own, this.views[0][parity]);
    let loss = mine.loss * (own / batch.size);
    for (let i = 0; i < replies.length; i++) {
      const theirs = await replies[i];
      if (theirs.type !== 'grads') throw new Error(`training worker sent ${theirs.type}, expected grads`);
      loss += theirs.loss * (counts[i + 1] / batch.size);
    }
    for (const w of this.workers) w.send({ type: 'apply', step, counts });
    this.replica.apply(combineGradients(this.views.map((v) => v[parity]), counts, this.sum));
    return loss;
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.close()));
  }
}
