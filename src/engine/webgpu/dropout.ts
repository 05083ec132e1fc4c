/**
 * Dropout (tf.nn.dropout): keep each unit with probability 1 − rate, scaled by
 * 1 / (1 − rate). The masks come from a counter-based hash of (the step's key,
 * the unit's index): no random state on the GPU, the same masks when a run is
 * resumed, and the mask kept for the backward pass.
 */
import { WORKGROUP, linearMain } from './common';
import { Dispatch, Gpu, GpuBuffer, Slice, grid1d } from './gpu';

/** The per-step uniform every step-dependent kernel reads: the optimizer's rate and the dropout key. */
export const STEP_STRUCT = 'struct Step { rate: f32, key: u32, }';

export const DROPOUT = `
struct U { size: u32, threshold: u32, scale: f32, }
${STEP_STRUCT}
@group(0) @binding(0) var<uniform> u: U;
@group(0) @binding(1) var<uniform> step: Step;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<storage, read_write> mask: array<f32>;
fn hash(v: u32) -> u32 {
  var h = v;
  h = h ^ (h >> 16u); h = h * 0x7feb352du;
  h = h ^ (h >> 15u); h = h * 0x846ca68bu;
  h = h ^ (h >> 16u);
  return h;
}
${linearMain(`
  if (i >= u.size) { return; }
  let r = hash(i ^ hash(step.key)) >> 8u;
  var m = 0.0;
  if (r >= u.threshold) { m = u.scale; }
  mask[i] = m;
  y[i] = x[i] * m;`)}`;

/** Units whose 24-bit draw is below rate·2²⁴ are dropped. */
export function dropout(
  gpu: Gpu,
  size: number,
  rate: number,
  step: GpuBuffer,
  io: { x: Slice; y: Slice; mask: Slice },
): Dispatch {
  const u = gpu.uniform({ size, threshold: Math.round(rate * 2 ** 24), scale: 1 / (1 - rate) }, ['scale']);
  return gpu.dispatch(DROPOUT, 'dropout', [u, step, io.x, io.y, io.mask], grid1d(size, WORKGROUP));
}
