/**
 * The non-finite check shared by a saved model's weights (io.ts), a
 * checkpoint's numbers and a diverged run: pure, so any layer above may use it.
 */

/** Index of the first value that is NaN or ±Infinity, or -1. */
export function firstNonFinite(values: Float32Array): number {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) return i;
  return -1;
}
