/**
 * What the scripts share: one median for every timing, random MNIST-like data
 * to time steps on, and their options parsed by commander with the CLI's own
 * parsers (so `--steps 0x10` is refused here as it is by `mnist-deep train`).
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { DataSplit } from '../src/data/batches';
import { Rng } from '../src/data/rng';
import { IMAGE_SIZE, NUM_CLASSES } from '../src/data/shapes';

/** The middle value of `xs`; for an even count, the mean of the two middle ones. */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) throw new Error('median of no values');
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** The values of JSON-lines output (our `--json`): one JSON value per line. */
export const jsonLines = (stdout: string): unknown[] =>
  stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as unknown);

/**
 * A split of random images, 80% of their pixels zero like MNIST's (81%): dense
 * random pixels drive the softmax model's gradients into denormal floats, which
 * slows it three times and says nothing about real data.
 */
export function randomSplit(n: number, seed: number): DataSplit {
  const rng = new Rng(seed);
  const images = Float32Array.from({ length: n * IMAGE_SIZE }, () => (rng.next() < 0.2 ? rng.next() : 0));
  const labels = Uint8Array.from({ length: n }, () => rng.int(NUM_CLASSES));
  return new DataSplit(images, labels, seed);
}

/** A commander parser for a comma-separated list, each item through `parse`. */
export const listOf =
  <T>(parse: (value: string) => T) =>
  (value: string): T[] =>
    value.split(',').map(parse);

/** A comma-separated list option whose help shows its default as it would be typed (`a,b`). */
export const listOption = <T>(flags: string, description: string, parse: (value: string) => T, defaults: T[]) =>
  new Option(flags, description).argParser(listOf(parse)).default(defaults, defaults.join(','));

/** A commander parser that takes only one of `choices`. */
export const oneOf =
  <T extends string>(choices: readonly T[]) =>
  (value: string): T => {
    if (!(choices as readonly string[]).includes(value))
      throw new InvalidArgumentError(`"${value}" is not one of ${choices.join(', ')}`);
    return value as T;
  };

/** Parses a script's arguments (`argv` without node and the script) into its options. */
export function parseScriptArgs<T>(program: Command, argv: string[]): T {
  program.allowExcessArguments(false).parse(argv, { from: 'user' });
  return program.opts<T & Record<string, unknown>>();
}
