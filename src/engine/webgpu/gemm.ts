/**
 * The matrix-product loop every GEMM-shaped kernel shares (convolutions as
 * implicit GEMMs, dense layers): C[m, n] = Σ_k A(m, k)·B(k, n). A workgroup of
 * 16×16 threads computes a tile of 16R×16R outputs, R×R per thread (R = 1 for
 * small products, where more workgroups matter more; R = 4 for large ones,
 * where each value staged in workgroup memory is used 4 times more), staging
 * 16-wide slices of A and B through workgroup memory. Each kernel supplies how
 * to gather A and B (a convolution's im2col is computed on the fly, never
 * stored) and how to store a result; workgroup z takes the k range
 * [z·kChunk, (z + 1)·kChunk) (split-K: partial sums, added by sum-partials.ts).
 */
export type Reg = 1 | 4;

/** Threads per side of a workgroup, and the k slice staged at a time. */
const SIDE = 16;

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

/** The kernel's WGSL for R×R outputs per thread. */
export function gemmSource(p: GemmParts, reg: Reg): string {
  const fields = ['M', 'N', 'K', 'kChunk', ...p.fields].map((f) => `${f}: u32,`).join(' ');
  const bindings = p.bindings.map((b, i) => `@group(0) @binding(${i + 1}) ${b};`).join('\n');
  const tile = SIDE * reg;
  return `
struct U { ${fields} }
@group(0) @binding(0) var<uniform> u: U;
${bindings}
var<workgroup> ta: array<f32, ${tile * SIDE}>;
var<workgroup> tb: array<f32, ${tile * SIDE}>;
fn loadA(m: u32, k: u32) -> f32 { ${p.loadA} }
fn loadB(k: u32, n: u32) -> f32 { ${p.loadB} }
fn store(m: u32, n: u32, z: u32, acc: f32) { ${p.store} }
@compute @workgroup_size(${SIDE}, ${SIDE})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u,
        @builtin(local_invocation_index) li: u32) {
  let m0 = wg.y * ${tile}u;
  let n0 = wg.x * ${tile}u;
  let kBegin = wg.z * u.kChunk;
  let kEnd = min(kBegin + u.kChunk, u.K);
  var acc: array<array<f32, ${reg}>, ${reg}>;
  for (var k0 = kBegin; k0 < kEnd; k0 = k0 + ${SIDE}u) {
    for (var e = 0u; e < ${reg}u; e = e + 1u) {
      let idx = li + e * ${SIDE * SIDE}u;
      // A's slice: ${tile} rows of ${SIDE} k; B's: ${SIDE} k of ${tile} columns.
      let am = m0 + idx / ${SIDE}u;
      let ak = k0 + idx % ${SIDE}u;
      var av = 0.0;
      if (am < u.M && ak < kEnd) { av = loadA(am, ak); }
      ta[idx] = av;
      let bk = k0 + idx / ${tile}u;
      let bn = n0 + idx % ${tile}u;
      var bv = 0.0;
      if (bk < kEnd && bn < u.N) { bv = loadB(bk, bn); }
      tb[idx] = bv;
    }
    workgroupBarrier();
    for (var k = 0u; k < ${SIDE}u; k = k + 1u) {
      var a: array<f32, ${reg}>;
      var b: array<f32, ${reg}>;
      for (var r = 0u; r < ${reg}u; r = r + 1u) {
        a[r] = ta[(lid.y + r * ${SIDE}u) * ${SIDE}u + k];
        b[r] = tb[k * ${tile}u + lid.x + r * ${SIDE}u];
      }
      for (var i = 0u; i < ${reg}u; i = i + 1u) {
        for (var j = 0u; j < ${reg}u; j = j + 1u) { acc[i][j] = acc[i][j] + a[i] * b[j]; }
      }
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < ${reg}u; i = i + 1u) {
    for (var j = 0u; j < ${reg}u; j = j + 1u) {
      let m = m0 + lid.y + i * ${SIDE}u;
      let n = n0 + lid.x + j * ${SIDE}u;
      if (m < u.M && n < u.N) { store(m, n, wg.z, acc[i][j]); }
    }
  }
}`;
}

/** Both variants of a kernel's source, made on first use. */
export function gemmSources(p: GemmParts): (reg: Reg) => string {
  const made = new Map<Reg, string>();
  return (reg) => {
    let s = made.get(reg);
    if (!s) made.set(reg, (s = gemmSource(p, reg)));
    return s;
  };
}

/** Outputs per thread side: 4 where the product still makes enough workgroups for a large GPU, else 1. */
export function gemmReg(M: number, N: number, splits = 1): Reg {
  const wide = SIDE * 4;
  return Math.ceil(M / wide) * Math.ceil(N / wide) * splits >= 256 ? 4 : 1;
}

/** Workgroups for an M×N product in `splits` k-chunks. */
export function gemmGrid(M: number, N: number, splits: number, reg: Reg): [number, number, number] {
  const tile = SIDE * reg;
  const rows = Math.ceil(M / tile);
  if (rows > 65535) throw new RangeError(`a product of ${M} rows is more than one dispatch takes; use a smaller batch`);
  return [Math.ceil(N / tile), rows, splits];
}

/** The bias-and-ReLU epilogue of forward kernels (bias bound as `bias`, output as `y`). */
export const BIAS_RELU_STORE = `
  var v = acc;
  if (u.hasBias == 1u) { v = v + bias[n]; }
  if (u.relu == 1u) { v = max(v, 0.0); }
  y[m * u.N + n] = v;`;
