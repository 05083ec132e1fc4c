/**
 * TensorFlow's oneDNN kernels. TensorFlow turns them on by itself only on CPUs with AVX-512 VNNI or
 * BF16, AVX-VNNI or AMX; elsewhere (AVX2 CPUs) it falls back to Eigen, whose convolution gradients
 * trained the tutorial's CNN about 1.7× slower (docs/native.md). TensorFlow reads
 * TF_ENABLE_ONEDNN_OPTS once, so it is set before its libraries load; a value the user set is theirs.
 */
import { loadGraphApi } from '../native/graph-api';

export const ONEDNN_VARIABLE = 'TF_ENABLE_ONEDNN_OPTS';

let setByUs = false;

/** Asks TensorFlow for its oneDNN kernels unless the environment already says. Call before loading it. */
export function preferOneDnn(env: NodeJS.ProcessEnv = process.env): void {
  if (env[ONEDNN_VARIABLE] !== undefined) return;
  env[ONEDNN_VARIABLE] = '1';
  setByUs = true;
}

/** Which kernels TensorFlow runs here and why, in words; TensorFlow must be loaded. */
export function tensorflowKernels(env: NodeJS.ProcessEnv = process.env): string {
  const { api } = loadGraphApi();
  const { enabled, tensorflowDefault } = api?.oneDnn() ?? {};
  const value = env[ONEDNN_VARIABLE];
  const variable = `${ONEDNN_VARIABLE}=${value ?? ''}`;
  if (enabled === undefined)
    return `unknown (TensorFlow does not say; ${value === undefined ? 'no' : variable} in the environment)`;
  const kind = enabled ? 'oneDNN' : 'Eigen (oneDNN off)';
  if (enabled === tensorflowDefault) return `${kind}, TensorFlow's default on this CPU`;
  const byDefault = tensorflowDefault ? 'oneDNN' : 'Eigen';
  const who = setByUs ? 'mnist-deep set' : 'the environment sets';
  return `${kind}: TensorFlow's default on this CPU is ${byDefault}; ${who} ${variable}`;
}
