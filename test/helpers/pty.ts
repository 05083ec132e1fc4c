/**
 * Runs the real CLI in a real pseudo-terminal through util-linux `script`, and
 * returns everything the terminal received (ANSI codes included), as a person
 * at a 120-column terminal would see it happen.
 */
import { spawn, spawnSync } from 'node:child_process';
import { BIN, cliEnv } from './cli';

export const hasScript = spawnSync('script', ['--version']).status === 0;

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export interface PtyRun {
  /** Types into the terminal (e.g. '\x03' for Ctrl-C, which the terminal turns into SIGINT). */
  type(keys: string): void;
  /** Resolves once the terminal has shown `pattern`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  done: Promise<{ code: number | null; output: string }>;
}

/** `shellTail` is appended to the command line inside the terminal (e.g. `2>/dev/null`, `> out.txt`). */
export function runInPty(
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; shellTail?: string } = {},
): PtyRun {
  const env = cliEnv({ TERM: 'xterm-256color', ...opts.env }, ['NO_COLOR', 'CI', 'npm_command']);
  const command = `stty cols 120 rows 40; exec ${[process.execPath, BIN, ...args].map(quote).join(' ')} ${opts.shellTail ?? ''}`;
  // -q: no start/done lines; -f: flush at once; -e: the command's exit code; /dev/null: no typescript file.
  const child = spawn('script', ['-qfec', command, '/dev/null'], {
    cwd: opts.cwd,
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const done = new Promise<{ code: number | null; output: string }>((resolve) =>
    child.on('close', (code) => resolve({ code, output })),
  );
  return {
    type: (keys) => child.stdin.write(keys),
    async waitFor(pattern, timeoutMs = 240_000) {
      const t0 = Date.now();
      while (!pattern.test(output)) {
        if (Date.now() - t0 > timeoutMs || child.exitCode !== null)
          throw new Error(`never saw ${pattern} in: ${JSON.stringify(output)}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    done,
  };
}
