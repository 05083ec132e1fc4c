/** Reading a file of the model folder for the server, refusing anything that leads out of it. */
import { closeSync, constants, fstatSync, openSync, readFileSync, realpathSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';

export const REPORT_FILE = 'report.html';

/** Weights of the tutorial CNN are 13 MB; anything far larger is not ours. */
const MAX_MODEL_FILE_BYTES = 512 << 20;

/**
 * A file of the model folder, read now. Refused (undefined) when it is absent,
 * not a regular file (a FIFO would block; O_NONBLOCK makes open return), too
 * large, or a symlink whose target lies outside the folder.
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
    return readFileSync(fd);
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}
