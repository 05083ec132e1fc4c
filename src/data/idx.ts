/**
 * The IDX format of MNIST's four files (magic, counts, then bytes), plain or
 * gzipped. Sizes are checked against the header before anything is read or
 * inflated, because a data file is input: a wrong or hostile one is a
 * one-line error naming it, never an allocation of what its header claims.
 */
import { constants as zlibConstants, gunzipSync } from 'node:zlib';
import { UserError, errorMessage } from '../errors';
import { readRegularFile } from '../fs/read';
import { memoryAvailable } from '../memory/available';
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

/** Larger sets than any MNIST-like one (EMNIST has 814,255 images): refused before reading or inflating. */
export const MAX_IDX_COUNT = 1_000_000;
/** The largest IDX file we accept: MAX_IDX_COUNT images. */
const MAX_IDX_BYTES = 16 + MAX_IDX_COUNT * IMAGE_ROWS * IMAGE_COLS;
/** Enough of the compressed stream to hold the header once inflated (and at most ~4 MB inflated). */
const HEADER_PEEK_BYTES = 4096;

/** The size an IDX file's header implies (the caller's parser checks the header itself). */
export type SizeFromHeader = (header: Uint8Array) => number | undefined;

const word = (h: Uint8Array, i: number) => new DataView(h.buffer, h.byteOffset, h.byteLength).getUint32(i * 4, false);

/** An image file's size by its header (16 + count*rows*cols); undefined when it is not one (left to the parser). */
export const imageFileSize: SizeFromHeader = (h) =>
  h.length >= 16 && word(h, 0) === IMAGE_MAGIC ? 16 + word(h, 1) * word(h, 2) * word(h, 3) : undefined;

/** A label file's size by its header (8 + count); undefined when it is not one. */
export const labelFileSize: SizeFromHeader = (h) =>
  h.length >= 8 && word(h, 0) === LABEL_MAGIC ? 8 + word(h, 1) : undefined;

/** Bytes a data file's contents take once read: its bytes, and its pixels as floats for training. */
const BYTES_HELD_PER_BYTE = 5;

/**
 * Refuses a file whose header claims more than this process can hold (a small gzip stream can
 * claim a million images), before it is inflated; `available` is measured unless given (tests).
 */
export function requireRoomFor(file: string, bytes: number, available = memoryAvailable()): void {
  const needed = bytes * BYTES_HELD_PER_BYTE;
  if (needed <= available) return;
  const gb = (n: number) => `${(n / 1e9).toFixed(1)} GB`;
  throw new UserError(
    `${file}: its header describes ${bytes} bytes of data (about ${gb(needed)} once read), ` +
      `more than the ${gb(available)} of memory this process can have`,
  );
}

/** The first bytes of a gzip stream, inflated (a truncated stream is fine here). */
function peekGunzip(raw: Buffer): Buffer {
  try {
    return gunzipSync(raw.subarray(0, HEADER_PEEK_BYTES), { finishFlush: zlibConstants.Z_SYNC_FLUSH });
  } catch {
    return Buffer.alloc(0);
  }
}

/**
 * Reads an IDX file, gunzipping it when it starts with the gzip magic. Only a
 * regular file is read, and no more than the header implies: a FIFO, a device
 * or a folder is refused by name, a file larger than any data set is refused
 * before it is read, and inflation stops at the size the header describes.
 */
export function readMaybeGzip(file: string, sizeFromHeader: SizeFromHeader): Buffer {
  const raw = readRegularFile(file, {
    maxBytes: MAX_IDX_BYTES,
    why: `no IDX file of up to ${MAX_IDX_COUNT} images is larger`,
  });
  if (raw.length === 0) throw new UserError(`${file}: file is empty`);
  if (!isGzip(raw)) {
    if (file.endsWith('.gz')) throw new UserError(`${file}: not a gzip file (bad gzip header)`);
    requireRoomFor(file, raw.length);
    return raw;
  }
  const expected = sizeFromHeader(peekGunzip(raw));
  if (expected !== undefined && expected > MAX_IDX_BYTES) {
    throw new UserError(
      `${file}: its header describes ${expected} bytes, more than any data set of up to ${MAX_IDX_COUNT} images`,
    );
  }
  if (expected !== undefined) requireRoomFor(file, expected);
  try {
    return gunzipSync(raw, { maxOutputLength: expected ?? MAX_IDX_BYTES });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new UserError(
        `${file}: inflates to more than the ${expected ?? MAX_IDX_BYTES} bytes its header describes (corrupt, or not an IDX file)`,
      );
    }
    throw new UserError(`${file}: corrupt or truncated gzip data (${errorMessage(err)})`);
  }
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
  return parseImages(readMaybeGzip(file, imageFileSize), file);
}

export function readLabels(file: string): IdxLabels {
  return parseLabels(readMaybeGzip(file, labelFileSize), file);
}

/** Checks that an image file and its label file describe the same examples. */
export function checkPair(images: IdxImages, labels: IdxLabels, imageFile: string, labelFile: string): void {
  if (images.count !== labels.count) {
    throw new UserError(`${imageFile}: ${images.count} images but ${labelFile} has ${labels.count} labels`);
  }
}
