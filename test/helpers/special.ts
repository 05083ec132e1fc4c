/** Special files for the read/write policy tests, made in a temp folder (never the real /dev). */
import { execFileSync } from 'node:child_process';

export const isRoot = process.getuid?.() === 0;

/** A FIFO (named pipe) at `path`. */
export function makeFifo(path: string): string {
  execFileSync('mkfifo', [path]);
  return path;
}

/** A character device like /dev/null (1,3) or /dev/zero (1,5) at `path`; undefined when not root. */
export function makeCharDevice(path: string, minor: 3 | 5 = 3): string | undefined {
  if (!isRoot) return undefined;
  execFileSync('mknod', [path, 'c', '1', String(minor)]);
  return path;
}
