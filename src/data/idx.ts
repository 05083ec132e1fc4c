import { gunzipSync } from 'node:zlib';
import { readFileSync, statSync } from 'node:fs';
import { UserError, errorMessage } from '../errors';
import { IMAGE_COLS, IMAGE_ROWS, NUM_CLASSES } from './shapes';

export const IMAGE_MAGIC = 2051;
export const LABEL_MAGIC = 2049;

export interface IdxImages {
  count: number;
  rows: number;
  cols: number;
  /** Raw pixels 0..255, count*rows*cols bytes. */
  pixels: Uint8Array;
  /** The whole file's (uncompressed) bytes, for checksums. */
  bytes: Uint8Array;
}

export interface IdxLabels {
  count: number;
  labels: Uint8Array;
  /** The whole file's (uncompressed) bytes, for checksums. */
  bytes: Uint8Array;
}

const GZIP_MAGIC = [0x1f, 0x8b];

function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === GZIP_MAGIC[0] && bytes[1] === GZIP_MAGIC[1];
}

/** Reads a file and gunzips it when it starts with the gzip magic. */
export function readMaybeGzip(file: string): Buffer {
  let raw: Buffer;
  try {
    if (statSync(file).isDirectory()) throw new UserError(`${file}: is a directory, expected an IDX file`);
    raw = readFileSync(file);
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw new UserError(`${file}: cannot read: ${describeFsError(err)}`);
  }
  if (raw.length === 0) throw new UserError(`${file}: file is empty`);
  if (!isGzip(raw)) {
    if (file.endsWith('.gz')) throw new UserError(`${file}: not a gzip file (bad gzip header)`);
    return raw;
  }
  try {
    return gunzipSync(raw);
  } catch (err) {
    throw new UserError(`${file}: corrupt or truncated gzip data (${errorMessage(err)})`);
  }
}

function describeFsError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  return errorMessage(err);
}

function header(bytes: Uint8Array, file: string, words: number): number[] {
  if (bytes.length < words * 4) {
    throw new UserError(`${file}: too short for an IDX header (${bytes.length} bytes, need ${words * 4})`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Array.from({ length: words }, (_, i) => view.getUint32(i * 4, false));
}

/** Parses an IDX3 image file: magic 2051, 28x28 images, exact length. */
export function parseImages(bytes: Uint8Array, file: string): IdxImages {
  const [magic] = header(bytes, file, 1);
  if (magic !== IMAGE_MAGIC) {
    throw new UserError(`${file}: bad magic number ${magic}, expected ${IMAGE_MAGIC} (IDX image file)`);
  }
  const [, count, rows, cols] = header(bytes, file, 4);
  if (rows !== IMAGE_ROWS || cols !== IMAGE_COLS) {
    throw new UserError(`${file}: images are ${rows}x${cols}, expected ${IMAGE_ROWS}x${IMAGE_COLS}`);
  }
  const expected = 16 + count * rows * cols;
  if (bytes.length !== expected) {
    throw new UserError(
      `${file}: length ${bytes.length} bytes does not match the header (${count} images need ${expected} bytes)`,
    );
  }
  return { count, rows, cols, pixels: bytes.subarray(16), bytes };
}

/** Parses an IDX1 label file: magic 2049, exact length, labels 0-9. */
export function parseLabels(bytes: Uint8Array, file: string): IdxLabels {
  const [magic] = header(bytes, file, 1);
  if (magic !== LABEL_MAGIC) {
    throw new UserError(`${file}: bad magic number ${magic}, expected ${LABEL_MAGIC} (IDX label file)`);
  }
  const [, count] = header(bytes, file, 2);
  const expected = 8 + count;
  if (bytes.length !== expected) {
    throw new UserError(
      `${file}: length ${bytes.length} bytes does not match the header (${count} labels need ${expected} bytes)`,
    );
  }
  const labels = bytes.subarray(8);
  const bad = labels.findIndex((l) => l >= NUM_CLASSES);
  if (bad >= 0) throw new UserError(`${file}: label ${labels[bad]} at index ${bad} is out of range 0-9`);
  return { count, labels, bytes };
}

export function readImages(file: string): IdxImages {
  return parseImages(readMaybeGzip(file), file);
}

export function readLabels(file: string): IdxLabels {
  return parseLabels(readMaybeGzip(file), file);
}

/** Checks that an image file and its label file describe the same examples. */
export function checkPair(images: IdxImages, labels: IdxLabels, imageFile: string, labelFile: string): void {
  if (images.count !== labels.count) {
    throw new UserError(
      `${imageFile}: ${images.count} images but ${labelFile} has ${labels.count} labels`,
    );
  }
}
