/**
 * TensorBoard itself (the pip package), for reading our event files with its own code: a Python
 * that can `import tensorboard`, from MNIST_DEEP_TENSORBOARD_PYTHON, CI's venv (~/py-venv) or
 * python3. Tests skip, saying why, where there is none.
 */
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';

const CANDIDATES = [process.env.MNIST_DEEP_TENSORBOARD_PYTHON, join(homedir(), 'py-venv', 'bin', 'python'), 'python3'];

let found: string | null | undefined;

/** A Python with the tensorboard package, or null. */
export function tensorboardPython(): string | null {
  if (found !== undefined) return found;
  found = null;
  for (const python of CANDIDATES) {
    if (!python || (python.includes('/') && !existsSync(python))) continue;
    if (spawnSync(python, ['-c', 'import tensorboard'], { stdio: 'ignore', timeout: 60_000 }).status === 0) {
      found = python;
      break;
    }
  }
  return found;
}

/** A skip reason for node:test, or false when TensorBoard is there. */
export function tensorboardMissing(): string | false {
  return tensorboardPython()
    ? false
    : 'no Python with the tensorboard package (set MNIST_DEEP_TENSORBOARD_PYTHON, or: python3 -m venv ~/py-venv && ~/py-venv/bin/pip install tensorboard)';
}

/** Runs `script` with TensorBoard's Python, `args` as sys.argv[1:]; its stdout, parsed as JSON. */
export function runPython<T>(script: string, args: string[]): T {
  const python = tensorboardPython();
  if (!python) throw new Error('no tensorboard Python');
  const r = spawnSync(python, ['-c', script, ...args], { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`python failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export interface RunningTensorBoard {
  url: string;
  process: ChildProcess;
  stop: () => Promise<void>;
}

/** Starts `tensorboard --logdir <logdir> --host 127.0.0.1 --port <free>` and waits until it serves. */
export async function startTensorBoard(logdir: string): Promise<RunningTensorBoard> {
  const python = tensorboardPython();
  if (!python) throw new Error('no tensorboard Python');
  const port = await freePort();
  const child = spawn(
    python,
    ['-m', 'tensorboard.main', '--logdir', logdir, '--host', '127.0.0.1', '--port', String(port)]
      // Reload every second, so that the live test need not wait TensorBoard's default 5 s.
      .concat(['--reload_interval', '1']),
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}/`;
  const stop = async () => {
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
  };
  const t0 = Date.now();
  while (!output.includes(url)) {
    if (child.exitCode !== null || Date.now() - t0 > 90_000) {
      await stop();
      throw new Error(`tensorboard did not start: ${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url, process: child, stop };
}
