/**
 * Max-pooling forward (TF's SAME or VALID windows; padding never wins): each
 * output takes its window's maximum, the first one in row-major order on a
 * tie, and remembers where it was (the input's flat index) for the gradient.
 */
import { WORKGROUP, linearMain } from './common';
import type { PoolGeometry } from './geometry';
import { Dispatch, Gpu, Slice, grid1d } from './gpu';

export const POOL_FIELDS = ['size', 'H', 'W', 'C', 'OH', 'OW', 'PH', 'PW', 'SH', 'SW', 'PT', 'PL'];
export const poolFields = (g: PoolGeometry, batch: number) => ({
  size: batch * g.outH * g.outW * g.c,
  H: g.inH,
  W: g.inW,
  C: g.c,
  OH: g.outH,
  OW: g.outW,
  PH: g.pH,
  PW: g.pW,
  SH: g.sH,
  SW: g.sW,
  PT: g.padT,
  PL: g.padL,
});
const struct = `struct U { ${POOL_FIELDS.map((f) => `${f}: u32,`).join(' ')} }`;

export const MAX_POOL = `
${struct}
@group(0) @binding(0) var<uniform> u: U;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<storage, read_write> argmax: array<u32>;
${linearMain(`
  if (i >= u.size) { return; }
  let c = i % u.C; let t = i / u.C; let ow = t % u.OW; let t2 = t / u.OW; let oh = t2 % u.OH; let b = t2 / u.OH;
  var best = 0.0;
  var at = 0xffffffffu;
  for (var ph = 0u; ph < u.PH; ph = ph + 1u) {
    let ih = i32(oh * u.SH + ph) - i32(u.PT);
    if (ih < 0 || ih >= i32(u.H)) { continue; }
    for (var pw = 0u; pw < u.PW; pw = pw + 1u) {
      let iw = i32(ow * u.SW + pw) - i32(u.PL);
      if (iw < 0 || iw >= i32(u.W)) { continue; }
      let j = ((b * u.H + u32(ih)) * u.W + u32(iw)) * u.C + c;
      let v = x[j];
      if (at == 0xffffffffu || v > best) { best = v; at = j; }
    }
  }
  y[i] = best;
  argmax[i] = at;`)}`;

export function maxPool(gpu: Gpu, g: PoolGeometry, batch: number, io: { x: Slice; y: Slice; argmax: Slice }): Dispatch {
  const fields = poolFields(g, batch);
  const u = gpu.uniform(fields);
  return gpu.dispatch(MAX_POOL, 'max pool', [u, io.x, io.y, io.argmax], grid1d(fields.size, WORKGROUP));
}
