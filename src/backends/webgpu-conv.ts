/**
 * Our Conv2DBackpropFilter for TF.js's WebGPU backend, where its own leaves
 * the GPU idle.
 *
 * Conv2DBackpropFilter: TF.js runs one GPU thread per filter weight, each
 * summing over the whole batch and image (conv1 of the CNN: 800 threads, each
 * 392,000 products at batch 500). Measured on an H200 that one kernel was 161
 * of a training step's 167 ms of GPU time at batch 500. Ours splits that sum
 * (batch × output pixels) into chunks: pass 1 gives every (weight, chunk) its
 * own thread and writes a partial sum; pass 2 adds each weight's partials.
 * Same products, about a thousand times more threads.
 */
import type { Conv2DBackpropFilterAttrs, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import type { WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import { loadTf } from './tf';
import type { Uniform, WebGpuBackend } from './webgpu-program';

/** Products per thread in pass 1: enough threads to fill a GPU, few enough partials to add. */
const CHUNK = 1024;

const ints = (values: Record<string, number>): Uniform[] =>
  Object.values(values).map((v) => ({ type: 'int32', data: [v] }));
const declare = (values: Record<string, number>): string =>
  Object.keys(values)
    .map((k) => `${k} : i32,`)
    .join(' ');

interface FilterGradShape {
  batch: number;
  inH: number;
  inW: number;
  inC: number;
  outH: number;
  outW: number;
  outC: number;
  fH: number;
  fW: number;
  strideH: number;
  strideW: number;
  padTop: number;
  padLeft: number;
}

/** Pass 1: partial[(m·N + n)·S + s] = Σ over chunk s of x(b, row·sh + kh − pad, col·sw + kw − pad, ci) · dy(b, row, col, n). */
function partialsProgram(g: FilterGradShape, splits: number): { program: WebGPUProgram; uniforms: Uniform[] } {
  const M = g.fH * g.fW * g.inC;
  const N = g.outC;
  const values = {
    padTop: g.padTop,
    padLeft: g.padLeft,
    strideH: g.strideH,
    strideW: g.strideW,
    inH: g.inH,
    inW: g.inW,
    inC: g.inC,
    outH: g.outH,
    outW: g.outW,
    fW: g.fW,
    mTotal: M,
    nTotal: N,
    kTotal: g.batch * g.outH * g.outW,
    chunk: CHUNK,
    splits,
  };
  const wx = Math.min(64, N);
  const wy = Math.max(1, Math.floor(64 / wx));
  const program: WebGPUProgram = {
    variableNames: ['x', 'dy'],
    outputShape: [M * N, splits],
    shaderKey: 'mnistDeepConv2DDerFilterPartials',
    dispatchLayout: { x: [1], y: [0], z: [] },
    dispatch: [Math.ceil(N / wx), Math.ceil(M / wy), splits],
    workgroupSize: [wx, wy, 1],
    uniforms: declare(values),
    getUserCode: () => `
      fn main() {
        let n = i32(globalId.x);
        let m = i32(globalId.y);
        let s = i32(globalId.z);
        if (n >= uniforms.nTotal || m >= uniforms.mTotal) { return; }
        let ci = m % uniforms.inC;
        let kk = m / uniforms.inC;
        let kw = kk % uniforms.fW;
        let kh = kk / uniforms.fW;
        let k0 = s * uniforms.chunk;
        let k1 = min(k0 + uniforms.chunk, uniforms.kTotal);
        let area = uniforms.outH * uniforms.outW;
        var b = k0 / area;
        var row = (k0 - b * area) / uniforms.outW;
        var col = k0 - b * area - row * uniforms.outW;
        var acc = 0.0;
        for (var k = k0; k < k1; k = k + 1) {
          let r = row * uniforms.strideH + kh - uniforms.padTop;
          let c = col * uniforms.strideW + kw - uniforms.padLeft;
          if (r >= 0 && r < uniforms.inH && c >= 0 && c < uniforms.inW) {
            acc = acc + x[((b * uniforms.inH + r) * uniforms.inW + c) * uniforms.inC + ci] * dy[k * uniforms.nTotal + n];
          }
          col = col + 1;
          if (col == uniforms.outW) {
            col = 0;
            row = row + 1;
            if (row == uniforms.outH) {
              row = 0;
              b = b + 1;
            }
          }
        }
        result[(m * uniforms.nTotal + n) * uniforms.splits + s] = acc;
      }`,
  };
  return { program, uniforms: ints(values) };
}

/** Pass 2: out[i] = Σ_s partial[i·S + s], in the filter's own shape. */
function sumProgram(filterShape: number[], splits: number): { program: WebGPUProgram; uniforms: Uniform[] } {
  const size = filterShape.reduce((a, b) => a * b, 1);
  const program: WebGPUProgram = {
    variableNames: ['partials'],
    outputShape: filterShape,
    shaderKey: 'mnistDeepSumPartials',
    dispatchLayout: { x: filterShape.map((_, i) => i) },
    dispatch: [Math.ceil(size / 64), 1, 1],
    workgroupSize: [64, 1, 1],
    size: true,
    uniforms: 'splits : i32,',
    getUserCode: () => `
      fn main(index : i32) {
        if (index < uniforms.size) {
          var acc = 0.0;
          for (var s = 0; s < uniforms.splits; s = s + 1) {
            acc = acc + partials[index * uniforms.splits + s];
          }
          setOutputAtIndex(index, acc);
        }
      }`,
  };
  return { program, uniforms: [{ type: 'int32', data: [splits] }] };
}

/** TF.js's own kernel, for what ours does not handle (channels-first data) and for comparisons. */
let tfjsConv2DBackpropFilter: KernelFunc | undefined;

const conv2DBackpropFilter: KernelFunc = (args) => {
  const tf = loadTf();
  const { x, dy } = args.inputs as { x: TensorInfo; dy: TensorInfo };
  const attrs = args.attrs as unknown as Conv2DBackpropFilterAttrs;
  if (attrs.dataFormat === 'NCHW' && tfjsConv2DBackpropFilter) return tfjsConv2DBackpropFilter(args);
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    attrs.filterShape,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    'channelsLast',
  );
  const shape: FilterGradShape = {
    batch: info.batchSize,
    inH: info.inHeight,
    inW: info.inWidth,
    inC: info.inChannels,
    outH: info.outHeight,
    outW: info.outWidth,
    outC: info.outChannels,
    fH: info.filterHeight,
    fW: info.filterWidth,
    strideH: info.strideHeight,
    strideW: info.strideWidth,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
  };
  const backend = args.backend as WebGpuBackend;
  const splits = Math.max(1, Math.ceil((shape.batch * shape.outH * shape.outW) / CHUNK));
  const pass1 = partialsProgram(shape, splits);
  const partials = backend.runWebGPUProgram(pass1.program, [x, dy], 'float32', pass1.uniforms);
  const pass2 = sumProgram([...attrs.filterShape], splits);
  const out = backend.runWebGPUProgram(pass2.program, [partials], 'float32', pass2.uniforms);
  backend.disposeData(partials.dataId);
  return out;
};
/** Registers ours for Conv2DBackpropFilter on webgpu (`own` false: TF.js's again, for comparisons). */
export function useOwnConv2DBackpropFilter(own: boolean): void {
  const tf = loadTf();
  const current = tf.getKernel('Conv2DBackpropFilter', 'webgpu');
  if (!current) return;
  if (!tfjsConv2DBackpropFilter && current.kernelFunc !== conv2DBackpropFilter) {
    tfjsConv2DBackpropFilter = current.kernelFunc;
  }
  const kernelFunc = own ? conv2DBackpropFilter : tfjsConv2DBackpropFilter;
  if (!kernelFunc) return;
  tf.unregisterKernel('Conv2DBackpropFilter', 'webgpu');
  tf.registerKernel({
    kernelName: 'Conv2DBackpropFilter',
    backendName: 'webgpu',
    kernelFunc,
  });
}
