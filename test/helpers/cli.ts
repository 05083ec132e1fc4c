import { execFile } from 'node:child_process';
import { resolve } from 'node:path';

export const BIN = resolve(__dirname, '../../../bin/mnist-deep.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the real CLI in a child process. Asynchronous, so that a test's own
 * local HTTP server keeps answering while the child runs.
 */
export function runCli(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<CliResult> {
  const env = { ...process.env };
  delete env.MNIST_DEEP_DATA_DIR;
  Object.assign(env, opts.env);
  return new Promise((done) => {
    execFile(process.execPath, [BIN, ...args], { cwd: opts.cwd, env, timeout: opts.timeoutMs ?? 600_000, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
      done({ code, stdout, stderr });
    });
  });
}
