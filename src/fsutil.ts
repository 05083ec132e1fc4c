import {
  accessSync,
  closeSync,
  constants,
  existsSync,
  fstatSync,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  readSync,
  readdirSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import type { Stats } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { UserError, errorMessage } from './errors';

/** What an errno means, in words (the raw code is kept for the unusual ones). */
export function describeFsError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOENT':
      return 'no such file or folder';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ENOSPC':
      return 'no space left on the device';
    case 'EDQUOT':
      return 'disk quota exceeded';
    case 'EFBIG':
      return 'file too large (over the file size limit)';
    case 'EROFS':
      return 'read-only file system';
    case 'ENAMETOOLONG':
      return 'name too long';
    case 'ENOTDIR':
      return 'a part of the path is not a folder';
    case 'EISDIR':
      return 'is a folder';
    case 'EEXIST':
      return 'already exists';
    case 'EIO':
      return 'input/output error';
    default:
      return errorMessage(err);
  }
}

/** A temporary name next to `path`: `<path>.<pid>.<random>.tmp` (the pid tells whose it is). */
export function tempNameFor(path: string): string {
  return `${path}.${process.pid}.${Math.random().toString(36).slice(2, 8).padEnd(6, '0')}.tmp`;
}

const TEMP_PATTERN = /\.(\d+)\.[a-z0-9]{6}\.tmp$/;

/** Whether process `pid` exists on this host (EPERM: it does, as another user). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the temporary files that runs which no longer exist left in `dir`
 * (a crash or SIGKILL between creating and renaming). `all`: every one but
 * ours (the caller holds the folder's lock, so no other live run writes there).
 */
export function removeStaleTemps(dir: string, all = false): string[] {
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return removed;
  }
  for (const name of names) {
    const m = TEMP_PATTERN.exec(name);
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid === process.pid || (!all && processAlive(pid))) continue;
    rmSync(join(dir, name), { force: true });
    removed.push(name);
  }
  return removed;
}

/** Writes all of `data` to `fd`. */
function writeAll(fd: number, data: Uint8Array): void {
  let off = 0;
  while (off < data.length) off += writeSync(fd, data, off, data.length - off);
}

/**
 * The write policy's first rule: a name that exists must be a regular file (or a
 * link, which a rename replaces without touching its target). A device, FIFO,
 * socket or folder is refused: renaming over `/dev/null` would replace the device.
 */
export function checkReplaceable(path: string, label = path): void {
  let st: Stats;
  try {
    st = lstatSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new UserError(`${label}: cannot write: ${describeFsError(err)}`);
  }
  if (st.isFile() || st.isSymbolicLink()) return;
  throw new UserError(`${label}: is ${fileKind(st)}; refusing to replace it with a regular file`);
}

/**
 * Writes a file atomically: a temporary file created exclusively (O_EXCL: never
 * through an existing name or link) in the same folder, flushed, then renamed.
 * Never replaces anything but a regular file (checkReplaceable). A failure (full
 * disk, …) is a UserError naming the file; the temp file is removed.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  checkReplaceable(path);
  const temp = tempNameFor(path);
  try {
    mkdirSync(dirname(path), { recursive: true });
    const fd = openSync(temp, 'wx', 0o644);
    try {
      writeAll(fd, bytes);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
  } catch (err) {
    throw new UserError(`${path}: cannot write: ${describeFsError(err)}`);
  } finally {
    rmSync(temp, { force: true });
  }
}

/** What kind of file `st` is, in words, for refusing anything but a regular file. */
export function fileKind(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

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

export const thisHost = () => hostname();

/** Whether `p` is `base` or lies below it (both absolute). */
export function isInside(base: string, p: string): boolean {
  const rel = relative(base, p);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/**
 * The write policy's second rule, for every name that comes from a file or an
 * option and becomes a path: `rel` resolved under `root` must lie inside it,
 * and so must its real path (no link on the way that leads out). Returns the
 * resolved path; refusals are UserErrors naming `owner` (the file or option
 * the name came from) and `folder` (what `root` is, in words).
 */
export function resolveInside(root: string, rel: string, owner: string, folder: string): string {
  const abs = resolve(root, rel);
  if (!isInside(resolve(root), abs)) throw new UserError(`${owner}: path "${rel}" leaves ${folder}; refused`);
  let real: string;
  try {
    real = realpathSync(abs);
  } catch {
    return abs; // missing: the read or write that follows names it
  }
  if (!isInside(realpathSync(root), real))
    throw new UserError(`${owner}: "${rel}" is a link to ${real}, outside ${folder}; refused`);
  return abs;
}

/**
 * Refuses `file` (named in `owner`, e.g. model.json) when it, or a symlink on
 * its way, leads outside `root`: a model folder is only what is inside it.
 */
export function checkInside(root: string, file: string, owner: string): void {
  resolveInside(root, file, owner, 'the model folder');
}

/**
 * Checks, without creating anything, that `dir` can hold our output: an existing
 * folder we can write to, or a path whose nearest existing ancestor is a folder
 * we can write to.
 */
export function checkWritableDir(dir: string, option: string): string {
  const abs = resolve(dir);
  let probe = abs;
  while (!existsSync(probe)) {
    const parent = dirname(probe);
    if (parent === probe) break;
    probe = parent;
  }
  if (!statSync(probe).isDirectory()) {
    throw new UserError(
      `${option} ${dir}: ${probe === abs ? 'exists and is not a folder' : `${probe} is not a folder`}`,
    );
  }
  try {
    accessSync(probe, constants.W_OK);
  } catch {
    throw new UserError(`${option} ${dir}: cannot write to ${probe}`);
  }
  return abs;
}

/** A path as users should see it: relative when under the current folder, else absolute. */
export function displayPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}
