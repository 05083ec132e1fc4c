/**
 * A bias's gradient: the column sums of dY [rows × C] (rows = batch, or
 * batch·H·W for a convolution), in chunks of rows (one thread per channel
 * and chunk), then sum-partials.ts adds the chunks.
 */
import { WORKGROUP, linearMain } from './common';
import { Dispatch, Gpu, Slice, grid1d } from './gpu';
import { sumPartials } from './sum-partials';

export const BIAS_CHUNK = 256;

export const BIAS_GRAD = `
struct U { rows: u32, C: u32, chunk: u32, splits: u32, }
@group(0) @binding(0) var<uniform> u: U;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read_write> partials: array<f32>;
${linearMain(`
  if (i >= u.C * u.splits) { return; }
  let c = i % u.C;
  let s = i / u.C;
  let r1 = min((s + 1u) * u.chunk, u.rows);
  var acc = 0.0;
  for (var r = s * u.chunk; r < r1; r = r + 1u) { acc = acc + dy[r * u.C + c]; }
  partials[s * u.C + c] = acc;`)}`;

export const biasSplits = (rows: number): number => Math.max(1, Math.ceil(rows / BIAS_CHUNK));

/** Two dispatches: chunk sums into `partials` (biasSplits(rows) × C floats), then their sum into `db`. */
export function biasGrad(gpu: Gpu, rows: number, C: number, io: { dy: Slice; partials: Slice; db: Slice }): Dispatch[] {
  const splits = biasSplits(rows);
  const u = gpu.uniform({ rows, C, chunk: BIAS_CHUNK, splits });
  return [
    gpu.dispatch(BIAS_GRAD, 'bias gradient', [u, io.dy, io.partials], grid1d(C * splits, WORKGROUP)),
    sumPartials(gpu, C, splits, { partials: io.partials, out: io.db }),
  ];
}
