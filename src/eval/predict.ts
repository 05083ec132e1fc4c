import type * as tfl from '@tensorflow/tfjs';
import { loadTf } from '../backends/tf';
import { IMAGE_SIZE } from '../data/shapes';

/** Predicted classes for a batch of flat images (dropout off). */
export function predictClasses(model: tfl.LayersModel, xs: Float32Array, n: number): Int32Array {
  const tf = loadTf();
  return tf.tidy(() => {
    const x = tf.tensor2d(xs, [n, IMAGE_SIZE]);
    const logits = model.predict(x, { batchSize: n }) as tfl.Tensor;
    return logits.argMax(-1).dataSync() as Int32Array;
  });
}

/** The fraction of `labels` that the model predicts. */
export function accuracyOn(model: tfl.LayersModel, xs: Float32Array, labels: ArrayLike<number>): number {
  const predicted = predictClasses(model, xs, labels.length);
  let right = 0;
  for (let i = 0; i < labels.length; i++) if (predicted[i] === labels[i]) right++;
  return labels.length ? right / labels.length : 0;
}
