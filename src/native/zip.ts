/**
 * Just enough of the zip format to take a few files out of a Python wheel
 * (a zip), streaming, without holding an 800 MB library in memory and without
 * needing `unzip` on the user's machine. Zip64 sizes and offsets are handled;
 * each extracted file's size and CRC-32 are checked.
 */
import { closeSync, createReadStream, createWriteStream, readSync } from 'node:fs';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { crc32, createInflateRaw, inflateRawSync } from 'node:zlib';
import { openRegular } from '../fs/read';

export interface ZipEntry {
  name: string;
  method: number;
  crc: number;
  compressedSize: number;
  size: number;
  headerOffset: number;
}

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const MAX32 = 0xffffffff;
/** A wheel is a few hundred MB; the read policy's bound for opening one. */
const MAX_ZIP_BYTES = 16 * 2 ** 30;

/** Opens a zip by the read policy: a regular file, never a FIFO or device that would block or never end. */
function openZip(file: string): { fd: number; size: number } {
  return openRegular(file, { maxBytes: MAX_ZIP_BYTES, why: 'larger than any wheel' });
}

function readAt(fd: number, position: number, length: number): Buffer {
  const buf = Buffer.alloc(length);
  const n = readSync(fd, buf, 0, length, position);
  return buf.subarray(0, n);
}

const num64 = (buf: Buffer, at: number) => Number(buf.readBigUInt64LE(at));

/** The central directory's location and size, from the end-of-central-directory records. */
function centralDirectory(fd: number, fileSize: number): { offset: number; size: number } {
  const tailLength = Math.min(fileSize, 65557);
  const tail = readAt(fd, fileSize - tailLength, tailLength);
  let at = -1;
  for (let i = tail.length - 22; i >= 0; i--) {
    if (tail.readUInt32LE(i) === EOCD) {
      at = i;
      break;
    }
  }
  if (at < 0) throw new Error('not a zip file (no end of central directory)');
  let size = tail.readUInt32LE(at + 12);
  let offset = tail.readUInt32LE(at + 16);
  if ((size === MAX32 || offset === MAX32) && at >= 20 && tail.readUInt32LE(at - 20) === ZIP64_LOCATOR) {
    const record = readAt(fd, num64(tail, at - 20 + 8), 56);
    if (record.readUInt32LE(0) !== ZIP64_EOCD) throw new Error('zip64 end record not found');
    size = num64(record, 40);
    offset = num64(record, 48);
  }
  return { offset, size };
}

/** Every entry of the zip at `file`. */
export function listZip(file: string): ZipEntry[] {
  const { fd, size: fileSize } = openZip(file);
  try {
    const { offset, size } = centralDirectory(fd, fileSize);
    const cd = readAt(fd, offset, size);
    const entries: ZipEntry[] = [];
    let p = 0;
    while (p + 46 <= cd.length && cd.readUInt32LE(p) === CENTRAL) {
      const nameLength = cd.readUInt16LE(p + 28);
      const extraLength = cd.readUInt16LE(p + 30);
      const commentLength = cd.readUInt16LE(p + 32);
      const entry: ZipEntry = {
        name: cd.toString('utf8', p + 46, p + 46 + nameLength),
        method: cd.readUInt16LE(p + 10),
        crc: cd.readUInt32LE(p + 16),
        compressedSize: cd.readUInt32LE(p + 20),
        size: cd.readUInt32LE(p + 24),
        headerOffset: cd.readUInt32LE(p + 42),
      };
      applyZip64(entry, cd.subarray(p + 46 + nameLength, p + 46 + nameLength + extraLength));
      entries.push(entry);
      p += 46 + nameLength + extraLength + commentLength;
    }
    if (entries.length === 0) throw new Error('not a zip file (empty central directory)');
    return entries;
  } finally {
    closeSync(fd);
  }
}

/** Zip64's extra field holds, in this order, whichever of the three fields overflowed. */
function applyZip64(entry: ZipEntry, extra: Buffer): void {
  for (let q = 0; q + 4 <= extra.length;) {
    const id = extra.readUInt16LE(q);
    const length = extra.readUInt16LE(q + 2);
    if (id === 0x0001) {
      let r = q + 4;
      if (entry.size === MAX32) {
        entry.size = num64(extra, r);
        r += 8;
      }
      if (entry.compressedSize === MAX32) {
        entry.compressedSize = num64(extra, r);
        r += 8;
      }
      if (entry.headerOffset === MAX32) entry.headerOffset = num64(extra, r);
    }
    q += 4 + length;
  }
}

/** Inflates `data`, stopping at one byte past the entry's declared size. */
function inflateCapped(data: Buffer, entry: ZipEntry): Buffer {
  try {
    return inflateRawSync(data, { maxOutputLength: entry.size + 1 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE')
      throw new Error(`${entry.name}: inflates to more than its declared ${entry.size} bytes (corrupt wheel)`, {
        cause: err,
      });
    throw err;
  }
}

function dataStart(fd: number, entry: ZipEntry): number {
  const local = readAt(fd, entry.headerOffset, 30);
  if (local.length < 30 || local.readUInt32LE(0) !== LOCAL) throw new Error(`${entry.name}: bad local header`);
  if (entry.method !== 0 && entry.method !== 8)
    throw new Error(`${entry.name}: unsupported compression method ${entry.method}`);
  return entry.headerOffset + 30 + local.readUInt16LE(26) + local.readUInt16LE(28);
}

/**
 * A small entry's bytes, in memory (headers): refused when it declares more
 * than `maxBytes`, and inflated no further than it declares (a small entry
 * that inflates to gigabytes is stopped there).
 */
export function readEntry(file: string, entry: ZipEntry, maxBytes: number): Buffer {
  if (entry.size > maxBytes) throw new Error(`${entry.name}: ${entry.size} bytes, more than the ${maxBytes} allowed`);
  const { fd } = openZip(file);
  try {
    // Deflate never grows data by more than a few bytes per 64 KiB block: more compressed bytes are not a header.
    const data = readAt(fd, dataStart(fd, entry), Math.min(entry.compressedSize, maxBytes + (maxBytes >> 10) + 1024));
    const bytes = entry.method === 8 ? inflateCapped(data, entry) : data;
    if (bytes.length !== entry.size || crc32(bytes) >>> 0 !== entry.crc)
      throw new Error(`${entry.name}: corrupt entry`);
    return bytes;
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes one entry's bytes to `dest`, checking its size and CRC-32;
 * `onBytes` is called with the count of bytes written so far.
 */
export async function extractEntry(
  file: string,
  entry: ZipEntry,
  dest: string,
  onBytes?: (done: number) => void,
): Promise<void> {
  const { fd } = openZip(file);
  let start: number;
  try {
    start = dataStart(fd, entry);
  } finally {
    closeSync(fd);
  }
  let crc = 0;
  let written = 0;
  const check = new Transform({
    transform(chunk: Buffer, _enc, done) {
      written += chunk.length;
      // Decompression stops as soon as the entry runs past its declared size.
      if (written > entry.size) {
        done(new Error(`${entry.name}: inflates to more than its declared ${entry.size} bytes (corrupt wheel)`));
        return;
      }
      crc = crc32(chunk, crc);
      onBytes?.(written);
      done(null, chunk);
    },
  });
  const source = createReadStream(file, { start, end: start + entry.compressedSize - 1, highWaterMark: 1 << 20 });
  const stages = entry.method === 8 ? [source, createInflateRaw(), check] : [source, check];
  await pipeline([...stages, createWriteStream(dest)]);
  if (written !== entry.size) throw new Error(`${entry.name}: ${written} bytes extracted, expected ${entry.size}`);
  if (crc >>> 0 !== entry.crc) throw new Error(`${entry.name}: CRC mismatch (corrupt wheel)`);
}
