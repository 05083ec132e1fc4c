/**
 * The memory this process can still have, from every limit Linux may set on
 * it: the machine's available memory, a cgroup's limit, and `ulimit -v`
 * (RLIMIT_AS, which counts address space). TensorFlow aborts the process or
 * crashes when an allocation fails under such a limit (std::bad_alloc on a
 * thread of its own), so a size is checked against this before TensorFlow is
 * asked; a refusal names the option that sets the size.
 */
import { readFileSync } from 'node:fs';
import { freemem } from 'node:os';
import { UserError } from '../errors';

/** A number from a /proc file's line `label   value ...`, or undefined (not Linux, or no such line). */
function procValue(file: string, label: RegExp): string | undefined {
  try {
    return readFileSync(file, 'utf8').match(label)?.[1];
  } catch {
    return undefined;
  }
}

/** RLIMIT_AS less the address space already mapped, or Infinity when there is no such limit. */
export function addressSpaceLeft(): number {
  const limit = procValue('/proc/self/limits', /^Max address space\s+(\S+)/m);
  const size = procValue('/proc/self/status', /^VmSize:\s+(\d+) kB/m);
  if (limit === undefined || limit === 'unlimited' || size === undefined) return Infinity;
  return Math.max(0, Number(limit) - Number(size) * 1024);
}

/** Bytes this process can still allocate: the least of the machine's, the cgroup's and the address-space limit. */
export function memoryAvailable(): number {
  const cgroup = process.constrainedMemory?.() ?? 0;
  const cgroupLeft = cgroup > 0 ? Math.max(0, cgroup - process.memoryUsage.rss()) : Infinity;
  return Math.min(freemem(), cgroupLeft, addressSpaceLeft());
}

const gb = (bytes: number) => `${(bytes / 1e9).toFixed(1)} GB`;

/**
 * Refuses a batch whose working memory (`needed` bytes) is more than the process can have,
 * in one line naming the option and its value; `available` is measured unless given (tests).
 */
export function requireMemory(option: string, value: number, needed: number, available = memoryAvailable()): void {
  if (needed <= available) return;
  throw new UserError(
    `${option} ${value}: a batch this large needs about ${gb(needed)} of memory, ` +
      `more than the ${gb(available)} this process can have; try a smaller ${option}`,
  );
}
