/**
 * tfjs' dropout draws its masks from a generator seeded by Math.random, and
 * offers no other hook. We point Math.random at our own PRNG and reseed it
 * from (seed, step, thread) before every gradient computation, so that a run
 * repeats exactly, and a resumed run repeats the uninterrupted one, with no
 * random state to save.
 */
import { Rng } from '../data/rng';

const rng = new Rng(0);
let installed = false;

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

export function seedDropout(seed: number, step: number, thread: number): void {
  if (!installed) {
    Math.random = () => rng.next();
    installed = true;
  }
  rng.state = mixSeed(seed, step, thread);
}
