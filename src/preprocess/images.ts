/**
 * PNG and JPEG files to RGBA pixels with the pure-JS decoders pngjs and jpeg-js (no native
 * image library). The size in the header is checked before anything is decoded, so a tiny file
 * that claims 30,000 x 30,000 pixels is refused instead of taking gigabytes.
 * Node only (unlike mnistify.ts); errors are plain Errors whose message does not name the file.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
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
  if (size.width === 0 || size.height === 0) throw new Error(`the image is empty (${size.width}x${size.height} pixels)`);
  if (size.width * size.height > MAX_PIXELS) {
    throw new Error(`the image is ${size.width}x${size.height} pixels, more than the ${MAX_PIXELS / 1e6} megapixels accepted; refused without decoding`);
  }
  return size;
}

function describeStart(bytes: Uint8Array): string {
  if (bytes.length === 0) return 'the file is empty';
  const text = Buffer.from(bytes.subarray(0, 8)).toString('latin1').replace(/[^\x20-\x7e]/g, '.');
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
    return { width: img.width, height: img.height, data: img.data, format };
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    const hint = /finished stream|marker was not found|unknown JPEG marker 0|end of|out of range/i.test(why) ? 'truncated or corrupt' : 'corrupt';
    throw new Error(`cannot decode ${format === 'png' ? 'PNG' : 'JPEG'}: ${hint} (${why})`, { cause: err });
  }
}

/** Reads an image file: a regular file of at most MAX_FILE_BYTES, then decoded. */
export function readImageFile(path: string): RgbaImage & { format: ImageFormat } {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(code === 'ENOENT' ? 'not found' : code === 'EACCES' ? 'permission denied' : `cannot open (${code ?? String(err)})`, { cause: err });
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new Error('not a regular file');
    if (stat.size > MAX_FILE_BYTES) throw new Error(`${stat.size} bytes, more than the ${MAX_FILE_BYTES / 1024 / 1024} MiB accepted for an image`);
    const bytes = Buffer.alloc(stat.size);
    let read = 0;
    while (read < bytes.length) {
      const n = readSync(fd, bytes, read, bytes.length - read, read);
      if (n === 0) break;
      read += n;
    }
    return decodeImage(bytes.subarray(0, read));
  } finally {
    closeSync(fd);
  }
}
