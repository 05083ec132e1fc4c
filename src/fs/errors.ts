/**
 * What a failed file operation means, in words: an errno, or the kind of a file
 * that is not a regular one. Shared by the write and read policies so that
 * every message about a file says the same thing for the same cause.
 */
import type { Stats } from 'node:fs';
import { errorMessage } from '../errors';

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

/** What kind of file `st` is, in words, for refusing anything but a regular file. */
export function fileKind(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}
