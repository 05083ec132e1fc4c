/**
 * Every option's parsing and validation, in one place, when the command line
 * is parsed. Parsers throw commander's InvalidArgumentError, reported as
 * "mnist-deep: error: --steps x: <reason>" with exit code 2 (see usage.ts).
 */
import { InvalidArgumentError, Option } from 'commander';
import { statSync } from 'node:fs';
import { BACKEND_CHOICES } from '../backends/choices';
import { DATASET_NAMES } from '../data/datasets';
import { NUM_CLASSES } from '../data/shapes';

export function positiveInt(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n <= 0) {
    throw new InvalidArgumentError('must be a whole number greater than 0.');
  }
  return n;
}

export function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < 0) {
    throw new InvalidArgumentError('must be a whole number, 0 or more.');
  }
  return n;
}

export function positiveFloat(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) {
    throw new InvalidArgumentError('must be a number greater than 0.');
  }
  return n;
}

export function httpUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError('must be an http:// or https:// URL.');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InvalidArgumentError('must be an http:// or https:// URL.');
  return value;
}

export function existingDir(value: string): string {
  let isDir: boolean;
  try {
    isDir = statSync(value).isDirectory();
  } catch {
    throw new InvalidArgumentError('no such folder.');
  }
  if (!isDir) throw new InvalidArgumentError('not a folder.');
  return value;
}

export const datasetOption = (defaultValue?: string) => {
  const o = new Option('--dataset <name>', 'data set').choices(DATASET_NAMES);
  return defaultValue ? o.default(defaultValue) : o;
};
export const dataDirOption = () => new Option('--data-dir <dir>', 'folder holding the four IDX files (.gz or raw)');
export const backendOption = () =>
  new Option('--backend <name>', 'TensorFlow.js backend').choices(BACKEND_CHOICES).default('auto');
export const jsonOption = () => new Option('--json', 'machine-readable JSON on stdout');

export function portNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < 0 || n > 65535) {
    throw new InvalidArgumentError('must be a whole number from 0 to 65535 (0: any free port).');
  }
  return n;
}

/** `predict --top`: 1 to the number of classes. */
export function topCount(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < 1 || n > NUM_CLASSES) {
    throw new InvalidArgumentError(`must be a whole number from 1 to ${NUM_CLASSES}.`);
  }
  return n;
}

export const POLARITY_CHOICES = ['auto', 'dark-on-light', 'light-on-dark'] as const;
export type PolarityChoice = (typeof POLARITY_CHOICES)[number];
