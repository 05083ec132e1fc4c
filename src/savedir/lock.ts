/**
 * One owner per save dir: `mnist-deep.lock` holds the owner's PID, host, start
 * time and command. It is created complete (written to a temp file, then hard
 * linked to its name, which fails if a lock exists), held for the whole run and
 * removed on exit. A lock whose process is gone (same host) is taken over, and
 * the caller is told so; a live one refuses the second run, naming its owner.
 */
import { existsSync, linkSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { UserError } from '../errors';
import { LOCK_FILE } from './files';
import { describeFsError, processAlive, readRegularFile, tempNameFor, thisHost, writeFileAtomic } from '../fsutil';

export { LOCK_FILE };

const LockSchema = z.object({
  pid: z.number().int().positive(),
  host: z.string(),
  startedAt: z.string(),
  command: z.string(),
});
export type LockOwner = z.infer<typeof LockSchema>;

export interface SaveDirLock {
  readonly file: string;
  /** Set when a dead run's lock was taken over: who it was. */
  readonly tookOverFrom?: LockOwner;
  release(): void;
}

/** Linux: a live PID that is not an mnist-deep process is a reused PID, so the lock is stale. */
function isMnistDeep(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('mnist-deep');
  } catch {
    return true; // no /proc, or not ours to read: assume it is
  }
}

/** A lock is a line of JSON; anything larger is not one of ours. */
const MAX_LOCK_BYTES = 64 << 10;

function readOwner(file: string): LockOwner | undefined | 'unreadable' {
  let text: string;
  try {
    text = readRegularFile(file, { maxBytes: MAX_LOCK_BYTES }).toString('utf8');
  } catch {
    return existsSync(file) ? 'unreadable' : undefined;
  }
  try {
    const parsed = LockSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : 'unreadable';
  } catch {
    return 'unreadable';
  }
}

const describeOwner = (o: LockOwner) => `process ${o.pid} on ${o.host} (\`${o.command}\`, since ${o.startedAt})`;

/** Moves a stale lock aside, but only if it is still the one we judged stale. */
function removeStale(file: string, stale: LockOwner): void {
  const aside = `${file}.${process.pid}.stale`;
  try {
    renameSync(file, aside);
  } catch {
    return; // someone else moved it first
  }
  const moved = readOwner(aside);
  if (typeof moved === 'object' && moved.pid === stale.pid && moved.startedAt === stale.startedAt) {
    rmSync(aside, { force: true });
    return;
  }
  // A newer, live lock was put there meanwhile: put it back.
  try {
    linkSync(aside, file);
  } catch {
    // a third run holds it now; ours will be refused below
  }
  rmSync(aside, { force: true });
}

export function acquireLock(dir: string, option: string): SaveDirLock {
  const file = join(dir, LOCK_FILE);
  const me: LockOwner = {
    pid: process.pid,
    host: thisHost(),
    startedAt: new Date().toISOString(),
    command: ['mnist-deep', ...process.argv.slice(2)].join(' '),
  };
  let tookOverFrom: LockOwner | undefined;
  for (let attempt = 0; attempt < 5; attempt++) {
    const temp = tempNameFor(file);
    writeFileAtomic(temp, JSON.stringify(me) + '\n');
    try {
      linkSync(temp, file);
      rmSync(temp, { force: true });
      return makeLock(file, me, tookOverFrom);
    } catch (err) {
      rmSync(temp, { force: true });
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST')
        throw new UserError(`${option} ${dir}: cannot create ${LOCK_FILE}: ${describeFsError(err)}`);
    }
    const owner = readOwner(file);
    if (owner === undefined) continue; // released meanwhile: try again
    if (owner === 'unreadable') {
      throw new UserError(
        `${option} ${dir}: ${file} is not an mnist-deep lock; if no run uses this folder, delete that file`,
      );
    }
    if (owner.host !== me.host) {
      throw new UserError(`${option} ${dir}: in use by ${describeOwner(owner)}; if that run is gone, delete ${file}`);
    }
    if (processAlive(owner.pid) && isMnistDeep(owner.pid)) {
      throw new UserError(
        `${option} ${dir}: in use by another run, ${describeOwner(owner)}; wait for it to end or use another --save-dir`,
      );
    }
    removeStale(file, owner);
    tookOverFrom = owner;
  }
  throw new UserError(`${option} ${dir}: could not take ${file} (other runs keep starting there)`);
}

function makeLock(file: string, me: LockOwner, tookOverFrom: LockOwner | undefined): SaveDirLock {
  let held = true;
  const release = () => {
    if (!held) return;
    held = false;
    process.off('exit', release);
    const owner = readOwner(file);
    if (typeof owner === 'object' && owner.pid === me.pid && owner.startedAt === me.startedAt)
      rmSync(file, { force: true });
  };
  // Also on process.exit (a second Ctrl-C): the lock never outlives its run.
  process.on('exit', release);
  return { file, tookOverFrom, release };
}

export { describeOwner };
