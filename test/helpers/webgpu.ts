import { SOFTWARE_ENV, probeWebGpu } from '../../src/backends/webgpu';

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
