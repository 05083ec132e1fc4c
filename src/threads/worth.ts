/**
 * When more threads pay, one rule for training's data-parallel replicas and
 * evaluation's workers so that the two cannot drift apart: a small model's
 * work is less than a thread's start-up and messages, and past four threads
 * the exchange of weights grows faster than each thread's share shrinks.
 */

/** The most threads worth starting, whatever the cores. */
export const MAX_USEFUL_THREADS = 4;

/** Models with fewer parameters (the softmax model's 7,850; the CNN has 3.3 million) stay on one thread. */
export const MIN_THREADED_PARAMETERS = 100_000;

/** Whether a model of `parameters` is too small for threads to pay. */
export const tooSmallForThreads = (parameters: number): boolean => parameters < MIN_THREADED_PARAMETERS;

/** The threads worth starting on `cores` cores, for a model big enough. */
export const threadCap = (cores: number): number => Math.max(1, Math.min(cores, MAX_USEFUL_THREADS));
