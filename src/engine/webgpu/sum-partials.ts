/** Adds split-K partial sums: out[i] = Σ_s partials[s·size + i] (conv filter and bias gradients). */
import { WORKGROUP, linearMain } from './common';
import { Dispatch, Gpu, Slice, grid1d } from './gpu';

export const SUM_PARTIALS = `
struct U { size: u32, splits: u32, }
@group(0) @binding(0) var<uniform> u: U;
@group(0) @binding(1) var<storage, read> partials: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
${linearMain(`
  if (i >= u.size) { return; }
  var acc = 0.0;
  for (var s = 0u; s < u.splits; s = s + 1u) { acc = acc + partials[s * u.size + i]; }
  out[i] = acc;`)}`;

export function sumPartials(gpu: Gpu, size: number, splits: number, io: { partials: Slice; out: Slice }): Dispatch {
  const u = gpu.uniform({ size, splits });
  return gpu.dispatch(SUM_PARTIALS, 'sum partials', [u, io.partials, io.out], grid1d(size, WORKGROUP));
}
