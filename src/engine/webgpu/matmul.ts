/**
 * The dense layer's three products in one kernel: C = op(A)·op(B) (+ bias, ReLU),
 * op transposing where asked. Forward: X·W + b; input gradient: dY·Wᵀ;
 * weight gradient: Xᵀ·dY (K = the batch).
 */
import { BIAS_RELU_STORE, Reg, gemmGrid, gemmReg, gemmSources } from './gemm';
import { Dispatch, Gpu, Slice } from './gpu';

export const MATMUL = gemmSources({
  fields: ['transA', 'transB', 'hasBias', 'relu'],
  bindings: [
    'var<storage, read> a: array<f32>',
    'var<storage, read> b: array<f32>',
    'var<storage, read> bias: array<f32>',
    'var<storage, read_write> y: array<f32>',
  ],
  loadA: 'if (u.transA == 1u) { return a[k * u.M + m]; } return a[m * u.K + k];',
  loadB: 'if (u.transB == 1u) { return b[n * u.K + k]; } return b[k * u.N + n];',
  store: BIAS_RELU_STORE,
});

export interface MatmulOptions {
  transA?: boolean;
  transB?: boolean;
  relu?: boolean;
  /** Outputs per thread side (default: by the product's size). */
  reg?: Reg;
}

/** y[M×N] = op(a)·op(b) (+ bias[N]) (ReLU), a being M×K (K×M transposed), b K×N (N×K transposed). */
export function matmul(
  gpu: Gpu,
  dims: { M: number; N: number; K: number },
  io: { a: Slice; b: Slice; bias?: Slice; y: Slice },
  o: MatmulOptions = {},
): Dispatch {
  const u = gpu.uniform({
    ...dims,
    kChunk: dims.K,
    transA: o.transA ? 1 : 0,
    transB: o.transB ? 1 : 0,
    hasBias: io.bias ? 1 : 0,
    relu: o.relu ? 1 : 0,
  });
  const reg = o.reg ?? gemmReg(dims.M, dims.N);
  return gpu.dispatch(MATMUL(reg), 'matmul', [u, io.a, io.b, io.bias ?? io.a, io.y], gemmGrid(dims.M, dims.N, 1, reg));
}
