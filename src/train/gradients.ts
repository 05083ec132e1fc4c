import type * as tfl from '@tensorflow/tfjs';
import { loadTf } from '../backends';
import { crossEntropy } from '../models';

/** The model's trainable variables, in a fixed order. */
export function trainableVariables(model: tfl.LayersModel): tfl.Variable[] {
  return model.trainableWeights.map((w) => w.read() as tfl.Variable);
}

export function parameterCount(vars: tfl.Variable[]): number {
  return vars.reduce((sum, v) => sum + v.size, 0);
}

/**
 * Loss and gradients of the mean cross-entropy over a batch, the gradients
 * flattened into one array in `trainableVariables` order (to send between threads).
 */
export function flatGradients(
  model: tfl.LayersModel, vars: tfl.Variable[], xs: Float32Array, ys: Float32Array, n: number,
  training = true, out: Float32Array = new Float32Array(parameterCount(vars)),
): { loss: number; grads: Float32Array } {
  const tf = loadTf();
  const { value, grads } = tf.tidy(() => {
    const x = tf.tensor2d(xs, [n, 784]);
    const y = tf.tensor2d(ys, [n, 10]);
    return tf.variableGrads(() => crossEntropy(y, model.apply(x, { training }) as tfl.Tensor), vars);
  });
  let offset = 0;
  for (const v of vars) {
    out.set(grads[v.name].dataSync() as Float32Array, offset);
    offset += v.size;
  }
  const loss = value.dataSync()[0];
  tf.dispose([value, ...Object.values(grads)]);
  return { loss, grads: out };
}

/** Applies flattened gradients with the optimizer. */
export function applyFlatGradients(optimizer: tfl.Optimizer, vars: tfl.Variable[], flat: Float32Array): void {
  const tf = loadTf();
  tf.tidy(() => {
    let offset = 0;
    const named: Record<string, tfl.Tensor> = {};
    for (const v of vars) {
      named[v.name] = tf.tensor(flat.subarray(offset, offset + v.size), v.shape);
      offset += v.size;
    }
    optimizer.applyGradients(named);
  });
}

/** Sets every variable from one flat array (as `flatGradients` orders them). */
export function setFlatWeights(vars: tfl.Variable[], flat: Float32Array): void {
  const tf = loadTf();
  tf.tidy(() => {
    let offset = 0;
    for (const v of vars) {
      v.assign(tf.tensor(flat.subarray(offset, offset + v.size), v.shape));
      offset += v.size;
    }
  });
}

export function getFlatWeights(vars: tfl.Variable[]): Float32Array {
  const flat = new Float32Array(parameterCount(vars));
  let offset = 0;
  for (const v of vars) {
    flat.set(v.dataSync() as Float32Array, offset);
    offset += v.size;
  }
  return flat;
}
