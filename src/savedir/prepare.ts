/**
 * A save dir made ready before any training: created, tried (a file written
 * exclusively and renamed within it), checked for free space, locked for this
 * run, and cleared of dead runs' temp files. A fresh run never replaces another
 * run's checkpoint or model unless told to (`--overwrite`).
 */
import { existsSync, mkdirSync, readdirSync, rmSync, rmdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { UserError } from '../errors';
import { removeStaleTemps, writeFileAtomic } from '../fs/atomic';
import { describeFsError } from '../fs/errors';
import { checkWritableDir } from '../fs/paths';
import { requireFreeSpace } from '../fs/space';
import { commandLine } from '../terminal/command-line';
import { CHECKPOINT_FILE, RUN_COMPANIONS, isRunFile } from '../run-files';
import { SaveDirLock, acquireLock, describeOwner } from './lock';

/** Free space kept beyond the estimate (metadata, logs; other files grow too): 20% and 1 MiB. */
const SPACE_MARGIN = 0.2;
const SPACE_MARGIN_BYTES = 1 << 20;

export interface SaveDirOptions {
  /** The option that named the folder, for messages. */
  option: '--save-dir' | '--resume';
  /** A fresh run (refuses another run's files) or the continuation of the run in the folder. */
  resume: boolean;
  overwrite: boolean;
}

export interface SaveDir {
  dir: string;
  /** Things done that the user should hear about (a stale lock taken over, …). */
  notes: string[];
  /** Unlocks; removes the folder again if this run created it and left nothing in it. */
  release(): void;
}

const mib = (bytes: number) => `${(bytes / (1 << 20)).toFixed(bytes < 10 << 20 ? 1 : 0)} MiB`;

function createDir(abs: string, dir: string, option: string): string | undefined {
  checkWritableDir(dir, option);
  try {
    return mkdirSync(abs, { recursive: true });
  } catch (err) {
    throw new UserError(`${option} ${dir}: cannot create it: ${describeFsError(err)}`);
  }
}

function tryWriting(abs: string, dir: string, option: string): void {
  const probe = join(abs, `.mnist-deep-probe-${process.pid}`);
  try {
    writeFileAtomic(probe, 'probe\n');
  } catch (err) {
    throw new UserError(`${option} ${dir}: cannot write there (${(err as Error).message.replace(`${probe}: `, '')})`);
  } finally {
    rmSync(probe, { force: true });
  }
}

/** Refuses a folder without room for `needed` bytes (what the run writes at most) and a margin. */
export function checkFreeSpace(abs: string, option: string, needed: number, dir = abs): void {
  const want = Math.ceil(needed * (1 + SPACE_MARGIN)) + SPACE_MARGIN_BYTES;
  requireFreeSpace(
    abs,
    want,
    (free) =>
      `${option} ${dir}: only ${mib(free)} free there, this run needs about ${mib(want)} (model, checkpoints and a margin)`,
  );
}

function refuseOtherRun(abs: string, dir: string, overwrite: boolean, notes: string[]): void {
  const found = readdirSync(abs).filter(isRunFile).sort();
  if (!found.length) return;
  if (!overwrite) {
    const hint = found.includes(CHECKPOINT_FILE)
      ? `continue it with \`${commandLine('train', '--resume', dir)}\`, or `
      : '';
    throw new UserError(
      `--save-dir ${dir} already holds another run (${found.join(', ')}); ${hint}add --overwrite to replace it`,
    );
  }
  const companions = readdirSync(abs).filter((n) => RUN_COMPANIONS.includes(n));
  for (const name of [...found, ...companions]) rmSync(join(abs, name), { force: true });
  notes.push(`--overwrite: removed the previous run's ${found.join(', ')} from ${dir}`);
}

/** Removes `abs` and the parents up to `created` that this run made, if empty. */
function removeCreated(abs: string, created: string | undefined): void {
  if (!created) return;
  for (let d = abs; ; d = dirname(d)) {
    try {
      rmdirSync(d);
    } catch {
      return; // not empty (or gone): keep it and its parents
    }
    if (d === created || relative(created, d).startsWith('..')) return;
  }
}

export function openSaveDir(dir: string, opts: SaveDirOptions): SaveDir {
  const abs = resolve(dir);
  const { option } = opts;
  if (opts.resume && !(existsSync(abs) && statSync(abs).isDirectory()))
    throw new UserError(`${option} ${dir}: folder not found`);
  const created = opts.resume ? undefined : createDir(abs, dir, option);
  let lock: SaveDirLock | undefined;
  try {
    // Resuming a run that a live process trains: another folder is no answer, waiting is.
    lock = acquireLock(abs, option, opts.resume ? 'it is training that run now; wait for it to end' : undefined);
    const notes: string[] = [];
    if (lock.tookOverFrom)
      notes.push(
        `took over ${lock.file} from ${describeOwner(lock.tookOverFrom)}, which ${lock.tookOverBecause ?? 'is no longer running'}`,
      );
    const stale = removeStaleTemps(abs, true);
    if (stale.length)
      notes.push(`removed ${stale.length} temporary file(s) left in ${dir} by an earlier run that died`);
    tryWriting(abs, dir, option);
    if (!opts.resume) refuseOtherRun(abs, dir, opts.overwrite, notes);
    const held = lock;
    return {
      dir: abs,
      notes,
      release: () => {
        held.release();
        removeCreated(abs, created);
      },
    };
  } catch (err) {
    lock?.release();
    removeCreated(abs, created);
    throw err;
  }
}
