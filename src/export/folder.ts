/**
 * A SavedModel is a folder, so it gets the file write policy in folder form: it is built under a
 * temporary name beside the target and renamed into place; with --overwrite only a folder that
 * holds just what export writes there (saved_model.pb) is replaced, never another.
 */
import { lstatSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../errors';
import { tempNameFor, writeFileAtomic } from '../fs/atomic';
import { describeFsError } from '../fs/errors';
import { displayPath } from '../fs/paths';

/** The files export writes into the folder, by name. */
export type FolderContents = Record<string, Uint8Array>;

/** Whether `path` holds just the files export writes there (so --overwrite may replace it). */
function ours(path: string, contents: FolderContents): boolean {
  const names = readdirSync(path);
  return names.length > 0 && names.every((n) => n in contents && lstatSync(join(path, n)).isFile());
}

/** Refuses a target that exists, unless `overwrite` and it is a folder export wrote. */
export function checkFolderTarget(path: string, contents: FolderContents, overwrite: boolean): boolean {
  const shown = displayPath(path);
  try {
    const st = lstatSync(path);
    if (!overwrite) throw new UserError(`--out ${shown}: already exists`, { hint: 'pass --overwrite to replace it' });
    if (!st.isDirectory() || !ours(path, contents))
      throw new UserError(`--out ${shown}: is not a SavedModel folder written by export; refusing to replace it`);
    return true;
  } catch (err) {
    if (err instanceof UserError) throw err;
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw new UserError(`--out ${shown}: cannot write: ${describeFsError(err)}`);
  }
}

/** Writes the folder under a temporary name, then renames it over `path` (`replace`: the old one goes after). */
export function writeFolderAtomic(path: string, contents: FolderContents, replace: boolean): void {
  const temp = tempNameFor(path);
  const old = tempNameFor(path);
  try {
    try {
      mkdirSync(temp);
    } catch (err) {
      throw new UserError(`--out ${displayPath(path)}: cannot write: ${describeFsError(err)}`);
    }
    for (const [name, bytes] of Object.entries(contents)) writeFileAtomic(join(temp, name), bytes);
    if (replace) renameSync(path, old);
    try {
      renameSync(temp, path);
    } catch (err) {
      if (replace) renameSync(old, path);
      throw err;
    }
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw new UserError(`--out ${displayPath(path)}: cannot write: ${describeFsError(err)}`);
  } finally {
    rmSync(temp, { recursive: true, force: true });
    rmSync(old, { recursive: true, force: true });
  }
}
