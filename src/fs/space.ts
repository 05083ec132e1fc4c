/**
 * The one free-space check: what the file system that holds a path (or will
 * hold it: its nearest existing folder) has free for us, and a refusal, in
 * the caller's words, when that is less than what is needed.
 */
import { statfsSync } from 'node:fs';
import { UserError } from '../errors';
import { nearestExisting } from './paths';

/** Bytes free to unprivileged users on the file system that holds `path` (or its nearest existing ancestor). */
export function freeBytes(path: string): number {
  const fs = statfsSync(nearestExisting(path));
  return fs.bavail * fs.bsize;
}

/** Refuses, with `refusal(free)` as the message, when fewer than `needed` bytes are free where `path` is. */
export function requireFreeSpace(path: string, needed: number, refusal: (free: number) => string): void {
  const free = freeBytes(path);
  if (free < needed) throw new UserError(refusal(free));
}
