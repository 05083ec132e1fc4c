/**
 * Max-pooling's input gradient, one thread per input element: the sum of dy
 * over the windows that cover it and chose it (max-pool.ts's argmax), so no
 * two threads write one place and overlapping windows work too.
 */
import { WORKGROUP, linearMain } from './common';
import type { PoolGeometry } from './geometry';
import { Dispatch, Gpu, Slice, grid1d } from './gpu';
import { POOL_FIELDS, poolFields } from './max-pool';

export const MAX_POOL_GRAD = `
struct U { ${POOL_FIELDS.map((f) => `${f}: u32,`).join(' ')} }
@group(0) @binding(0) var<uniform> u: U;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read> argmax: array<u32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;
${linearMain(`
  if (i >= u.size) { return; }
  let c = i % u.C; let t = i / u.C; let iw = t % u.W; let t2 = t / u.W; let ih = t2 % u.H; let b = t2 / u.H;
  let hi = i32(ih + u.PT);
  let wi = i32(iw + u.PL);
  let nh = hi - i32(u.PH) + 1;
  let nw = wi - i32(u.PW) + 1;
  let oh0 = select(0, (nh + i32(u.SH) - 1) / i32(u.SH), nh > 0);
  let ow0 = select(0, (nw + i32(u.SW) - 1) / i32(u.SW), nw > 0);
  let oh1 = min(i32(u.OH) - 1, hi / i32(u.SH));
  let ow1 = min(i32(u.OW) - 1, wi / i32(u.SW));
  var acc = 0.0;
  for (var oh = oh0; oh <= oh1; oh = oh + 1) {
    for (var ow = ow0; ow <= ow1; ow = ow + 1) {
      let o = ((b * u.OH + u32(oh)) * u.OW + u32(ow)) * u.C + c;
      if (argmax[o] == i) { acc = acc + dy[o]; }
    }
  }
  dx[i] = acc;`)}`;

export function maxPoolGrad(
  gpu: Gpu,
  g: PoolGeometry,
  batch: number,
  io: { dy: Slice; argmax: Slice; dx: Slice },
): Dispatch {
  const fields = { ...poolFields(g, batch), size: batch * g.inH * g.inW * g.c };
  const u = gpu.uniform(fields);
  return gpu.dispatch(MAX_POOL_GRAD, 'max pool gradient', [u, io.dy, io.argmax, io.dx], grid1d(fields.size, WORKGROUP));
}
