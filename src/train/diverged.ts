/** Divergence: a loss or weights that are no longer finite numbers. */
import { UserError } from '../errors';

/** Thrown at the first step whose loss (or, before a checkpoint, whose weights) is NaN or ±Infinity. */
export class DivergedError extends UserError {
  constructor(
    readonly step: number,
    detail: string,
  ) {
    super(`training diverged at step ${step}: ${detail}`);
    this.name = 'DivergedError';
  }
}

/** Index of the first value that is NaN or ±Infinity, or -1. */
export function firstNonFinite(values: Float32Array): number {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) return i;
  return -1;
}
