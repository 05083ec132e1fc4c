/**
 * Conv2D's filter gradient as an implicit GEMM, split over K: dw[kh, kw, ci, co] =
 * Σ_{b, oh, ow} x[b, oh·sh + kh − pt, ow·sw + kw − pl, ci]·dy[b, oh, ow, co].
 * M = KH·KW·C and N = CO are small, K = batch·OH·OW large: each workgroup z
 * sums a chunk of K into its own partial, and sum-partials.ts adds them (the
 * same split that made TF.js's step 7× faster on an H200, see docs/gpu.md).
 */
import { Reg, gemmGrid, gemmReg, gemmSources } from './gemm';
import { CONV_FIELDS, ConvGeometry, GATHER_INPUT, convFields } from './geometry';
import { Dispatch, Gpu, Slice } from './gpu';
import { sumPartials } from './sum-partials';

/** Products per partial sum (a multiple of the tile). */
export const FILTER_CHUNK = 1024;

export const CONV_FILTER_GRAD = gemmSources({
  fields: CONV_FIELDS,
  bindings: [
    'var<storage, read> x: array<f32>',
    'var<storage, read> dy: array<f32>',
    'var<storage, read_write> partials: array<f32>',
  ],
  loadA: `
  let ci = m % u.C; let t = m / u.C; let kw = t % u.KW; let kh = t / u.KW;
  let ow = k % u.OW; let t2 = k / u.OW; let oh = t2 % u.OH; let b = t2 / u.OH;${GATHER_INPUT}`,
  loadB: 'return dy[k * u.N + n];',
  store: 'partials[(z * u.M + m) * u.N + n] = acc;',
});

/** How many partial sums a batch needs. */
export function filterSplits(g: ConvGeometry, batch: number): number {
  return Math.max(1, Math.ceil((batch * g.outH * g.outW) / FILTER_CHUNK));
}

/** Two dispatches: the partial sums into `partials` (filterSplits × filter size floats), then their sum into `dw`. */
export function convFilterGrad(
  gpu: Gpu,
  g: ConvGeometry,
  batch: number,
  io: { x: Slice; dy: Slice; partials: Slice; dw: Slice },
  reg?: Reg,
): Dispatch[] {
  const M = g.kH * g.kW * g.inC;
  const K = batch * g.outH * g.outW;
  const splits = filterSplits(g, batch);
  const r = reg ?? gemmReg(M, g.outC, splits);
  const u = gpu.uniform({ M, N: g.outC, K, kChunk: FILTER_CHUNK, ...convFields(g) });
  return [
    gpu.dispatch(
      CONV_FILTER_GRAD(r),
      'conv filter gradient',
      [u, io.x, io.dy, io.partials],
      gemmGrid(M, g.outC, splits, r),
    ),
    sumPartials(gpu, M * g.outC, splits, { partials: io.partials, out: io.dw }),
  ];
}
