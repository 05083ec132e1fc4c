/**
 * Our kernels for TF.js's WebGPU backend: Conv2DBackpropFilter (webgpu-conv.ts)
 * and, here, a fused Adam for the tensor engine.
 */
import type * as tfl from '@tensorflow/tfjs';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import type { WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import { loadTf } from './tf';
import { useOwnConv2DBackpropFilter } from './webgpu-conv';
import type { Uniform, WebGpuBackend } from './webgpu-program';

/** Registers our kernels for the webgpu backend (`own` false: TF.js's again, for comparisons). */
export function useOwnWebGpuKernels(own = true): void {
  registerAdamKernels();
  ownAdam = own;
  useOwnConv2DBackpropFilter(own);
}

/**
 * TF 1's Adam for one variable in three kernels instead of about twelve
 * element-wise ones: at batch 50 a step is bound by the cost of queueing its
 * kernels from JavaScript (about 240 of them, 17 of a 21.8 ms step on an H200).
 */
function elementwise(name: string, inputs: string[], uniforms: string, body: string, shape: number[]): WebGPUProgram {
  const size = shape.reduce((a, b) => a * b, 1);
  return {
    variableNames: inputs,
    outputShape: shape,
    shaderKey: name,
    dispatchLayout: { x: shape.map((_, i) => i) },
    dispatch: [Math.ceil(size / 64), 1, 1],
    workgroupSize: [64, 1, 1],
    size: true,
    uniforms,
    getUserCode: () => `
      fn main(index : i32) {
        if (index < uniforms.size) {
          ${body}
        }
      }`,
  };
}

/** m' = β·m + (1 − β)·g, or with g² (Adam's second moment). */
const adamMoment: KernelFunc = ({ inputs, backend, attrs }) => {
  const { s, g } = inputs as { s: TensorInfo; g: TensorInfo };
  const { beta, square: squared } = attrs as { beta: number; square: boolean };
  const square = squared ? 1 : 0;
  const program = elementwise(
    'mnistDeepAdamMoment',
    ['s', 'g'],
    'beta : f32, oneMinusBeta : f32, square : i32,',
    `let gi = g[index];
          let f = select(gi, gi * gi, uniforms.square == 1);
          result[index] = s[index] * uniforms.beta + f * uniforms.oneMinusBeta;`,
    s.shape,
  );
  // 1 − β in double precision, as the tensor engine's constants.
  const uniforms: Uniform[] = [
    { type: 'float32', data: [beta] },
    { type: 'float32', data: [1 - beta] },
    { type: 'int32', data: [square] },
  ];
  return (backend as WebGpuBackend).runWebGPUProgram(program, [s, g], 'float32', uniforms);
};

/** w' = w − rate·m / (√v + ε). */
const adamUpdate: KernelFunc = ({ inputs, backend, attrs }) => {
  const { w, m, v } = inputs as { w: TensorInfo; m: TensorInfo; v: TensorInfo };
  const { rate, epsilon } = attrs as { rate: number; epsilon: number };
  const program = elementwise(
    'mnistDeepAdamUpdate',
    ['w', 'm', 'v'],
    'rate : f32, epsilon : f32,',
    'result[index] = w[index] - m[index] * uniforms.rate / (sqrt(v[index]) + uniforms.epsilon);',
    w.shape,
  );
  const uniforms: Uniform[] = [
    { type: 'float32', data: [rate] },
    { type: 'float32', data: [epsilon] },
  ];
  return (backend as WebGpuBackend).runWebGPUProgram(program, [w, m, v], 'float32', uniforms);
};

/** WebGPU's limit on workgroups per dispatch dimension: larger variables take the element-wise ops. */
const MAX_FLAT = 65535 * 64;
let adamKernels = false;
/** Whether adamOnWebGpu is on (useOwnWebGpuKernels(false) turns it off, for comparisons). */
let ownAdam = true;

function registerAdamKernels(): void {
  if (adamKernels) return;
  const tf = loadTf();
  tf.registerKernel({
    kernelName: 'MnistDeepAdamMoment',
    backendName: 'webgpu',
    kernelFunc: adamMoment,
  });
  tf.registerKernel({
    kernelName: 'MnistDeepAdamUpdate',
    backendName: 'webgpu',
    kernelFunc: adamUpdate,
  });
  adamKernels = true;
}

/**
 * One Adam step on webgpu with the fused kernels (moments m, v; rate is
 * lr·√(1−β₂ᵗ)/(1−β₁ᵗ)); false, doing nothing, on other backends or where a
 * variable is too large for one flat dispatch.
 */
export function adamOnWebGpu(
  vars: tfl.Variable[],
  grads: tfl.NamedTensorMap,
  ms: tfl.Variable[],
  vs: tfl.Variable[],
  rate: number,
  beta1: number,
  beta2: number,
  epsilon: number,
): boolean {
  const tf = loadTf();
  if (!adamKernels || !ownAdam || tf.getBackend() !== 'webgpu' || vars.some((w) => w.size > MAX_FLAT)) return false;
  const run = (name: string, inputs: Record<string, tfl.Tensor>, attrs: Record<string, number | boolean>) =>
    tf.engine().runKernel(name, inputs, attrs as unknown as tfl.NamedAttrMap) as tfl.Tensor;
  vars.forEach((w, i) => {
    const g = grads[w.name];
    const m = run('MnistDeepAdamMoment', { s: ms[i], g }, { beta: beta1, square: false });
    const v = run('MnistDeepAdamMoment', { s: vs[i], g }, { beta: beta2, square: true });
    ms[i].assign(m);
    vs[i].assign(v);
    w.assign(run('MnistDeepAdamUpdate', { w, m, v }, { rate, epsilon }));
  });
  return true;
}
