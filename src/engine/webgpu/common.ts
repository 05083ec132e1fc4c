/** WGSL shared by the element-wise kernels: 64 threads a workgroup, a linear index over a 2-D grid (see gpu.ts grid1d). */
export const WORKGROUP = 64;

export const linearMain = (body: string): string => `
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = (wg.y * 65535u + wg.x) * ${WORKGROUP}u + lid.x;
  ${body}
}`;
