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
import { UserError, errorMessage } from '../errors';
import { tempNameFor, writeFileAtomic } from '../fs/atomic';
import { describeFsError } from '../fs/errors';
import { processAlive, thisHost } from '../fs/process';
import { readRegularFile } from '../fs/read';
import { LOCK_FILE } from '../run-files';

const LockSchema = z.object({
  pid: z.number().int().positive(),
  host: z.string(),
  startedAt: z.string(),
  command: z.string(),
});
export type LockOwner = z.infer<typeof LockSchema>;

/** The refusal when a live run of this host holds the lock: its owner, for a caller that would rather wait. */
export class LockBusyError extends UserError {
  constructor(
    message: string,
    readonly owner: LockOwner,
  ) {
    super(message);
    this.name = 'LockBusyError';
  }
}

export interface SaveDirLock {
  readonly file: string;
  /** Set when a dead run's lock was taken over: who it was. */
  readonly tookOverFrom?: LockOwner;
  /** Why that run was judged gone, in words: "is no longer running", or what its PID runs now. */
  readonly tookOverBecause?: string;
  release(): void;
}

/** Linux's clock ticks per second in /proc/PID/stat (USER_HZ: 100 on every architecture Node runs on). */
const USER_HZ = 100;

/** When process `pid` started (ms since the epoch), from /proc; undefined when /proc cannot say. */
function processStart(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces and parentheses): starttime is field 22.
    const ticks = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
    const boot = Number(/^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1]);
    return Number.isFinite(ticks) && Number.isFinite(boot) ? boot * 1000 + (ticks * 1000) / USER_HZ : undefined;
  } catch {
    return undefined;
  }
}

/**
 * What a lock's live PID is now (Linux): the run that wrote the lock, or
 * another program given the PID since. A process still alive that started
 * before the lock was written is its writer (a PID is not reused while its
 * process lives); one that started later is not, whatever its command line.
 * Without a start time, the command line decides (does it name mnist-deep?).
 * Elsewhere, or when /proc cannot be read, the process is taken to be the run.
 */
export function pidNowRuns(owner: LockOwner): { ours: true } | { ours: false; command: string } {
  let cmdline: string;
  try {
    cmdline = readFileSync(`/proc/${owner.pid}/cmdline`, 'utf8');
  } catch {
    return { ours: true };
  }
  const command = cmdline.replace(/\0+$/, '').split('\0').join(' ');
  const started = processStart(owner.pid);
  const lockedAt = Date.parse(owner.startedAt);
  // A second of slack: the start time has 10 ms resolution and the lock is written after start-up.
  const ours =
    started !== undefined && Number.isFinite(lockedAt) ? started <= lockedAt + 1000 : command.includes('mnist-deep');
  return ours ? { ours: true } : { ours: false, command };
}

/** A lock is a line of JSON; anything larger is not one of ours. */
const MAX_LOCK_BYTES = 64 << 10;

/** Not a lock of ours, and why (a FIFO, too large, not our JSON): said, never waited on. */
interface NotALock {
  why: string;
}

function readOwner(file: string): LockOwner | undefined | NotALock {
  let text: string;
  try {
    text = readRegularFile(file, { maxBytes: MAX_LOCK_BYTES }).toString('utf8');
  } catch (err) {
    return existsSync(file) ? { why: errorMessage(err).replace(`${file}: `, '') } : undefined;
  }
  try {
    const parsed = LockSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : { why: 'not the JSON of a lock' };
  } catch {
    return { why: 'not JSON' };
  }
}

/** The live run of this host holding `dir`'s lock, if any (a dead one's lock, or another host's, is not one). */
export function liveOwner(dir: string): LockOwner | undefined {
  const owner = readOwner(join(dir, LOCK_FILE));
  if (typeof owner !== 'object' || !('pid' in owner) || owner.host !== thisHost()) return undefined;
  return processAlive(owner.pid) && pidNowRuns(owner).ours ? owner : undefined;
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
  if (typeof moved === 'object' && 'pid' in moved && moved.pid === stale.pid && moved.startedAt === stale.startedAt) {
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

export function acquireLock(
  dir: string,
  option: string,
  busyAdvice = 'wait for it to end or use another --save-dir',
): SaveDirLock {
  const file = join(dir, LOCK_FILE);
  const me: LockOwner = {
    pid: process.pid,
    host: thisHost(),
    startedAt: new Date().toISOString(),
    command: ['mnist-deep', ...process.argv.slice(2)].join(' '),
  };
  let tookOverFrom: LockOwner | undefined;
  let tookOverBecause: string | undefined;
  for (let attempt = 0; attempt < 5; attempt++) {
    const temp = tempNameFor(file);
    writeFileAtomic(temp, JSON.stringify(me) + '\n');
    try {
      linkSync(temp, file);
      rmSync(temp, { force: true });
      return makeLock(file, me, tookOverFrom, tookOverBecause);
    } catch (err) {
      rmSync(temp, { force: true });
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST')
        throw new UserError(`${option} ${dir}: cannot create ${LOCK_FILE}: ${describeFsError(err)}`);
    }
    const owner = readOwner(file);
    if (owner === undefined) continue; // released meanwhile: try again
    if ('why' in owner) {
      throw new UserError(
        `${option} ${dir}: ${file} is not an mnist-deep lock (${owner.why}); if no run uses this folder, delete that file`,
      );
    }
    if (owner.host !== me.host) {
      throw new UserError(`${option} ${dir}: in use by ${describeOwner(owner)}; if that run is gone, delete ${file}`);
    }
    const now = processAlive(owner.pid) ? pidNowRuns(owner) : undefined;
    if (now?.ours) {
      throw new LockBusyError(`${option} ${dir}: in use by another run, ${describeOwner(owner)}; ${busyAdvice}`, owner);
    }
    removeStale(file, owner);
    tookOverFrom = owner;
    tookOverBecause = now ? `is no longer running (its PID now runs \`${now.command}\`)` : 'is no longer running';
  }
  throw new UserError(`${option} ${dir}: could not take ${file} (other runs keep starting there)`);
}

function makeLock(
  file: string,
  me: LockOwner,
  tookOverFrom: LockOwner | undefined,
  tookOverBecause: string | undefined,
): SaveDirLock {
  let held = true;
  const release = () => {
    if (!held) return;
    held = false;
    process.off('exit', release);
    const owner = readOwner(file);
    if (typeof owner === 'object' && 'pid' in owner && owner.pid === me.pid && owner.startedAt === me.startedAt)
      rmSync(file, { force: true });
  };
  // Also on process.exit (a second Ctrl-C): the lock never outlives its run.
  process.on('exit', release);
  return { file, tookOverFrom, tookOverBecause, release };
}

export { describeOwner };

/**
 * acquireLock, waiting up to `waitMs` while a live run holds the lock: `onWait` is told once, with
 * that run, so that the wait is never silent. Anything else (a foreign file, a lock of another
 * host) refuses at once, as acquireLock does.
 */
export async function acquireLockWaiting(
  dir: string,
  option: string,
  busyAdvice: string,
  waitMs: number,
  onWait: (owner: LockOwner) => void,
  pollMs = 500,
): Promise<SaveDirLock> {
  const deadline = Date.now() + waitMs;
  let told = false;
  for (;;) {
    try {
      return acquireLock(dir, option, busyAdvice);
    } catch (err) {
      if (!(err instanceof LockBusyError) || Date.now() >= deadline) throw err;
      if (!told) onWait(err.owner);
      told = true;
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}
