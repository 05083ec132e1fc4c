/**
 * Class probabilities for predict, the report and the page: softmax of the model's logits (or its
 * outputs as they are, when its last layer already applies softmax), in batches, no tensor kept.
 */
import type * as tfl from '@tensorflow/tfjs';
import { loadTf } from '../backends/tf';
import { IMAGE_SIZE, NUM_CLASSES } from '../data/shapes';
import { GraphInference } from '../engine/graph/inference';
import { endsInSoftmax, requireTfjsRunnable } from '../models/runnable';

/** Class probabilities (softmax of the model's logits, dropout off) for n flat images: n x 10, row-major. */
export async function predictProbabilities(
  model: tfl.LayersModel,
  xs: Float32Array,
  n: number,
  batchSize = 256,
): Promise<Float32Array> {
  const tf = loadTf();
  const out = new Float32Array(n * NUM_CLASSES);
  // On tensorflow, one TensorFlow graph run per batch (see engine/graph/inference.ts).
  const graph = tf.getBackend() === 'tensorflow' ? await GraphInference.create(model) : undefined;
  if (graph) {
    try {
      for (let start = 0; start < n; start += batchSize) {
        const size = Math.min(batchSize, n - start);
        out.set(await graph.probabilities(xs.subarray(start * IMAGE_SIZE), size), start * NUM_CLASSES);
      }
      return out;
    } finally {
      graph.close();
    }
  }
  requireTfjsRunnable(model, tf.getBackend());
  // Softmax once: a model whose last layer applies it already gives probabilities.
  const softmaxInside = endsInSoftmax(model);
  for (let start = 0; start < n; start += batchSize) {
    const size = Math.min(batchSize, n - start);
    const probs = tf.tidy(() => {
      const x = tf.tensor2d(xs.subarray(start * IMAGE_SIZE, (start + size) * IMAGE_SIZE), [size, IMAGE_SIZE]);
      const y = model.predict(x, { batchSize: size }) as tfl.Tensor2D;
      return softmaxInside ? y : tf.softmax(y);
    });
    try {
      // data(), not dataSync(): webgpu in Node has no synchronous read-back.
      out.set((await probs.data()) as Float32Array, start * NUM_CLASSES);
    } finally {
      probs.dispose();
    }
  }
  return out;
}

export interface Ranked {
  class: number;
  probability: number;
}

/** The `top` most probable classes of row `i`, best first. */
export function topClasses(probs: Float32Array, i: number, top: number): Ranked[] {
  const row = Array.from(probs.subarray(i * NUM_CLASSES, (i + 1) * NUM_CLASSES), (probability, c) => ({
    class: c,
    probability,
  }));
  return row.sort((a, b) => b.probability - a.probability || a.class - b.class).slice(0, top);
}
