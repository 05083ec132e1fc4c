/**
 * The element-wise part of the backward pass: dz = dy · (y > 0 where the layer
 * has a ReLU) · (dropout's mask, where dropout followed). y is the ReLU's output.
 */
import { WORKGROUP, linearMain } from './common';
import { Dispatch, Gpu, Slice, grid1d } from './gpu';

export const ACTIVATION_GRAD = `
struct U { size: u32, relu: u32, masked: u32, }
@group(0) @binding(0) var<uniform> u: U;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read> y: array<f32>;
@group(0) @binding(3) var<storage, read> mask: array<f32>;
@group(0) @binding(4) var<storage, read_write> dz: array<f32>;
${linearMain(`
  if (i >= u.size) { return; }
  var g = dy[i];
  if (u.relu == 1u && !(y[i] > 0.0)) { g = 0.0; }
  if (u.masked == 1u) { g = g * mask[i]; }
  dz[i] = g;`)}`;

export function activationGrad(
  gpu: Gpu,
  size: number,
  io: { dy: Slice; y?: Slice; mask?: Slice; dz: Slice },
): Dispatch {
  const u = gpu.uniform({ size, relu: io.y ? 1 : 0, masked: io.mask ? 1 : 0 });
  const bindings = [u, io.dy, io.y ?? io.dy, io.mask ?? io.dy, io.dz];
  return gpu.dispatch(ACTIVATION_GRAD, 'activation gradient', bindings, grid1d(size, WORKGROUP));
}
