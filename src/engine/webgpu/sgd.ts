/** Gradient descent over every weight at once: w −= lr·g, lr from the per-step uniform (the schedule's value). */
import { WORKGROUP, linearMain } from './common';
import { STEP_STRUCT } from './dropout';
import { Dispatch, Gpu, GpuBuffer, Slice, grid1d } from './gpu';

export const SGD_UPDATE = `
struct U { size: u32, }
${STEP_STRUCT}
@group(0) @binding(0) var<uniform> u: U;
@group(0) @binding(1) var<uniform> step: Step;
@group(0) @binding(2) var<storage, read_write> w: array<f32>;
@group(0) @binding(3) var<storage, read> g: array<f32>;
${linearMain(`
  if (i >= u.size) { return; }
  w[i] = w[i] - g[i] * step.rate;`)}`;

export function sgd(gpu: Gpu, size: number, step: GpuBuffer, io: { w: Slice; g: Slice }): Dispatch {
  const u = gpu.uniform({ size });
  return gpu.dispatch(SGD_UPDATE, 'sgd', [u, step, io.w, io.g], grid1d(size, WORKGROUP));
}
