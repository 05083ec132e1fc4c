/**
 * Evaluation on several threads. The split is cut into fixed batches
 * [0, b), [b, 2b), …, whatever the thread count, and whole batches are dealt
 * out to the threads; every batch is computed exactly as on one thread, so the
 * result does not depend on the number of threads.
 */
import type * as tfl from '@tensorflow/tfjs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { loadTf } from '../backends/tf';
import { BackendName } from '../backends/choices';
import { DataSplit } from '../data/dataset';
import { Evaluation, evaluate, predictClasses } from './evaluate';
import { accuracyOf, addToConfusion, emptyConfusion } from './metrics';

export interface EvalWorkerSpec {
  backend: BackendName;
  artifacts: tfl.io.ModelArtifacts;
}

export type ToEvalWorker = { id: number; xs: Float32Array; n: number };
export type FromEvalWorker = { type: 'ready' } | { type: 'predictions'; id: number; classes: Int32Array } | { type: 'error'; message: string };

/** Models too small to be worth a thread's start-up (the softmax model). */
const MIN_PARAMETERS = 100_000;

/** Threads for evaluation: tfjs-node already uses every core. */
export function evalThreads(backend: BackendName, cores = availableParallelism()): number {
  return backend === 'tensorflow' ? 1 : Math.max(1, Math.min(cores, 4));
}

/** The model as in-memory artifacts, to rebuild it in another thread. */
async function artifactsOf(model: tfl.LayersModel): Promise<tfl.io.ModelArtifacts> {
  const tf = loadTf();
  let saved: tfl.io.ModelArtifacts | undefined;
  await model.save(tf.io.withSaveHandler(async (a) => {
    saved = a;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  if (!saved) throw new Error('model could not be serialised');
  return saved;
}

class EvalWorker {
  private readonly worker: Worker;
  private readonly pending = new Map<number, (classes: Int32Array) => void>();
  readonly ready: Promise<void>;
  private failed: ((err: Error) => void)[] = [];

  constructor(spec: EvalWorkerSpec) {
    this.worker = new Worker(join(__dirname, 'eval-worker.js'), { workerData: spec });
    let started: () => void = () => {};
    this.ready = new Promise((resolve, reject) => {
      started = resolve;
      this.failed.push(reject);
    });
    this.worker.on('message', (m: FromEvalWorker) => {
      if (m.type === 'ready') started();
      else if (m.type === 'predictions') this.pending.get(m.id)?.(m.classes);
      else this.fail(new Error(`evaluation worker: ${m.message}`));
    });
    this.worker.on('error', (err) => this.fail(err));
  }

  private fail(err: Error): void {
    for (const f of this.failed) f(err);
    this.failed = [];
  }

  predict(id: number, xs: Float32Array, n: number): Promise<Int32Array> {
    return new Promise((resolve, reject) => {
      this.pending.set(id, resolve);
      this.failed.push(reject);
      this.worker.postMessage({ id, xs: xs.slice(), n } satisfies ToEvalWorker);
    });
  }

  close(): Promise<number> {
    return this.worker.terminate();
  }
}

/** Scores a whole split in fixed batches, on `threads` threads (this one included). */
export async function evaluateOnThreads(model: tfl.LayersModel, split: DataSplit, batchSize: number, threads: number, backend: BackendName): Promise<Evaluation> {
  const batches: Array<[number, number]> = [];
  for (let start = 0; start < split.count; start += batchSize) batches.push([start, Math.min(start + batchSize, split.count)]);
  const helpers = model.countParams() < MIN_PARAMETERS ? 0 : Math.min(threads, batches.length) - 1;
  if (helpers < 1) return evaluate(model, split, batchSize);
  const confusion = emptyConfusion();
  const artifacts = await artifactsOf(model);
  const workers = Array.from({ length: helpers }, () => new EvalWorker({ backend, artifacts }));
  try {
    await Promise.all(workers.map((w) => w.ready));
    const all = helpers + 1;
    // Batch i goes to thread i % all; thread 0 is this one.
    const remote = batches.map(([s, e], i) => (i % all === 0 ? undefined : workers[(i % all) - 1].predict(i, split.slice(s, e).xs, e - s)));
    const results: Int32Array[] = [];
    batches.forEach(([s, e], i) => {
      if (i % all === 0) results[i] = predictClasses(model, split.slice(s, e).xs, e - s);
    });
    for (let i = 0; i < batches.length; i++) if (remote[i]) results[i] = await (remote[i] as Promise<Int32Array>);
    batches.forEach(([s, e], i) => addToConfusion(confusion, split.labels.subarray(s, e), results[i]));
    return { accuracy: accuracyOf(confusion), confusion, examples: split.count };
  } finally {
    await Promise.all(workers.map((w) => w.close()));
  }
}
