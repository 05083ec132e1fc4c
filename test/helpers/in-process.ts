/**
 * Runs the CLI's `main` inside the test process: the same parsing, error
 * funnel and output as `bin/mnist-deep.js`, without the half second of a new
 * Node process. For cases that only parse options or read a file; what needs a
 * process of its own (signals, exit behaviour, a terminal) spawns the real CLI.
 */
import { main } from '../../src/cli';
import type { CliResult } from './cli';

type Write = typeof process.stdout.write;

/** Replaces `stream.write` with one that records the text; returns the undo. */
function capture(stream: NodeJS.WriteStream, sink: string[]): () => void {
  const original = stream.write;
  const listeners = stream.listeners('error');
  stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    // Bytes are node:test's own reports to its parent process (our output is text): let them through.
    if (typeof chunk !== 'string') return original.call(stream, chunk, ...(rest as [BufferEncoding]));
    sink.push(chunk);
    const done = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
    if (done) process.nextTick(done);
    return true;
  }) as Write;
  return () => {
    stream.write = original;
    // main() guards stdout with an 'error' listener each call: drop ours so none pile up.
    for (const l of stream.listeners('error')) if (!listeners.includes(l)) stream.off('error', l as () => void);
  };
}

/** Sets `env`'s keys (undefined deletes one) and returns the undo. */
function setEnv(env: NodeJS.ProcessEnv): () => void {
  const saved = Object.keys(env).map((k) => [k, process.env[k]] as const);
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  return () => {
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
}

// One call at a time: the streams, the environment and the working folder are the process's.
let queue: Promise<unknown> = Promise.resolve();

/** `mnist-deep <args>` in this process, run in `cwd`, with `env`'s variables set for the call. */
export function runInProcess(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  const run = async (): Promise<CliResult> => {
    const stdout: string[] = [];
    const stderr: string[] = [];
    const cwd = process.cwd();
    const savedCode = process.exitCode;
    process.exitCode = undefined;
    const undo = [
      setEnv({ MNIST_DEEP_DATA_DIR: undefined, ...opts.env }),
      capture(process.stdout, stdout),
      capture(process.stderr, stderr),
    ];
    if (opts.cwd) process.chdir(opts.cwd);
    try {
      await main([process.execPath, 'mnist-deep', ...args]);
    } finally {
      process.chdir(cwd);
      undo.reverse().forEach((u) => u());
    }
    const code = typeof process.exitCode === 'number' ? process.exitCode : 0;
    process.exitCode = savedCode;
    return { code, stdout: stdout.join(''), stderr: stderr.join('') };
  };
  const result = queue.then(run, run);
  queue = result.catch(() => undefined);
  return result;
}
