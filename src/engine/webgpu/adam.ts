/**
 * TF 1's Adam over every weight at once (weights, moments and gradients each
 * one flat buffer): m = β₁m + (1 − β₁)g, v = β₂v + (1 − β₂)g², w −= rate·m / (√v + ε),
 * rate = lr·√(1 − β₂ᵗ)/(1 − β₁ᵗ) from the per-step uniform (see src/optim ADAM).
 */
import { ADAM } from '../../optim';
import { WORKGROUP, linearMain } from './common';
import { STEP_STRUCT } from './dropout';
import { Dispatch, Gpu, GpuBuffer, Slice, grid1d } from './gpu';

export const ADAM_UPDATE = `
struct U { size: u32, beta1: f32, oneMinusBeta1: f32, beta2: f32, oneMinusBeta2: f32, epsilon: f32, }
${STEP_STRUCT}
@group(0) @binding(0) var<uniform> u: U;
@group(0) @binding(1) var<uniform> step: Step;
@group(0) @binding(2) var<storage, read_write> w: array<f32>;
@group(0) @binding(3) var<storage, read_write> m: array<f32>;
@group(0) @binding(4) var<storage, read_write> v: array<f32>;
@group(0) @binding(5) var<storage, read> g: array<f32>;
${linearMain(`
  if (i >= u.size) { return; }
  let gi = g[i];
  let mi = m[i] * u.beta1 + gi * u.oneMinusBeta1;
  let vi = v[i] * u.beta2 + gi * gi * u.oneMinusBeta2;
  m[i] = mi;
  v[i] = vi;
  w[i] = w[i] - mi * step.rate / (sqrt(vi) + u.epsilon);`)}`;

export function adam(
  gpu: Gpu,
  size: number,
  step: GpuBuffer,
  io: { w: Slice; m: Slice; v: Slice; g: Slice },
): Dispatch {
  const { beta1, beta2, epsilon } = ADAM;
  const values = { size, beta1, oneMinusBeta1: 1 - beta1, beta2, oneMinusBeta2: 1 - beta2, epsilon };
  const u = gpu.uniform(values, ['beta1', 'oneMinusBeta1', 'beta2', 'oneMinusBeta2', 'epsilon']);
  return gpu.dispatch(ADAM_UPDATE, 'adam', [u, step, io.w, io.m, io.v, io.g], grid1d(size, WORKGROUP));
}
