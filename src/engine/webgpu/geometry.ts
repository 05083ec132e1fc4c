/** The shapes kernels are built for (per example; NHWC activations, HWIO filters, as TF.js keeps them). */
export interface ConvGeometry {
  inH: number;
  inW: number;
  inC: number;
  outH: number;
  outW: number;
  outC: number;
  kH: number;
  kW: number;
  sH: number;
  sW: number;
  padT: number;
  padL: number;
}

/** A pooling window's geometry (channels unchanged). */
export interface PoolGeometry {
  inH: number;
  inW: number;
  c: number;
  outH: number;
  outW: number;
  pH: number;
  pW: number;
  sH: number;
  sW: number;
  padT: number;
  padL: number;
}

/** TF's output size and leading padding for one dimension ('same' or 'valid'). */
export function outputAndPad(size: number, k: number, s: number, padding: 'same' | 'valid'): [number, number] {
  if (padding === 'valid') return [Math.ceil((size - k + 1) / s), 0];
  const out = Math.ceil(size / s);
  return [out, Math.floor(Math.max((out - 1) * s + k - size, 0) / 2)];
}

/** The uniform fields of a convolution, as the conv kernels name them. */
export const convFields = (g: ConvGeometry) => ({
  H: g.inH,
  W: g.inW,
  C: g.inC,
  OH: g.outH,
  OW: g.outW,
  CO: g.outC,
  KH: g.kH,
  KW: g.kW,
  SH: g.sH,
  SW: g.sW,
  PT: g.padT,
  PL: g.padL,
});
export const CONV_FIELDS = Object.keys(convFields({} as ConvGeometry));

/** WGSL ending a GEMM load: x[b, oh·SH + kh − PT, ow·SW + kw − PL, ci], 0 in the padding (conv forward and filter gradient). */
export const GATHER_INPUT = `
  let ih = i32(oh * u.SH + kh) - i32(u.PT);
  let iw = i32(ow * u.SW + kw) - i32(u.PL);
  if (ih < 0 || iw < 0 || ih >= i32(u.H) || iw >= i32(u.W)) { return 0.0; }
  return x[((b * u.H + u32(ih)) * u.W + u32(iw)) * u.C + ci];`;
