/**
 * The read policy, for every file read by name: opened without blocking,
 * checked on the open descriptor to be a regular file of bounded size, then
 * read. A refusal names the cause; the caller names the file.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { UserError, errorMessage } from '../errors';
import { describeFsError, fileKind } from './errors';

export interface ReadLimits {
  /** Refuse files larger than this many bytes. */
  maxBytes: number;
  /** Says why the limit is what it is, for the message (e.g. "the size its manifest describes"). */
  why?: string;
}

/** Why a file may not be read, in words that do not repeat its name (the caller adds it). */
export class ReadRefused extends Error {}

/**
 * The read policy, for every file read by name: opened non-blocking (a FIFO's
 * open would otherwise wait for a writer), then checked with fstat on the open
 * descriptor (so a swap between check and read cannot fool it) to be a regular
 * file of at most `limits.maxBytes`. Returns the descriptor, which the caller
 * closes, and the size; throws ReadRefused.
 */
export function openRegular(file: string, limits: ReadLimits): { fd: number; size: number } {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ReadRefused(
      code === 'ENOENT'
        ? 'not found'
        : code === 'EACCES' || code === 'EPERM'
          ? 'permission denied'
          : `cannot read: ${describeFsError(err)}`,
    );
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new ReadRefused(`is ${fileKind(st)}, expected a regular file`);
    if (st.size > limits.maxBytes) {
      throw new ReadRefused(
        `${st.size} bytes, more than the ${limits.maxBytes} allowed${limits.why ? ` (${limits.why})` : ''}`,
      );
    }
    return { fd, size: st.size };
  } catch (err) {
    closeSync(fd);
    throw err instanceof ReadRefused ? err : new ReadRefused(`cannot read: ${describeFsError(err)}`);
  }
}

/** Reads up to `length` bytes of an open file from its start. */
export function readFd(fd: number, length: number): Buffer {
  const buf = Buffer.alloc(length);
  let off = 0;
  while (off < buf.length) {
    const n = readSync(fd, buf, off, buf.length - off, off);
    if (n === 0) break;
    off += n;
  }
  return off === buf.length ? buf : buf.subarray(0, off);
}

/**
 * Reads a regular file of bounded size (see openRegular); a refusal or a read
 * error is a UserError naming the file. `head`: read only the first bytes.
 */
export function readRegularFile(file: string, limits: ReadLimits & { head?: number }): Buffer {
  let opened: { fd: number; size: number };
  try {
    opened = openRegular(file, limits);
  } catch (err) {
    throw new UserError(`${file}: ${errorMessage(err)}`);
  }
  try {
    return readFd(opened.fd, Math.min(opened.size, limits.head ?? Infinity));
  } catch (err) {
    throw new UserError(`${file}: cannot read: ${describeFsError(err)}`);
  } finally {
    closeSync(opened.fd);
  }
}

/** Reads a regular file as UTF-8 text (see readRegularFile). */
export function readTextFile(file: string, maxBytes: number): string {
  return readRegularFile(file, { maxBytes }).toString('utf8');
}
