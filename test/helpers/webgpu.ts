import { SOFTWARE_ENV, probeWebGpu } from '../../src/backends/webgpu';
import type { CnnWidths } from '../../src/models';

/**
 * The CNN's layers at an eighth of the tutorial's widths or less, for training on webgpu in tests:
 * on Dawn's software adapter a step of the full CNN takes seconds (5 s at batch 8 on a 2-core AMD
 * EPYC). The kernel tests cover both tile sizes; webgpu-step.test.ts checks two full-width steps.
 */
export const NARROW_CNN: CnnWidths = { conv1: 4, conv2: 8, fc1: 32 };

export interface WebGpuForTests {
  /** Why webgpu cannot run here at all, or undefined. */
  missing?: string;
  /** The software adapter (no GPU here): environment for child processes (and set in this one with `inThisProcess`). */
  software: boolean;
  env: Record<string, string>;
}

/**
 * A GPU's adapter where there is one; else Dawn's software adapter (OpenGL ES
 * on Mesa's llvmpipe), switched on for this process and for the children it
 * is given to; else why neither works.
 */
export function webGpuForTests(inThisProcess = true): WebGpuForTests {
  const gpu = probeWebGpu();
  if (gpu.ok) return { software: false, env: {} };
  process.env[SOFTWARE_ENV] = '1';
  const soft = probeWebGpu();
  if (!inThisProcess) delete process.env[SOFTWARE_ENV];
  if (soft.ok) return { software: true, env: { [SOFTWARE_ENV]: '1' } };
  delete process.env[SOFTWARE_ENV];
  return {
    missing: `no WebGPU adapter (${gpu.detail}), nor the software one (${soft.detail})`,
    software: false,
    env: {},
  };
}
