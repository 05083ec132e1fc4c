import type * as tfl from '@tensorflow/tfjs';
import { loadTf } from '../backends/tf';
import { DataSplit } from '../data/dataset';
import { IMAGE_SIZE } from '../data/shapes';
import { ConfusionMatrix, accuracyOf, addToConfusion, emptyConfusion } from './metrics';

export interface Evaluation {
  accuracy: number;
  confusion: ConfusionMatrix;
  examples: number;
}

/** Predicted classes for a batch of flat images (dropout off). */
export function predictClasses(model: tfl.LayersModel, xs: Float32Array, n: number): Int32Array {
  const tf = loadTf();
  return tf.tidy(() => {
    const x = tf.tensor2d(xs, [n, IMAGE_SIZE]);
    const logits = model.predict(x, { batchSize: n }) as tfl.Tensor;
    return logits.argMax(-1).dataSync() as Int32Array;
  });
}

/** Scores a whole split in batches (never one tensor for all of it). */
export function evaluate(model: tfl.LayersModel, split: DataSplit, batchSize = 1000): Evaluation {
  const confusion = emptyConfusion();
  for (let start = 0; start < split.count; start += batchSize) {
    const end = Math.min(start + batchSize, split.count);
    const batch = split.slice(start, end);
    addToConfusion(confusion, batch.labels, predictClasses(model, batch.xs, batch.size));
  }
  return { accuracy: accuracyOf(confusion), confusion, examples: split.count };
}
