/**
 * The write policy: a file is written to a temporary name created exclusively
 * beside it, flushed and renamed into place, and only a regular file (or a
 * link) is ever replaced. Temp files of runs that died are cleared by pid.
 */
import {
  closeSync,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import type { Stats } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { UserError } from '../errors';
import { describeFsError, fileKind } from './errors';
import { processAlive } from './process';

/** The longest file name most file systems take (NAME_MAX), in bytes. */
const NAME_MAX = 255;

/**
 * A temporary name next to `path`: `<name>.<pid>.<random>.tmp` (the pid tells whose it is), the
 * name shortened, a whole character at a time, where a legal long name would take it past NAME_MAX.
 */
export function tempNameFor(path: string): string {
  const suffix = `.${process.pid}.${Math.random().toString(36).slice(2, 8).padEnd(6, '0')}.tmp`;
  const name = basename(path);
  const chars = Array.from(name);
  while (Buffer.byteLength(chars.join('') + suffix) > NAME_MAX && chars.length > 1) chars.pop();
  return path.slice(0, path.length - name.length) + chars.join('') + suffix;
}

const TEMP_PATTERN = /\.(\d+)\.[a-z0-9]{6}\.tmp$/;

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
