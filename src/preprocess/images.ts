/**
 * PNG and JPEG files to RGBA pixels with the pure-JS decoders pngjs and jpeg-js (no native
 * image library). The size in the header is checked before anything is decoded, so a tiny file
 * that claims 30,000 x 30,000 pixels is refused instead of taking gigabytes.
 * Node only (unlike mnistify.ts); errors are plain Errors whose message does not name the file.
 */
import { closeSync } from 'node:fs';
import { openRegular, readFd } from '../fs/read';
import * as jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import type { RgbaImage } from './mnistify';

export type ImageFormat = 'png' | 'jpeg';

/** Larger than any phone photo (48 MP), far below what would exhaust memory (4 bytes/pixel). */
export const MAX_PIXELS = 50_000_000;
export const MAX_FILE_BYTES = 100 * 1024 * 1024;
export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg'];

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export function sniffFormat(bytes: Uint8Array): ImageFormat | undefined {
  if (PNG_SIGNATURE.every((b, i) => bytes[i] === b)) return 'png';
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  return undefined;
}

const u16 = (b: Uint8Array, o: number) => (b[o] << 8) | b[o + 1];
const u32 = (b: Uint8Array, o: number) => ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;

/** Width and height from the IHDR chunk, which PNG requires to come first. */
function pngSize(b: Uint8Array): { width: number; height: number } {
  if (b.length < 24) throw new Error('truncated PNG (the file ends inside its header)');
  if (String.fromCharCode(...b.subarray(12, 16)) !== 'IHDR') throw new Error('corrupt PNG (no IHDR header chunk)');
  return { width: u32(b, 16), height: u32(b, 20) };
}

/** Width and height from the first start-of-frame marker (SOF0-SOF15 less DHT, JPG, DAC). */
function jpegSize(b: Uint8Array): { width: number; height: number } {
  let o = 2;
  while (o + 4 <= b.length) {
    if (b[o] !== 0xff) throw new Error('corrupt JPEG (a marker was expected)');
    const marker = b[o + 1];
    if (marker === 0xff) {
      o++;
      continue;
    }
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd9)) {
      o += 2;
      continue;
    }
    const length = u16(b, o + 2);
    const isFrame = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isFrame) {
      if (o + 9 > b.length) break;
      return { width: u16(b, o + 7), height: u16(b, o + 5) };
    }
    o += 2 + length;
  }
  throw new Error('truncated JPEG (the file ends before its frame header)');
}

/** The size the header declares; refuses empty and oversized images before decoding. */
export function checkedSize(bytes: Uint8Array, format: ImageFormat): { width: number; height: number } {
  const size = format === 'png' ? pngSize(bytes) : jpegSize(bytes);
  if (size.width === 0 || size.height === 0)
    throw new Error(`the image is empty (${size.width}x${size.height} pixels)`);
  if (size.width * size.height > MAX_PIXELS) {
    throw new Error(
      `the image is ${size.width}x${size.height} pixels, more than the ${MAX_PIXELS / 1e6} megapixels accepted; refused without decoding`,
    );
  }
  return size;
}

/**
 * The EXIF orientation (1-8) of a JPEG, 1 when it has none. Phones store a portrait photo
 * sideways and say so here; a digit read sideways would be misread.
 */
export function exifOrientation(b: Uint8Array): number {
  let o = 2;
  while (o + 4 <= b.length && b[o] === 0xff) {
    const marker = b[o + 1];
    if (marker === 0xda || marker === 0xd9) break; // image data: no more metadata segments
    const length = u16(b, o + 2);
    const exif = marker === 0xe1 && length >= 16 && String.fromCharCode(...b.subarray(o + 4, o + 10)) === 'Exif\0\0';
    if (exif) return tiffOrientation(b.subarray(o + 10, o + 2 + length));
    o += 2 + length;
  }
  return 1;
}

/** The Orientation tag (0x0112) of a TIFF header's first IFD. */
function tiffOrientation(t: Uint8Array): number {
  const little = t[0] === 0x49; // "II"; else "MM", big-endian
  const r16 = (p: number) => (little ? t[p] | (t[p + 1] << 8) : u16(t, p));
  const r32 = (p: number) =>
    little ? (t[p] | (t[p + 1] << 8) | (t[p + 2] << 16) | (t[p + 3] << 24)) >>> 0 : u32(t, p);
  if (t.length < 8) return 1;
  const ifd = r32(4);
  if (ifd + 2 > t.length) return 1;
  for (let i = 0, n = r16(ifd); i < n; i++) {
    const e = ifd + 2 + i * 12;
    if (e + 12 > t.length) break;
    if (r16(e) === 0x0112) {
      const v = r16(e + 8);
      return v >= 1 && v <= 8 ? v : 1;
    }
  }
  return 1;
}

/** The picture as it is meant to be seen: EXIF orientation 2-8 undone (mirror, rotations, transposes). */
export function orient(img: RgbaImage, orientation: number): RgbaImage {
  if (orientation <= 1 || orientation > 8) return img;
  const { width: w, height: h, data } = img;
  const swap = orientation >= 5;
  const W = swap ? h : w;
  const H = swap ? w : h;
  // Where the shown pixel (x, y) lies in the stored picture.
  const source: Record<number, (x: number, y: number) => [number, number]> = {
    2: (x, y) => [w - 1 - x, y],
    3: (x, y) => [w - 1 - x, h - 1 - y],
    4: (x, y) => [x, h - 1 - y],
    5: (x, y) => [y, x],
    6: (x, y) => [y, h - 1 - x],
    7: (x, y) => [w - 1 - y, h - 1 - x],
    8: (x, y) => [w - 1 - y, x],
  };
  const from = source[orientation];
  const out = new Uint8Array(W * H * 4);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const [sx, sy] = from(x, y);
      const s = (sy * w + sx) * 4;
      out.set(data.subarray(s, s + 4), (y * W + x) * 4);
    }
  }
  return { width: W, height: H, data: out };
}

function describeStart(bytes: Uint8Array): string {
  if (bytes.length === 0) return 'the file is empty';
  const text = Buffer.from(bytes.subarray(0, 8))
    .toString('latin1')
    .replace(/[^\x20-\x7e]/g, '.');
  return `it starts with "${text}"`;
}

export function decodeImage(bytes: Uint8Array): RgbaImage & { format: ImageFormat } {
  const format = sniffFormat(bytes);
  if (!format) throw new Error(`not a PNG or JPEG image (${describeStart(bytes)})`);
  checkedSize(bytes, format);
  try {
    if (format === 'png') {
      const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      return { width: png.width, height: png.height, data: png.data, format };
    }
    const img = jpeg.decode(bytes, {
      useTArray: true,
      formatAsRGBA: true,
      tolerantDecoding: false,
      maxResolutionInMP: MAX_PIXELS / 1e6,
      maxMemoryUsageInMB: 1024,
    });
    return { ...orient({ width: img.width, height: img.height, data: img.data }, exifOrientation(bytes)), format };
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    const hint = /finished stream|marker was not found|unknown JPEG marker 0|end of|out of range/i.test(why)
      ? 'truncated or corrupt'
      : 'corrupt';
    throw new Error(`cannot decode ${format === 'png' ? 'PNG' : 'JPEG'}: ${hint} (${why})`, { cause: err });
  }
}

/** Reads an image file: a regular file of at most MAX_FILE_BYTES (the read policy), then decoded. */
export function readImageFile(path: string): RgbaImage & { format: ImageFormat } {
  const { fd, size } = openRegular(path, {
    maxBytes: MAX_FILE_BYTES,
    why: `the ${MAX_FILE_BYTES / 1024 / 1024} MiB accepted for an image`,
  });
  try {
    return decodeImage(readFd(fd, size));
  } finally {
    closeSync(fd);
  }
}
