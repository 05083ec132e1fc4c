import { accessSync, constants, existsSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { UserError } from './errors';

/** Writes a file atomically: a temporary file in the same folder, then a rename. */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const temp = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(temp, data);
    renameSync(temp, path);
  } finally {
    rmSync(temp, { force: true });
  }
}

/**
 * Checks, before any long work starts and without creating anything, that
 * `dir` can hold our output: an existing folder we can write to, or a path
 * whose nearest existing ancestor is a folder we can write to.
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
    throw new UserError(`${option} ${dir}: ${probe === abs ? 'exists and is not a folder' : `${probe} is not a folder`}`);
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
