/**
 * Who else may be using a file: whether a process id is alive on this host,
 * and this host's name. Locks and temp-file cleanup ask these before taking
 * over or removing what another run left.
 */
import { hostname } from 'node:os';

/** Whether process `pid` exists on this host (EPERM: it does, as another user). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export const thisHost = () => hostname();
