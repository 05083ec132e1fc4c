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
