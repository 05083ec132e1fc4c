/**
 * Scoring a model on a data split. The split is cut into fixed batches
 * [0, b), [b, 2b), …; with several threads, whole batches are dealt out to
 * worker threads and every batch is computed exactly as on one thread, so the
 * result does not depend on the number of threads.
 */
import type * as tfl from '@tensorflow/tfjs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { type BackendName, runsOwnParallelism } from '../backends/choices';
import { loadTf } from '../backends/tf';
import { DataSplit } from '../data/batches';
import { GraphInference } from '../engine/graph/inference';
import { requireTfjsRunnable } from '../models/runnable';
import { WorkerChannel } from '../threads/channel';
import { threadCap, tooSmallForThreads } from '../threads/worth';
import { ConfusionMatrix, accuracyOf, addToConfusion, emptyConfusion } from './metrics';
import { readClasses } from './predict';

export interface Evaluation {
  accuracy: number;
  confusion: ConfusionMatrix;
  examples: number;
  /** The predicted class of every example, in order (the report finds the wrong ones here). */
  predictions: Int32Array;
  /** Examples each thread scored, this one first: what `threads` changes (the results are the same). */
  perThread: number[];
}

export interface EvaluateOptions {
  /** Examples per batch (the run's --eval-batch-size; its default is in train/settings.ts). */
  batchSize: number;
  /** Threads, this one included (default 1). */
  threads?: number;
  /** The backend for worker threads (default: the active one). */
  backend?: BackendName;
  /** Examples scored so far, after each batch. */
  onProgress?: (done: number, total: number) => void;
}

export interface EvalWorkerSpec {
  backend: BackendName;
  artifacts: tfl.io.ModelArtifacts;
}

export type ToEvalWorker = { xs: Float32Array; n: number };
export type FromEvalWorker = { type: 'ready' } | { type: 'predictions'; classes: Int32Array };

/** Threads for evaluation: tfjs-node already uses every core, webgpu the GPU. */
export function evalThreads(backend: BackendName, cores = availableParallelism()): number {
  return runsOwnParallelism(backend) ? 1 : threadCap(cores);
}

/** The model as in-memory artifacts, to rebuild it in another thread. */
async function artifactsOf(model: tfl.LayersModel): Promise<tfl.io.ModelArtifacts> {
  const tf = loadTf();
  let saved: tfl.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      saved = a;
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(a) };
    }),
  );
  if (!saved) throw new Error('model could not be serialised');
  return saved;
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

/** Scores a whole split in batches (never one tensor for all of it), on one or more threads. */
export async function evaluate(model: tfl.LayersModel, split: DataSplit, opts: EvaluateOptions): Promise<Evaluation> {
  const { batchSize } = opts;
  const batches: Array<[number, number]> = [];
  for (let start = 0; start < split.count; start += batchSize)
    batches.push([start, Math.min(start + batchSize, split.count)]);
  const helpers = tooSmallForThreads(model.countParams())
    ? 0
    : Math.max(0, Math.min(opts.threads ?? 1, batches.length) - 1);
  const results: Int32Array[] = [];
  let done = 0;
  // Worker start-up takes a while: say at once that evaluation has begun.
  opts.onProgress?.(0, split.count);
  const scored = (i: number, classes: Int32Array) => {
    results[i] = classes;
    done += classes.length;
    opts.onProgress?.(done, split.count);
  };
  // Batch i goes to thread i % all; thread 0 is this one.
  const all = helpers + 1;
  const batchesOf = (t: number) => batches.map((_, i) => i).filter((i) => i % all === t);
  const workers: WorkerChannel<ToEvalWorker, FromEvalWorker>[] = [];
  // On tensorflow, one TensorFlow graph run per batch (see engine/graph/inference.ts).
  const graph = loadTf().getBackend() === 'tensorflow' ? await GraphInference.create(model) : undefined;
  if (!graph) requireTfjsRunnable(model, loadTf().getBackend());
  const classify = (xs: Float32Array, n: number) => (graph ? graph.classes(xs, n) : readClasses(model, xs, n));
  try {
    if (helpers > 0) {
      const spec: EvalWorkerSpec = {
        backend: opts.backend ?? (loadTf().getBackend() as BackendName),
        artifacts: await artifactsOf(model),
      };
      for (let k = 0; k < helpers; k++)
        workers.push(new WorkerChannel(join(__dirname, 'worker.js'), spec, 'evaluation worker'));
      await Promise.all(workers.map((w) => w.expect('ready')));
    }
    const remote = Promise.all(
      workers.map(async (w, k) => {
        const mine = batchesOf(k + 1);
        for (const i of mine) {
          const xs = split.slice(...batches[i]).xs.slice();
          w.send({ xs, n: batches[i][1] - batches[i][0] }, [xs.buffer]);
        }
        for (const i of mine) scored(i, (await w.expect('predictions')).classes);
      }),
    );
    // Handled below; this only keeps a worker's early failure from counting as unhandled meanwhile.
    remote.catch(() => {});
    for (const i of batchesOf(0)) {
      const [s, e] = batches[i];
      scored(i, await classify(split.slice(s, e).xs, e - s));
      // Lets progress output and signal handlers run between batches.
      await nextTurn();
    }
    await remote;
  } finally {
    graph?.close();
    await Promise.all(workers.map((w) => w.close()));
  }
  const confusion = emptyConfusion();
  const predictions = new Int32Array(split.count);
  const perThread = new Array<number>(all).fill(0);
  batches.forEach(([s, e], i) => {
    addToConfusion(confusion, split.labels.subarray(s, e), results[i]);
    predictions.set(results[i], s);
    perThread[i % all] += e - s;
  });
  return { accuracy: accuracyOf(confusion), confusion, examples: split.count, predictions, perThread };
}
