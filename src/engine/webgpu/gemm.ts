/**
 * The matrix-product loop every GEMM-shaped kernel shares (convolutions as
 * implicit GEMMs, dense layers): C[m, n] = Σ_k A(m, k)·B(k, n), 16×16 tiles
 * of A and B staged through workgroup memory, one output per thread. Each
 * kernel supplies how to gather A and B (a convolution's im2col is computed
 * on the fly, never stored) and how to store a result; workgroup z takes the
 * k range [z·kChunk, (z + 1)·kChunk) (split-K: partial sums, added by
 * sum-partials.ts).
 */
export const TILE = 16;

export interface GemmParts {
  /** Extra u32 fields of the uniform struct `u` (after M, N, K, kChunk). */
  fields: string[];
  /** Storage bindings from binding 1 on, as WGSL declarations without the attribute. */
  bindings: string[];
  /** Body of `fn loadA(m: u32, k: u32) -> f32`, called only for m < M, k < K. */
  loadA: string;
  /** Body of `fn loadB(k: u32, n: u32) -> f32`, called only for k < K, n < N. */
  loadB: string;
  /** Body of `fn store(m: u32, n: u32, z: u32, acc: f32)`. */
  store: string;
}

export function gemmSource(p: GemmParts): string {
  const fields = ['M', 'N', 'K', 'kChunk', ...p.fields].map((f) => `${f}: u32,`).join(' ');
  const bindings = p.bindings.map((b, i) => `@group(0) @binding(${i + 1}) ${b};`).join('\n');
  return `
struct U { ${fields} }
@group(0) @binding(0) var<uniform> u: U;
${bindings}
var<workgroup> ta: array<array<f32, ${TILE}>, ${TILE}>;
var<workgroup> tb: array<array<f32, ${TILE}>, ${TILE}>;
fn loadA(m: u32, k: u32) -> f32 { ${p.loadA} }
fn loadB(k: u32, n: u32) -> f32 { ${p.loadB} }
fn store(m: u32, n: u32, z: u32, acc: f32) { ${p.store} }
@compute @workgroup_size(${TILE}, ${TILE})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let m = wg.y * ${TILE}u + lid.y;
  let n = wg.x * ${TILE}u + lid.x;
  let kBegin = wg.z * u.kChunk;
  let kEnd = min(kBegin + u.kChunk, u.K);
  var acc = 0.0;
  for (var k0 = kBegin; k0 < kEnd; k0 = k0 + ${TILE}u) {
    let ka = k0 + lid.x;
    var av = 0.0;
    if (m < u.M && ka < kEnd) { av = loadA(m, ka); }
    ta[lid.y][lid.x] = av;
    let kb = k0 + lid.y;
    var bv = 0.0;
    if (n < u.N && kb < kEnd) { bv = loadB(kb, n); }
    tb[lid.y][lid.x] = bv;
    workgroupBarrier();
    for (var k = 0u; k < ${TILE}u; k = k + 1u) { acc = acc + ta[lid.y][k] * tb[k][lid.x]; }
    workgroupBarrier();
  }
  if (m < u.M && n < u.N) { store(m, n, wg.z, acc); }
}`;
}

/** Workgroups for an M×N product in `splits` k-chunks. */
export function gemmGrid(M: number, N: number, splits = 1): [number, number, number] {
  const rows = Math.ceil(M / TILE);
  if (rows > 65535) throw new RangeError(`a product of ${M} rows is more than one dispatch takes; use a smaller batch`);
  return [Math.ceil(N / TILE), rows, splits];
}

/** The bias-and-ReLU epilogue of forward kernels (bias bound as `bias`, output as `y`). */
export const BIAS_RELU_STORE = `
  var v = acc;
  if (u.hasBias == 1u) { v = v + bias[n]; }
  if (u.relu == 1u) { v = max(v, 0.0); }
  y[m * u.N + n] = v;`;
