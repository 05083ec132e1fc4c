/**
 * How to write an mnist-deep command that the user can paste: the bare name
 * when it is on PATH (a global install), `npx mnist-deep` when run through npm
 * (npx, npm scripts) or from a local install. Every hint uses this.
 */
import { realpathSync } from 'node:fs';
import { delimiter, join, sep } from 'node:path';

const NAME = 'mnist-deep';

function real(file: string): string | undefined {
  try {
    return realpathSync(file);
  } catch {
    return undefined;
  }
}

/** `mnist-deep` or `npx mnist-deep`, for this process. */
export function commandName(
  env: NodeJS.ProcessEnv = process.env,
  script: string | undefined = process.argv[1],
): string {
  // npm puts node_modules/.bin on PATH for npx and scripts; that PATH is not the user's shell's.
  if (env.npm_command || !script) return `npx ${NAME}`;
  const self = real(script);
  const onPath = (env.PATH ?? '')
    .split(delimiter)
    .filter((dir) => dir !== '' && !dir.endsWith(`node_modules${sep}.bin`))
    .some((dir) => self !== undefined && real(join(dir, NAME)) === self);
  return onPath ? NAME : `npx ${NAME}`;
}

/** `arg` as one shell word (quoted only when it needs to be). */
export function shellWord(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** A full command line to paste: `npx mnist-deep train --resume models/cnn`. */
export function commandLine(...args: string[]): string {
  return [commandName(), ...args.map(shellWord)].join(' ');
}
