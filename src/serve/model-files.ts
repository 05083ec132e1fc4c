/** Reading a file of the model folder for the server, refusing anything that leads out of it. */
import { closeSync, constants, fstatSync, openSync, readFileSync, realpathSync } from 'node:fs';
import type { Stats } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';

/** Weights of the tutorial CNN are 13 MB; anything far larger is not ours. */
const MAX_MODEL_FILE_BYTES = 512 << 20;

/**
 * The bytes last read of each file, by real path, with the identity they were
 * read under. Every request for an unchanged file shares one read-only buffer:
 * 600 clients that never read weights.bin hold one copy of it, not 600, and
 * nothing is allocated per request that the heap would keep after they leave.
 */
const cache = new Map<string, { identity: string; bytes: Buffer }>();

/** What changes when a file is replaced or rewritten. */
const identityOf = (st: Stats) => `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;

/**
 * A file of the model folder, as it is now (read again only when it changed).
 * Refused (undefined) when it is absent, not a regular file (a FIFO would
 * block; O_NONBLOCK makes open return), too large, or a symlink whose target
 * lies outside the folder.
 */
export function readModelFile(root: string, name: string): Buffer | undefined {
  let real: string;
  try {
    real = realpathSync(join(root, name));
  } catch {
    return undefined;
  }
  const rel = relative(root, real);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) return undefined;
  let fd: number;
  try {
    fd = openSync(real, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    return undefined;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile() || st.size > MAX_MODEL_FILE_BYTES) return undefined;
    const identity = identityOf(st);
    const cached = cache.get(real);
    if (cached?.identity === identity) return cached.bytes;
    const bytes = readFileSync(fd);
    cache.set(real, { identity, bytes });
    return bytes;
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}
