/**
 * Where a run's event files go. `--logdir DIR`: DIR itself holds them (point TensorBoard at its
 * parent to compare runs). `--logdir` alone, or `MNIST_DEEP_LOGDIR=ROOT` without the option: a
 * new folder `<model>-<YYYYMMDD-HHMMSS>` under ROOT (default `runs`), the way Keras and PyTorch
 * name theirs. Neither: no events (unless a resumed run had them).
 */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { UserError } from '../errors';
import { checkWritableDir } from '../fs/paths';
import { eventFiles } from './reader';

export const LOGDIR_ENV = 'MNIST_DEEP_LOGDIR';
export const DEFAULT_LOGDIR_ROOT = 'runs';

/** The `--logdir` option as parsed: a folder, `true` when given alone, undefined when not given. */
export type LogdirOption = string | true | undefined;

/** Local time as YYYYMMDD-HHMMSS. */
export function timeStamp(date: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return (
    `${date.getFullYear()}${two(date.getMonth() + 1)}${two(date.getDate())}-` +
    `${two(date.getHours())}${two(date.getMinutes())}${two(date.getSeconds())}`
  );
}

/** `<root>/<name>-<time>`, with -2, -3, … when a run started in the same second already has it. */
export function freshRunDir(root: string, name: string, now: Date): string {
  const base = resolve(root, `${name}-${timeStamp(now)}`);
  let dir = base;
  for (let n = 2; existsSync(dir); n++) dir = `${base}-${n}`;
  return dir;
}

export interface LogdirChoice {
  option: LogdirOption;
  /** The folder the run already logs to (a resumed run's), used unless the option names another. */
  current?: string;
  /** The run's name in a fresh folder, e.g. the model. */
  name: string;
  env?: string;
  now?: Date;
}

/** The run's log folder (absolute), or undefined for none. */
export function chooseLogdir(c: LogdirChoice): string | undefined {
  if (typeof c.option === 'string') return resolve(c.option);
  if (c.current) return c.current;
  const envRoot = c.env?.trim() ? c.env : undefined;
  if (c.option !== true && !envRoot) return undefined;
  return freshRunDir(envRoot ?? DEFAULT_LOGDIR_ROOT, c.name, c.now ?? new Date());
}

/** Refuses, with a one-line error naming `option`, a log folder that is a file or cannot be written. */
export function checkLogdir(dir: string, option: string): void {
  checkWritableDir(dir, option);
}

/**
 * The log folder of a run about to start, checked: `option` as parsed, `current` the folder a
 * resumed run already logs to. A one-line error, before any work, when it cannot be written.
 */
export function runLogdir(option: LogdirOption, current: string | undefined, name: string): string | undefined {
  const env = process.env[LOGDIR_ENV];
  const dir = chooseLogdir({ option, current, name, env });
  if (!dir) return undefined;
  // Name where the folder came from: the option, the resumed run's checkpoint, or the variable.
  const from =
    typeof option === 'string'
      ? '--logdir'
      : current
        ? "the resumed run's --logdir"
        : option
          ? '--logdir'
          : `${LOGDIR_ENV}=${env}:`;
  checkLogdir(dir, from);
  return dir;
}

/** The log folder a model's metadata names (`from`: the file and field), as input to check. */
export interface RecordedLogdir {
  dir: string;
  from: string;
}

/**
 * A log folder read from a file is only taken when it is what train left there: an existing
 * folder holding event files. Anything else (a crafted model naming any path) would make eval
 * create folders, or write, where no one asked; a one-line error says to name the folder instead.
 */
function checkRecordedLogdir({ dir, from }: RecordedLogdir): string {
  let runFolder: boolean;
  try {
    runFolder = statSync(dir).isDirectory() && eventFiles(dir).length > 0;
  } catch {
    runFolder = false;
  }
  if (!runFolder)
    throw new UserError(`${from}: ${dir} is not a run's log folder (no event files there)`, {
      hint: 'name the folder to add the evaluation to: eval --logdir DIR',
    });
  return dir;
}

/**
 * `eval --logdir`: the folder named, or given alone the one the model's run logged to (from its
 * metadata, checked: see checkRecordedLogdir), else a fresh `<model>-eval-<time>`. Checked like a
 * training run's.
 */
export function evalLogdir(
  option: LogdirOption,
  trainedIn: RecordedLogdir | undefined,
  name: string,
): string | undefined {
  if (option === undefined) return undefined;
  const current = option === true && trainedIn ? checkRecordedLogdir(trainedIn) : undefined;
  const dir = chooseLogdir({ option, current, name: `${name}-eval`, env: process.env[LOGDIR_ENV] });
  if (dir) checkLogdir(dir, current ? (trainedIn?.from ?? '--logdir') : '--logdir');
  return dir;
}
