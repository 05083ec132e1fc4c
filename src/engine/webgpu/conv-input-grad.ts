/**
 * Conv2D's input gradient as an implicit GEMM: dx[b, ih, iw, ci] =
 * Σ_{kh, kw, co} dy[b, oh, ow, co]·w[kh, kw, ci, co] over the (oh, ow) whose
 * window puts (kh, kw) on (ih, iw). M = batch·H·W, N = C, K = KH·KW·CO.
 */
import { Reg, gemmGrid, gemmReg, gemmSources } from './gemm';
import { CONV_FIELDS, ConvGeometry, convFields } from './geometry';
import { Dispatch, Gpu, Slice } from './gpu';

export const CONV_INPUT_GRAD = gemmSources({
  fields: CONV_FIELDS,
  bindings: [
    'var<storage, read> dy: array<f32>',
    'var<storage, read> w: array<f32>',
    'var<storage, read_write> dx: array<f32>',
  ],
  loadA: `
  let iw = m % u.W; let t = m / u.W; let ih = t % u.H; let b = t / u.H;
  let co = k % u.CO; let t2 = k / u.CO; let kw = t2 % u.KW; let kh = t2 / u.KW;
  let th = i32(ih + u.PT) - i32(kh);
  let tw = i32(iw + u.PL) - i32(kw);
  if (th < 0 || tw < 0) { return 0.0; }
  if (u32(th) % u.SH != 0u || u32(tw) % u.SW != 0u) { return 0.0; }
  let oh = u32(th) / u.SH; let ow = u32(tw) / u.SW;
  if (oh >= u.OH || ow >= u.OW) { return 0.0; }
  return dy[((b * u.OH + oh) * u.OW + ow) * u.CO + co];`,
  loadB: `
  let co = k % u.CO; let t2 = k / u.CO;
  return w[(t2 * u.C + n) * u.CO + co];`,
  store: 'dx[m * u.N + n] = acc;',
});

export function convInputGrad(
  gpu: Gpu,
  g: ConvGeometry,
  batch: number,
  io: { dy: Slice; w: Slice; dx: Slice },
  reg: Reg = gemmReg(batch * g.inH * g.inW, g.inC),
): Dispatch {
  const M = batch * g.inH * g.inW;
  const K = g.kH * g.kW * g.outC;
  const u = gpu.uniform({ M, N: g.inC, K, kChunk: K, ...convFields(g) });
  return gpu.dispatch(CONV_INPUT_GRAD(reg), 'conv input gradient', [u, io.dy, io.w, io.dx], gemmGrid(M, g.inC, 1, reg));
}
