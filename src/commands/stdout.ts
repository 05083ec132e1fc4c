/**
 * Standard output that fails safely. A reader that goes away (`train … | head`)
 * only stops the printing: the work goes on, saves and exits with its own code.
 * Any other failure to write (a full disk under `eval --json > result.json`)
 * means results were lost: it becomes an error and a non-zero exit code.
 */
import { UserError } from '../errors';
import { describeFsError } from '../fs/errors';

let failure: NodeJS.ErrnoException | undefined;
let closed = false;

/** Installs the handler; before it, an EPIPE would crash the process. */
export function guardStdout(stream: NodeJS.WriteStream = process.stdout): void {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    closed = true;
    if (err.code !== 'EPIPE' && !failure) failure = err;
  });
}

/** Whether stdout can no longer be written (later writes are dropped). */
export const stdoutClosed = () => closed;

/**
 * Waits until what was written to stdout has gone out, then throws if any of it
 * could not be written (EPIPE excepted: the reader chose to stop reading).
 */
export async function flushStdout(stream: NodeJS.WriteStream = process.stdout): Promise<void> {
  if (!closed) await new Promise<void>((resolve) => stream.write('', () => resolve()));
  if (failure) throw new UserError(`cannot write the output to stdout: ${describeFsError(failure)}`);
}
