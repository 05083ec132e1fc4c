/**
 * A faster kernel for the tensorflow backend. tfjs-node implements `Step`
 * (the ReLU gradient's mask) with six TensorFlow ops over the whole tensor
 * (isNaN, greater, ones, fill, where, select): 15% of a CNN training step in
 * the profile (`npm run bench -- --profile`). For ReLU (alpha 0) Sign(Relu(x))
 * gives the same mask, 1 where x > 0 else 0, in two ops. Tested by the engine
 * contract tests against wasm.
 */
import type { KernelConfig, KernelFunc, Tensor, TensorInfo } from '@tensorflow/tfjs';
import { loadTf } from './tf';

interface NativeBackendLike {
  executeSingleInput(name: string, input: TensorInfo): Tensor;
}

let registered = false;

export function registerNativeTrainingKernels(): void {
  const tf = loadTf();
  const original = tf.getKernel('Step', 'tensorflow');
  if (registered || !original) return;
  const fallback = original.kernelFunc;
  const kernelFunc: KernelFunc = (args) => {
    const x = args.inputs.x as TensorInfo;
    if (args.attrs?.alpha !== 0 || x.dtype !== 'float32') return fallback(args);
    const backend = args.backend as unknown as NativeBackendLike;
    return tf.tidy(() => backend.executeSingleInput('Sign', backend.executeSingleInput('Relu', x)));
  };
  tf.unregisterKernel('Step', 'tensorflow');
  tf.registerKernel({ kernelName: 'Step', backendName: 'tensorflow', kernelFunc } satisfies KernelConfig);
  registered = true;
}
