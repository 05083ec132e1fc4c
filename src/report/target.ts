/**
 * Where `eval --report FILE` may write: the write policy for a file the user
 * names. A new file in a folder we can write to, or an existing report of
 * ours; never a run folder's own files (weights.bin, model.json, …), never any
 * other existing file, never a device, FIFO or folder.
 */
import { lstatSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { UserError } from '../errors';
import { checkReplaceable } from '../fs/atomic';
import { describeFsError } from '../fs/errors';
import { checkWritableDir } from '../fs/paths';
import { readRegularFile } from '../fs/read';
import { REPORT_FILE, isRunDataFile } from '../run-files';

/** Every report starts with its title in the first few hundred bytes (see html.ts). */
const REPORT_SIGNATURE = '<title>mnist-deep report';
const SIGNATURE_WINDOW = 4096;

/** Whether the regular file `abs` is a report we wrote (so may be replaced by a newer one). */
function isOurReport(abs: string): boolean {
  try {
    return readRegularFile(abs, { maxBytes: Number.MAX_SAFE_INTEGER, head: SIGNATURE_WINDOW })
      .toString('utf8')
      .includes(REPORT_SIGNATURE);
  } catch {
    return false;
  }
}

/** `--report FILE`, checked before the evaluation; returns its absolute path. */
export function checkReportTarget(file: string): string {
  const option = `--report ${file}`;
  if (file.trim() === '') throw new UserError('--report: must not be empty (an unset shell variable?)');
  const abs = resolve(file);
  if (isRunDataFile(basename(abs)))
    throw new UserError(`${option}: ${basename(abs)} is a run folder's own file name; give a name such as report.html`);
  let exists = true;
  try {
    if (lstatSync(abs).isDirectory())
      throw new UserError(`${option}: is a folder; give a file name such as ${join(file, REPORT_FILE)}`);
  } catch (err) {
    if (err instanceof UserError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') throw new UserError(`${option}: ${describeFsError(err)}`);
    exists = false;
  }
  checkReplaceable(abs, option);
  if (exists && lstatSync(abs).isFile() && !isOurReport(abs))
    throw new UserError(`${option}: exists and is not an mnist-deep report; refusing to overwrite it`);
  checkWritableDir(dirname(abs), '--report');
  return abs;
}
