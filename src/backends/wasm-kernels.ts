/**
 * Training kernels for the wasm backend. As shipped it has no
 * Conv2DBackpropFilter (tfjs#8474), so the CNN cannot train on it at all, and
 * several of the kernels training needs are plain loops. We register:
 *
 * - Conv2DBackpropFilter: a convolution of the input, with batch and channels
 *   swapped, by the output gradient used as a filter (forward strides become
 *   dilations);
 * - Conv2DBackpropInput (stride 1): a convolution of the output gradient with
 *   the spatially flipped filter whose in/out channels are swapped;
 * - BatchMatMul and _FusedMatMul: 1x1 convolutions;
 * - MaxPoolGrad: one JavaScript pass.
 *
 * Convolutions run through the backend's own XNNPACK kernel. Each one is
 * tested against the cpu backend (test/backends/wasm-kernels.test.ts).
 */
import type {
  BatchMatMulAttrs,
  BatchMatMulInputs,
  Conv2DAttrs,
  Conv2DBackpropFilterAttrs,
  Conv2DBackpropFilterInputs,
  Conv2DBackpropInputAttrs,
  Conv2DBackpropInputInputs,
  FusedConv2DAttrs,
  KernelConfig,
  KernelFunc,
  MaxPoolGradAttrs,
  MaxPoolGradInputs,
  NamedAttrMap,
  NamedTensorInfoMap,
  TensorInfo,
  _FusedMatMulAttrs,
  _FusedMatMulInputs,
} from '@tensorflow/tfjs';
import { loadTf } from './tf';

const BACKEND = 'wasm';

interface WasmBackendLike {
  disposeData(dataId: object): boolean;
  readSync(dataId: object): unknown;
  makeOutput(shape: number[], dtype: 'float32'): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): unknown;
}

type KernelArgs = Parameters<KernelFunc>[0];
/** A kernel's named inputs, all given (tfjs' input maps mark every one optional). */
type Given<T> = { [K in keyof T]-?: NonNullable<T[K]> };

/**
 * A kernel written against tfjs-core's typed inputs and attributes; the
 * registry hands every kernel untyped maps, so this is the one cast.
 */
function typedKernel<I, A>(
  fn: (inputs: I, attrs: A, backend: WasmBackendLike, args: KernelArgs) => TensorInfo,
): KernelFunc {
  return (args) =>
    fn(args.inputs as unknown as I, (args.attrs ?? {}) as unknown as A, args.backend as WasmBackendLike, args);
}

/** Runs another wasm kernel directly on TensorInfos (no autodiff tape, no engine bookkeeping). */
class KernelRunner {
  private readonly temps: TensorInfo[] = [];

  constructor(private readonly backend: WasmBackendLike) {}

  /** `attrs`: the kernel's tfjs-core attribute type (Conv2DAttrs, TransposeAttrs, …). */
  run(name: string, inputs: NamedTensorInfoMap, attrs: object = {}): TensorInfo {
    const kernel = loadTf().getKernel(name, BACKEND);
    if (!kernel) throw new Error(`wasm kernel ${name} is not registered`);
    return kernel.kernelFunc({ inputs, attrs: attrs as NamedAttrMap, backend: this.backend }) as TensorInfo;
  }

  /** Like run, but the result is freed by `dispose()`. */
  temp(name: string, inputs: NamedTensorInfoMap, attrs: object = {}): TensorInfo {
    const out = this.run(name, inputs, attrs);
    this.temps.push(out);
    return out;
  }

  dispose(): void {
    for (const t of this.temps) this.backend.disposeData(t.dataId);
    this.temps.length = 0;
  }
}

function pair(v: number | [number, number]): [number, number] {
  return typeof v === 'number' ? [v, v] : v;
}

/** The forward convolution's geometry (our gradients are of dilation-1 convolutions, as tfjs' own). */
function convInfo(
  xShape: number[],
  filterShape: number[],
  attrs: Conv2DBackpropFilterAttrs | Conv2DBackpropInputAttrs,
) {
  const tf = loadTf();
  if (attrs.dataFormat !== 'NHWC')
    throw new Error(`wasm ${attrs.dataFormat} convolution gradients are not supported; use channelsLast`);
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    pair(attrs.strides),
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
}

type Pad4 = [[number, number], [number, number], [number, number], [number, number]];

/**
 * dW[i,j,c,o] = sum over n,y,x of x[n, y*s+i-pt, x*s+j-pl, c] * dy[n,y,x,o].
 * With x as [C,H,W,N] and dy as [Ho,Wo,N,O] this is a convolution with
 * dilation s whose output is [C, fh, fw, O].
 */
export const conv2DBackpropFilter = typedKernel<Given<Conv2DBackpropFilterInputs>, Conv2DBackpropFilterAttrs>(
  ({ x, dy }, attrs, backend) => {
    const info = convInfo(x.shape, attrs.filterShape, attrs);
    const k = new KernelRunner(backend);
    try {
      const [n, h, w, c] = x.shape;
      const { top, left } = info.padInfo;
      // Rows/cols of the (padded) input the forward pass actually read.
      const needH = (info.outHeight - 1) * info.strideHeight + info.filterHeight;
      const needW = (info.outWidth - 1) * info.strideWidth + info.filterWidth;
      let input = x;
      const cropH = Math.max(0, top + h - needH);
      const cropW = Math.max(0, left + w - needW);
      if (cropH > 0 || cropW > 0) {
        input = k.temp('Slice', { x }, { begin: [0, 0, 0, 0], size: [n, h - cropH, w - cropW, c] });
      }
      const bottom = needH - top - input.shape[1];
      const right = needW - left - input.shape[2];
      const xT = k.temp('Transpose', { x: input }, { perm: [3, 1, 2, 0] });
      const dyT = k.temp('Transpose', { x: dy }, { perm: [1, 2, 0, 3] });
      const pad: Pad4 = [
        [0, 0],
        [top, bottom],
        [left, right],
        [0, 0],
      ];
      const conv = k.temp('Conv2D', { x: xT, filter: dyT }, {
        strides: [1, 1],
        pad,
        dataFormat: 'NHWC',
        dilations: [info.strideHeight, info.strideWidth],
      } satisfies Conv2DAttrs);
      return k.run('Transpose', { x: conv }, { perm: [1, 2, 0, 3] });
    } finally {
      k.dispose();
    }
  },
);

/**
 * Stride 1: dx = conv(dy, W flipped in space with in/out swapped), padded so
 * that every input position sees the outputs it fed. Other strides go to the
 * backend's own kernel.
 */
function makeConv2DBackpropInput(fallback: KernelFunc): KernelFunc {
  return typedKernel<Given<Conv2DBackpropInputInputs>, Conv2DBackpropInputAttrs>(
    ({ dy, filter }, attrs, backend, args) => {
      const info = convInfo(attrs.inputShape, filter.shape, attrs);
      if (info.strideHeight !== 1 || info.strideWidth !== 1) return fallback(args) as TensorInfo;
      const k = new KernelRunner(backend);
      try {
        const { top, left } = info.padInfo;
        const fh = info.filterHeight;
        const fw = info.filterWidth;
        const flipped = k.temp('Reverse', { x: filter }, { dims: [0, 1] });
        const swapped = k.temp('Transpose', { x: flipped }, { perm: [0, 1, 3, 2] });
        const padTop = fh - 1 - top;
        const padLeft = fw - 1 - left;
        const padBottom = info.inHeight - info.outHeight + top;
        const padRight = info.inWidth - info.outWidth + left;
        if (Math.min(padTop, padLeft, padBottom, padRight) < 0) return fallback(args) as TensorInfo;
        const pad: Pad4 = [
          [0, 0],
          [padTop, padBottom],
          [padLeft, padRight],
          [0, 0],
        ];
        return k.run('Conv2D', { x: dy, filter: swapped }, {
          strides: [1, 1],
          pad,
          dataFormat: 'NHWC',
          dilations: [1, 1],
        } satisfies Conv2DAttrs);
      } finally {
        k.dispose();
      }
    },
  );
}

/** A TensorInfo that reads another's data with a different shape (no copy, not to be disposed). */
function view(t: TensorInfo, shape: number[]): TensorInfo {
  return { dataId: t.dataId, shape, dtype: t.dtype };
}

/**
 * Matrix products as 1x1 convolutions: [M,K]·[K,N] is a convolution of M
 * 1x1 "images" of K channels by a [1,1,K,N] filter, which XNNPACK runs several
 * times faster than the backend's BatchMatMul loop. XNNPACK repacks the
 * filter at every call, so the larger operand is made the input: when B is
 * the larger, we compute (A·B)ᵀ = Bᵀ·Aᵀ instead. Batched products go to the
 * backend's own kernel.
 */
function makeMatMul(fallback: KernelFunc, fused: boolean): KernelFunc {
  type Inputs = Given<BatchMatMulInputs> & Pick<_FusedMatMulInputs, 'bias' | 'preluActivationWeights'>;
  return typedKernel<Inputs, BatchMatMulAttrs & Partial<_FusedMatMulAttrs>>(
    ({ a, b, bias, preluActivationWeights }, attrs, backend, args) => {
      const batch = (t: TensorInfo) => t.shape.slice(0, -2).reduce((x, y) => x * y, 1);
      if (
        batch(a) !== 1 ||
        batch(b) !== 1 ||
        a.dtype !== 'float32' ||
        b.dtype !== 'float32' ||
        preluActivationWeights
      ) {
        return fallback(args) as TensorInfo;
      }
      const k = new KernelRunner(backend);
      try {
        const [ar, ac] = a.shape.slice(-2);
        const [br, bc] = b.shape.slice(-2);
        const m = attrs.transposeA ? ac : ar;
        const n = attrs.transposeB ? br : bc;
        const inner = attrs.transposeA ? ar : ac;
        const outShape = [...(a.shape.length > b.shape.length ? a.shape : b.shape).slice(0, -2), m, n];
        /** `t` ([r,c] as stored) as a matrix, transposed when `transpose`. */
        const matrix = (t: TensorInfo, r: number, c: number, transpose: boolean) =>
          transpose ? k.temp('Transpose', { x: view(t, [r, c]) }, { perm: [1, 0] }) : view(t, [r, c]);
        const conv: Conv2DAttrs = { strides: [1, 1], pad: 'valid', dataFormat: 'NHWC', dilations: [1, 1] };
        // Bias and activation act on output channels, so fused products keep B as the filter.
        if (!fused && n > m) {
          const bT = matrix(b, br, bc, !attrs.transposeB); // [N, K]
          const aT = matrix(a, ar, ac, !attrs.transposeA); // [K, M]
          const outT = k.temp('Conv2D', { x: view(bT, [n, 1, 1, inner]), filter: view(aT, [1, 1, inner, m]) }, conv);
          return view(k.run('Transpose', { x: view(outT, [n, m]) }, { perm: [1, 0] }), outShape);
        }
        const x = view(matrix(a, ar, ac, attrs.transposeA), [m, 1, 1, inner]);
        const filter = view(matrix(b, br, bc, attrs.transposeB), [1, 1, inner, n]);
        const out = fused
          ? k.run('FusedConv2D', { x, filter, ...(bias ? { bias } : {}) }, {
              ...conv,
              dimRoundingMode: 'floor',
              activation: attrs.activation ?? 'linear',
            } satisfies FusedConv2DAttrs)
          : k.run('Conv2D', { x, filter }, conv);
        return view(out, outShape);
      } finally {
        k.dispose();
      }
    },
  );
}

/**
 * MaxPoolGrad in one JavaScript pass (the backend's own loop took 16 ms of a
 * 25-image CNN step; this takes a few): each output's gradient goes to the
 * first maximum of its window in row-major order, as in TF and tfjs' cpu
 * backend; windows are scanned with channels innermost, in memory order.
 */
export const maxPoolGrad = typedKernel<Given<MaxPoolGradInputs>, MaxPoolGradAttrs>(({ dy, input }, a, b) => {
  const info = loadTf().backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    a.filterSize,
    a.strides,
    1,
    a.pad,
    a.dimRoundingMode,
  );
  const x = b.readSync(input.dataId) as Float32Array;
  const g = b.readSync(dy.dataId) as Float32Array;
  const out = b.makeOutput(input.shape, 'float32');
  const dx = b.typedArrayFromHeap(out) as Float32Array;
  dx.fill(0);
  const {
    batchSize,
    inHeight: H,
    inWidth: W,
    inChannels: C,
    outHeight,
    outWidth,
    strideHeight,
    strideWidth,
    filterHeight,
    filterWidth,
  } = info;
  const { top, left } = info.padInfo;
  const best = new Float32Array(C);
  const where = new Int32Array(C);
  for (let n = 0; n < batchSize; n++) {
    for (let yr = 0; yr < outHeight; yr++) {
      const r0 = yr * strideHeight - top;
      const rFrom = Math.max(0, r0);
      const rTo = Math.min(H, r0 + filterHeight);
      for (let yc = 0; yc < outWidth; yc++) {
        const c0 = yc * strideWidth - left;
        const cFrom = Math.max(0, c0);
        const cTo = Math.min(W, c0 + filterWidth);
        best.fill(-Infinity);
        where.fill(-1);
        for (let r = rFrom; r < rTo; r++) {
          for (let c = cFrom; c < cTo; c++) {
            const base = ((n * H + r) * W + c) * C;
            for (let d = 0; d < C; d++) {
              if (x[base + d] > best[d]) {
                best[d] = x[base + d];
                where[d] = base + d;
              }
            }
          }
        }
        const o = ((n * outHeight + yr) * outWidth + yc) * C;
        for (let d = 0; d < C; d++) if (where[d] >= 0) dx[where[d]] += g[o + d];
      }
    }
  }
  return out;
});

let registered = false;

function replaceKernel(config: KernelConfig): void {
  const tf = loadTf();
  if (tf.getKernel(config.kernelName, BACKEND)) tf.unregisterKernel(config.kernelName, BACKEND);
  tf.registerKernel(config);
}

/** Registers our kernels with the wasm backend (idempotent). */
export function registerWasmTrainingKernels(): void {
  if (registered) return;
  const tf = loadTf();
  replaceKernel({ kernelName: 'Conv2DBackpropFilter', backendName: BACKEND, kernelFunc: conv2DBackpropFilter });
  const original = tf.getKernel('Conv2DBackpropInput', BACKEND);
  if (original) {
    replaceKernel({
      kernelName: 'Conv2DBackpropInput',
      backendName: BACKEND,
      setupFunc: original.setupFunc,
      kernelFunc: makeConv2DBackpropInput(original.kernelFunc),
    });
  }
  replaceKernel({ kernelName: 'MaxPoolGrad', backendName: BACKEND, kernelFunc: maxPoolGrad });
  for (const [name, fused] of [
    ['BatchMatMul', false],
    ['_FusedMatMul', true],
  ] as const) {
    const own = tf.getKernel(name, BACKEND);
    if (!own) continue;
    replaceKernel({
      kernelName: name,
      backendName: BACKEND,
      setupFunc: own.setupFunc,
      kernelFunc: makeMatMul(own.kernelFunc, fused),
    });
  }
  registered = true;
}
