/**
 * Running the tools a native setup needs (pip, npm, node-gyp, the compiler),
 * capturing their output for messages and logs; `Say` is how progress lines
 * reach the user.
 */
import { spawn } from 'node:child_process';
import { writeFileAtomic } from '../fs/atomic';

export type Say = (line: string) => void;

/** Runs a command, capturing its output; ENOENT becomes `undefined`. */
export function run(
  cmd: string,
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; echo?: boolean; log?: string } = {},
): Promise<{ code: number | null; output: string } | undefined> {
  return new Promise((done, fail) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const take = (d: Buffer) => {
      output += d.toString();
      if (opts.echo) process.stderr.write(d);
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('error', (err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? done(undefined) : fail(err)));
    child.on('close', (code) => {
      // Atomically, by the write policy: a FIFO or device named like the log is refused, not written into.
      if (opts.log) writeFileAtomic(opts.log, output);
      done({ code, output });
    });
  });
}

export const lastLine = (text: string) =>
  text
    .trim()
    .split('\n')
    .filter((l) => l.trim())
    .pop()
    ?.trim() ?? '';
