/**
 * Paths that come from files or options: containment (a name stays inside its
 * folder, links included), the nearest existing folder of a path not yet
 * made, whether a folder can take our output, and paths as users should see
 * them.
 */
import { accessSync, constants, existsSync, realpathSync, statSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { UserError } from '../errors';
import { describeFsError } from './errors';

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

/** `abs` itself if it exists, else its nearest existing ancestor (the root at worst). */
export function nearestExisting(abs: string): string {
  let probe = abs;
  while (!existsSync(probe) && dirname(probe) !== probe) probe = dirname(probe);
  return probe;
}

/**
 * The nearest existing folder of `abs` (the path `dir` that `option` named),
 * refusing a file where a folder must be: `abs` itself or an ancestor.
 */
export function nearestFolder(abs: string, dir: string, option: string): string {
  const probe = nearestExisting(abs);
  if (!statSync(probe).isDirectory()) {
    throw new UserError(
      `${option} ${dir}: ${probe === abs ? 'exists and is not a folder' : `${probe} is not a folder`}`,
    );
  }
  return probe;
}

/**
 * Checks, without creating anything, that `dir` can hold our output: an existing
 * folder we can write to, or a path whose nearest existing ancestor is a folder
 * we can write to.
 */
export function checkWritableDir(dir: string, option: string): string {
  const abs = resolve(dir);
  const probe = nearestFolder(abs, dir, option);
  try {
    accessSync(probe, constants.W_OK);
  } catch (err) {
    // The errno says why: permission, or a read-only file system (which mkdir -p would report as ENOENT).
    throw new UserError(`${option} ${dir}: cannot write to ${probe}: ${describeFsError(err)}`);
  }
  return abs;
}

/**
 * The current folder, or undefined when it was deleted under us (process.cwd() throws uv_cwd):
 * absolute paths still work then, and nothing is shown or looked for relative to it.
 */
export function currentDir(): string | undefined {
  try {
    return process.cwd();
  } catch {
    return undefined;
  }
}

/** `p` resolved against `cwd` when there is one; plain resolve() otherwise (an absolute `p` needs none). */
export const resolveFrom = (cwd: string | undefined, ...p: string[]) => (cwd ? resolve(cwd, ...p) : resolve(...p));

/** A path as users should see it: relative when under the current folder, else absolute. */
export function displayPath(path: string): string {
  const cwd = currentDir();
  if (!cwd) return path;
  const rel = relative(cwd, path);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}
