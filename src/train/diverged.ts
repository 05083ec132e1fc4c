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

/** The one-line story of a diverged run: where, why probably, and what is kept. */
export function divergence(
  err: DivergedError,
  how: { learningRate: number; optimizer: string; saveDir: string },
  lastCheckpoint: number | undefined,
): UserError {
  const kept =
    lastCheckpoint !== undefined
      ? `the last good checkpoint (step ${lastCheckpoint}) is kept in ${how.saveDir}`
      : 'no checkpoint had been written yet';
  return new UserError(
    `${err.message} (learning rate ${how.learningRate} with ${how.optimizer}: try a smaller --learning-rate); no model saved; ${kept}`,
  );
}
