/**
 * tfjs' dropout layer draws its mask from a generator seeded by the layer's
 * `seed` setting (by Math.random when it has none). Before each gradient
 * computation we give every Dropout layer of the model a seed drawn from
 * (seed, step, thread), and take it back afterwards: a run repeats exactly, a
 * resumed run repeats the uninterrupted one with no random state to save, and
 * nothing else in the process (temporary file names) follows the training
 * seed, as it did when we replaced Math.random.
 */
import type * as tfl from '@tensorflow/tfjs';
import { Rng } from '../data/rng';

/** A 32-bit mix of the three numbers (splitmix-style). */
export function mixSeed(seed: number, step: number, thread: number): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  for (const v of [step, thread]) {
    h = Math.imul(h ^ (v >>> 0), 0x85ebca6b) >>> 0;
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
    h = (h ^ (h >>> 16)) >>> 0;
  }
  return h;
}

/** tfjs types the layer's seed private; it is read at every call, which is what we need. */
type SeededLayer = { seed?: number };

/**
 * Runs `compute` with the model's Dropout layers seeded for (seed, step, thread), in layer order
 * (the draws the generator that replaced Math.random made, so that masks and checkpoints carry over).
 */
export function withDropoutSeeds<T>(
  model: tfl.LayersModel,
  where: { seed: number; step: number; thread: number },
  compute: () => T,
): T {
  const layers = model.layers.filter((l) => l.getClassName() === 'Dropout') as unknown as SeededLayer[];
  const rng = new Rng(mixSeed(where.seed, where.step, where.thread));
  for (const layer of layers) layer.seed = rng.next();
  try {
    return compute();
  } finally {
    // A seed left behind would be saved in model.json and fix every later mask.
    for (const layer of layers) layer.seed = undefined;
  }
}
