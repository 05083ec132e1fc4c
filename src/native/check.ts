/**
 * Run by `mnist-deep native` in a child process after building the binding:
 * loads the tensorflow backend and compares a convolution's gradients (input
 * and filter, SAME padding, as the CNN uses) with the wasm backend's. Prints
 * one JSON line: {"ok","tensorflow","maxDiff"} or {"ok":false,"error"}.
 */
import type * as tfl from '@tensorflow/tfjs';
import { loadTf, nativeTfVersion, useBackend } from '../backends';
import { errorMessage } from '../errors';

export const CHECK_TOLERANCE = 1e-4;

/** Deterministic inputs, the same on every backend. */
function values(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 32 - 0.5;
  }
  return out;
}

function convGradients(): Float32Array[] {
  const tf = loadTf();
  return tf.tidy(() => {
    const x = tf.tensor4d(values(2 * 14 * 14 * 3, 1), [2, 14, 14, 3]);
    const w = tf.tensor4d(values(5 * 5 * 3 * 8, 2), [5, 5, 3, 8]);
    const r = tf.tensor4d(values(2 * 14 * 14 * 8, 3), [2, 14, 14, 8]);
    const grads = tf.grads((a: tfl.Tensor, b: tfl.Tensor) =>
      tf.sum(tf.mul(tf.conv2d(a as tfl.Tensor4D, b as tfl.Tensor4D, 1, 'same'), r)),
    );
    return grads([x, w]).map((g) => g.dataSync() as Float32Array);
  });
}

function maxRelativeDiff(a: Float32Array[], b: Float32Array[]): number {
  let worst = 0;
  a.forEach((arr, k) => {
    let scale = 1;
    for (const v of b[k]) scale = Math.max(scale, Math.abs(v));
    for (let i = 0; i < arr.length; i++) worst = Math.max(worst, Math.abs(arr[i] - b[k][i]) / scale);
  });
  return worst;
}

async function main(): Promise<void> {
  try {
    await useBackend('tensorflow');
    const tensorflow = nativeTfVersion();
    const native = convGradients();
    await useBackend('wasm');
    const maxDiff = maxRelativeDiff(native, convGradients());
    const ok = maxDiff <= CHECK_TOLERANCE;
    process.stdout.write(
      JSON.stringify({
        ok,
        tensorflow,
        maxDiff,
        ...(ok
          ? {}
          : { error: `convolution gradients differ from wasm by ${maxDiff.toExponential(2)} (> ${CHECK_TOLERANCE})` }),
      }) + '\n',
    );
  } catch (err) {
    process.stdout.write(JSON.stringify({ ok: false, error: errorMessage(err).split('\n')[0] }) + '\n');
  }
}

if (require.main === module) void main();
