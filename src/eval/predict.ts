/**
 * A model's predicted classes and its accuracy on a batch, with dropout off:
 * the small helpers that the training loop's log line, eval and predict
 * share, with the asynchronous read that webgpu in Node needs.
 */
import type * as tfl from '@tensorflow/tfjs';
import { loadTf } from '../backends/tf';
import { IMAGE_SIZE } from '../data/shapes';

/** The predicted classes of a batch of flat images (dropout off), as a tensor. */
function classesTensor(model: tfl.LayersModel, xs: Float32Array, n: number): tfl.Tensor {
  const tf = loadTf();
  return tf.tidy(() => {
    const x = tf.tensor2d(xs, [n, IMAGE_SIZE]);
    const logits = model.predict(x, { batchSize: n }) as tfl.Tensor;
    return logits.argMax(-1);
  });
}

/** Predicted classes for a batch of flat images (dropout off). Not on webgpu: see `readClasses`. */
export function predictClasses(model: tfl.LayersModel, xs: Float32Array, n: number): Int32Array {
  const classes = classesTensor(model, xs, n);
  try {
    return classes.dataSync() as Int32Array;
  } finally {
    classes.dispose();
  }
}

/**
 * Predicted classes, read asynchronously: on the webgpu backend in Node that is
 * the only way to read a GPU tensor (its dataSync needs an OffscreenCanvas).
 */
export async function readClasses(model: tfl.LayersModel, xs: Float32Array, n: number): Promise<Int32Array> {
  const classes = classesTensor(model, xs, n);
  try {
    return (await classes.data()) as Int32Array;
  } finally {
    classes.dispose();
  }
}

/** The fraction of `labels` that the model predicts. */
export async function accuracyOn(model: tfl.LayersModel, xs: Float32Array, labels: ArrayLike<number>): Promise<number> {
  const predicted = await readClasses(model, xs, labels.length);
  let right = 0;
  for (let i = 0; i < labels.length; i++) if (predicted[i] === labels[i]) right++;
  return labels.length ? right / labels.length : 0;
}
