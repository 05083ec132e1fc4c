/**
 * Turns a picture of one digit (or garment) into a 28x28 input the way MNIST itself was made:
 * grey, bright on black, cropped to the digit, scaled with anti-aliasing so its longer side is
 * 20 px, and placed so that its centre of mass is the centre of the field.
 *
 * Pure and browser-safe on purpose: no imports at all, because the `serve` page loads this very
 * compiled file. Keep it that way (no node:*, no tfjs, no other project module).
 */

/** RGBA pixels, 4 bytes each, row-major: what canvas ImageData and pngjs give. */
export interface RgbaImage {
  width: number;
  height: number;
  data: Uint8Array | Uint8ClampedArray;
}

/** How the image shows its subject: a dark pen on paper, or a bright subject on black (MNIST's own). */
export type Polarity = 'dark-on-light' | 'light-on-dark';

export interface MnistifyOptions {
  /** 'auto' (default) guesses from the border and the darkest/brightest pixels. */
  polarity?: Polarity | 'auto';
  /**
   * 'digit' (default): longer side 20 px, centre of mass at the centre (MNIST).
   * 'garment': longer side 28 px, bounding box centred (how Fashion-MNIST was made).
   */
  layout?: 'digit' | 'garment';
}

export interface Mnistified {
  /** 784 values in [0, 1], bright subject on black, row-major. */
  pixels: Float32Array;
  /** The polarity assumed (given, or guessed when 'auto'). */
  polarity: Polarity;
}

export const FIELD = 28;
const DIGIT_BOX = 20;
/** Below this contrast (fraction of full scale) between border and subject, the image is blank. */
const MIN_CONTRAST = 0.1;
/** Pixels fainter than this (after normalising the subject to 1) do not count for the bounding box. */
const FAINT = 0.25;
/** Intensities below this are background noise (JPEG ringing, paper texture) and become 0. */
const NOISE_FLOOR = 0.1;

export function mnistify(image: RgbaImage, options: MnistifyOptions = {}): Mnistified {
  const { width, height } = checkImage(image);
  const grey = compositeGrey(image);
  const given = options.polarity && options.polarity !== 'auto' ? options.polarity : undefined;
  const polarity = given ?? guessPolarity(grey, width, height);
  if (polarity === 'dark-on-light') for (let i = 0; i < grey.length; i++) grey[i] = 1 - grey[i];
  const intensity = normalise(grey, width, height, given);
  const box = boundingBox(intensity, width, height);
  const crop = cropTo(intensity, width, box);
  const garment = options.layout === 'garment';
  const scale = (garment ? FIELD : DIGIT_BOX) / Math.max(box.w, box.h);
  const { ox, oy } = placement(crop, box, scale, garment);
  return { pixels: stretchPeak(resample(crop, box.w, box.h, scale, ox, oy)), polarity };
}

function checkImage(image: RgbaImage): { width: number; height: number } {
  const { width, height, data } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 0 || height < 0) {
    throw new Error(`invalid image size ${width}x${height}`);
  }
  if (width === 0 || height === 0) throw new Error(`the image is empty (${width}x${height} pixels)`);
  if (!data || data.length !== width * height * 4) {
    throw new Error(
      `image data has ${data ? data.length : 0} bytes, expected ${width * height * 4} (RGBA, ${width}x${height})`,
    );
  }
  return { width, height };
}

/** The border pixels' indices (each once). */
function borderIndices(width: number, height: number): number[] {
  const out: number[] = [];
  for (let x = 0; x < width; x++) {
    out.push(x);
    if (height > 1) out.push((height - 1) * width + x);
  }
  for (let y = 1; y < height - 1; y++) {
    out.push(y * width);
    if (width > 1) out.push(y * width + width - 1);
  }
  return out;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * Luminance (Rec. 601, as PIL's 'L') with alpha composited on the background. An opaque image
 * keeps its own background; where the border is transparent (a stroke drawn on a clear canvas),
 * the stroke is composited on the colour that contrasts with it, so a white pen on a transparent
 * canvas is not lost on white.
 */
function compositeGrey(image: RgbaImage): Float32Array {
  const { width, height, data } = image;
  const n = width * height;
  const grey = new Float32Array(n);
  const alpha = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const o = i * 4;
    grey[i] = (0.299 * data[o] + 0.587 * data[o + 1] + 0.114 * data[o + 2]) / 255;
    alpha[i] = data[o + 3] / 255;
  }
  const border = borderIndices(width, height);
  const borderAlpha = border.reduce((s, i) => s + alpha[i], 0) / border.length;
  let background = 1;
  if (borderAlpha < 0.5) {
    let weight = 0;
    let sum = 0;
    for (let i = 0; i < n; i++) {
      weight += alpha[i];
      sum += alpha[i] * grey[i];
    }
    if (weight === 0) throw new Error('no digit found: the image is fully transparent');
    background = sum / weight < 0.5 ? 1 : 0;
  }
  for (let i = 0; i < n; i++) grey[i] = alpha[i] * grey[i] + (1 - alpha[i]) * background;
  return grey;
}

/** The subject is whichever extreme lies further from the background (the border's median). */
function guessPolarity(grey: Float32Array, width: number, height: number): Polarity {
  const background = median(borderIndices(width, height).map((i) => grey[i]));
  let lo = 1;
  let hi = 0;
  for (const v of grey) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return background - lo > hi - background ? 'dark-on-light' : 'light-on-dark';
}

/** Background (border median) to 0, brightest pixel to 1, faint noise to 0; throws on a blank image. */
function normalise(intensity: Float32Array, width: number, height: number, given?: Polarity): Float32Array {
  const background = median(borderIndices(width, height).map((i) => intensity[i]));
  let peak = 0;
  for (const v of intensity) if (v > peak) peak = v;
  const range = peak - background;
  if (range < MIN_CONTRAST && given) {
    throw new Error(
      `no digit found: nothing stands out from the background when read as ${given} (is that the right polarity?)`,
    );
  }
  if (range < MIN_CONTRAST) {
    throw new Error(
      `no digit found: the image is blank (contrast ${Math.max(0, range * 100).toFixed(0)}% between subject and background)`,
    );
  }
  const out = new Float32Array(intensity.length);
  for (let i = 0; i < out.length; i++) {
    const v = (intensity[i] - background) / range;
    out[i] = v <= NOISE_FLOOR ? 0 : Math.min(1, (v - NOISE_FLOOR) / (1 - NOISE_FLOOR));
  }
  return out;
}

interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

function boundingBox(intensity: Float32Array, width: number, height: number): Box {
  let x0 = width;
  let y0 = height;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (intensity[y * width + x] < FAINT) continue;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
    }
  }
  // Cannot happen after normalise() (the peak is 1), but keep the function total.
  if (x1 < 0) throw new Error('no digit found: the image is blank');
  return { x: x0, y: y0, w: x1 - x0 + 1, h: y1 - y0 + 1 };
}

function cropTo(intensity: Float32Array, width: number, box: Box): Float32Array {
  const out = new Float32Array(box.w * box.h);
  for (let y = 0; y < box.h; y++) {
    const from = (box.y + y) * width + box.x;
    out.set(intensity.subarray(from, from + box.w), y * box.w);
  }
  return out;
}

interface Taps {
  start: number;
  weights: Float32Array;
}

/**
 * Triangle-filter taps that map source samples 0..inSize-1 onto FIELD outputs, where source
 * coordinate u lands at output coordinate offset + u * scale. When shrinking, the filter widens
 * with the scale, so every source pixel contributes (anti-aliasing); when enlarging it is linear
 * interpolation. Weights are normalised over the whole kernel: beyond the source is background.
 */
function taps(inSize: number, scale: number, offset: number): Taps[] {
  const radius = Math.max(1, 1 / scale);
  const out: Taps[] = [];
  for (let i = 0; i < FIELD; i++) {
    const centre = (i + 0.5 - offset) / scale;
    const first = Math.floor(centre - radius);
    const last = Math.ceil(centre + radius);
    const start = Math.max(0, first);
    const weights = new Float32Array(Math.max(0, Math.min(inSize, last) - start));
    let sum = 0;
    for (let x = first; x < last; x++) {
      const w = Math.max(0, 1 - Math.abs((x + 0.5 - centre) / radius));
      sum += w;
      if (x >= start && x - start < weights.length) weights[x - start] = w;
    }
    if (sum > 0) for (let k = 0; k < weights.length; k++) weights[k] /= sum;
    out.push({ start, weights });
  }
  return out;
}

/** Separable resampling of a w x h image into the 28x28 field, rows first, then columns. */
function resample(src: Float32Array, w: number, h: number, scale: number, ox: number, oy: number): Float32Array {
  const across = taps(w, scale, ox);
  const down = taps(h, scale, oy);
  const rows = new Float32Array(FIELD * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < FIELD; x++) {
      const { start, weights } = across[x];
      let v = 0;
      for (let k = 0; k < weights.length; k++) v += weights[k] * src[y * w + start + k];
      rows[y * FIELD + x] = v;
    }
  }
  const out = new Float32Array(FIELD * FIELD);
  for (let y = 0; y < FIELD; y++) {
    const { start, weights } = down[y];
    for (let x = 0; x < FIELD; x++) {
      let v = 0;
      for (let k = 0; k < weights.length; k++) v += weights[k] * rows[(start + k) * FIELD + x];
      out[y * FIELD + x] = v;
    }
  }
  return out;
}

/** Centre of mass in continuous coordinates (pixel i spans [i, i+1)). */
function centreOfMass(src: Float32Array, w: number, h: number): { x: number; y: number } {
  let mass = 0;
  let mx = 0;
  let my = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const v = src[y * w + x];
      mass += v;
      mx += v * (x + 0.5);
      my += v * (y + 0.5);
    }
  }
  return { x: mx / mass, y: my / mass };
}

/**
 * Where the scaled crop goes in the field (its top-left corner, in field pixels). Digits: the
 * centre of mass on pixel (14, 14), which is where MNIST has it (mean over its test set: 14.00,
 * 13.99), placed to the sub-pixel so that the result does not jump with the input's size.
 * Garments: the box centred. Either way the whole box stays inside the field.
 */
function placement(crop: Float32Array, box: Box, scale: number, garment: boolean): { ox: number; oy: number } {
  const w = box.w * scale;
  const h = box.h * scale;
  if (garment) return { ox: (FIELD - w) / 2, oy: (FIELD - h) / 2 };
  const c = centreOfMass(crop, box.w, box.h);
  const clamp = (v: number, size: number) => Math.min(FIELD - size, Math.max(0, v));
  return { ox: clamp(FIELD / 2 + 0.5 - c.x * scale, w), oy: clamp(FIELD / 2 + 0.5 - c.y * scale, h) };
}

/** MNIST strokes reach full intensity; a thin stroke shrunk from a large image would not. */
function stretchPeak(pixels: Float32Array): Float32Array {
  let peak = 0;
  for (const v of pixels) if (v > peak) peak = v;
  if (peak > 0) for (let i = 0; i < pixels.length; i++) pixels[i] = Math.min(1, pixels[i] / peak);
  return pixels;
}
