import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { jsonLines as parseJsonLines } from '../../scripts/common';

export const BIN = resolve(__dirname, '../../../bin/mnist-deep.js');

/**
 * PATH without the folders that hold a `mnist-deep` command (a global install, `npm link`): the
 * program then names itself `npx mnist-deep` in its hints, as the tests expect, whatever the user
 * installed. Tests that want the command on PATH put their own folder there.
 */
export function pathWithoutMnistDeep(path = process.env.PATH ?? ''): string {
  return path
    .split(delimiter)
    .filter((dir) => dir === '' || !existsSync(join(dir, 'mnist-deep')))
    .join(delimiter);
}

/** The environment a spawned CLI gets: the test's, less what the user's shell set up for mnist-deep. */
export function cliEnv(extra: NodeJS.ProcessEnv = {}, drop: string[] = []): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: pathWithoutMnistDeep() };
  for (const key of ['MNIST_DEEP_DATA_DIR', ...drop]) delete env[key];
  return Object.assign(env, extra);
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the real CLI in a child process. Asynchronous, so that a test's own
 * local HTTP server keeps answering while the child runs.
 */
export function runCli(
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number; bin?: string } = {},
): Promise<CliResult> {
  const env = cliEnv(opts.env);
  return new Promise((done) => {
    execFile(
      process.execPath,
      [opts.bin ?? BIN, ...args],
      { cwd: opts.cwd, env, timeout: opts.timeoutMs ?? 600_000, maxBuffer: 64 << 20 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
        done({ code, stdout, stderr });
      },
    );
  });
}

/** Starts the CLI and lets the test act (e.g. send a signal) while it runs. */
export function spawnCli(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
  const env = cliEnv(opts.env);
  const child = spawn(process.execPath, [BIN, ...args], { cwd: opts.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<CliResult>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
  /** Resolves once stdout matches. */
  const waitFor = async (pattern: RegExp, timeoutMs = 120_000): Promise<void> => {
    const t0 = Date.now();
    while (!pattern.test(stdout)) {
      if (Date.now() - t0 > timeoutMs || child.exitCode !== null)
        throw new Error(`never saw ${pattern} in: ${stdout}${stderr}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  return { child, done, waitFor, stdoutText: () => stdout, stderrText: () => stderr };
}

/** The CLI in a child, in `cwd`, whose files may grow to `kb` KiB only (RLIMIT_FSIZE; Node ignores SIGXFSZ). */
export function runLimited(kb: number, cwd: string, args: string[]): Promise<CliResult> {
  const env = cliEnv();
  const child = spawn('bash', ['-c', `ulimit -f ${kb} && exec "$@"`, 'bash', process.execPath, BIN, ...args], {
    cwd,
    env,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((done) => child.on('close', (code) => done({ code, stdout, stderr })));
}

/** The fields tests read from `--json` lines (train steps and results, evaluations, predictions). */
export interface JsonLine {
  [field: string]: unknown;
  event: string;
  model: string;
  step: number;
  steps: number;
  loss: number;
  backend: string;
  saveDir: string;
  testAccuracy: number;
  validationAccuracy: number;
  validationLoss: number;
  sinceBest: number;
  keptStep: number;
  seconds: number;
  examplesPerSec: number;
  error: string;
  file: string;
  polarity: string;
  predictions: { class: number; label: string; probability: number }[];
}

/** The objects of `--json` output: one JSON value per line. */
export const jsonLines = (stdout: string) => parseJsonLines(stdout) as JsonLine[];

/** The last object of `--json` output: the command's result. */
export const jsonResult = (stdout: string) => jsonLines(stdout).pop() as JsonLine;
