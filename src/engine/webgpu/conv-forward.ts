/**
 * Conv2D forward as an implicit GEMM, bias and ReLU fused: y[b, oh, ow, co] =
 * relu(Σ_{kh, kw, ci} x[b, oh·sh + kh − pt, ow·sw + kw − pl, ci]·w[kh, kw, ci, co] + bias[co]).
 * M = batch·OH·OW, N = CO, K = KH·KW·C; the im2col row is gathered on the fly.
 */
import { BIAS_RELU_STORE, Reg, gemmGrid, gemmReg, gemmSources } from './gemm';
import { CONV_FIELDS, ConvGeometry, GATHER_INPUT, convFields } from './geometry';
import { Dispatch, Gpu, Slice } from './gpu';

export const CONV_FORWARD = gemmSources({
  fields: [...CONV_FIELDS, 'hasBias', 'relu'],
  bindings: [
    'var<storage, read> x: array<f32>',
    'var<storage, read> w: array<f32>',
    'var<storage, read> bias: array<f32>',
    'var<storage, read_write> y: array<f32>',
  ],
  loadA: `
  let ow = m % u.OW; let t = m / u.OW; let oh = t % u.OH; let b = t / u.OH;
  let ci = k % u.C; let t2 = k / u.C; let kw = t2 % u.KW; let kh = t2 / u.KW;${GATHER_INPUT}`,
  loadB: 'return w[k * u.N + n];',
  store: BIAS_RELU_STORE,
});

export function convForward(
  gpu: Gpu,
  g: ConvGeometry,
  batch: number,
  io: { x: Slice; w: Slice; bias?: Slice; y: Slice },
  relu: boolean,
  reg: Reg = gemmReg(batch * g.outH * g.outW, g.outC),
): Dispatch {
  const M = batch * g.outH * g.outW;
  const K = g.kH * g.kW * g.inC;
  const u = gpu.uniform({ M, N: g.outC, K, kChunk: K, ...convFields(g), hasBias: io.bias ? 1 : 0, relu: relu ? 1 : 0 });
  return gpu.dispatch(
    CONV_FORWARD(reg),
    'conv forward',
    [u, io.x, io.w, io.bias ?? io.w, io.y],
    gemmGrid(M, g.outC, 1, reg),
  );
}
