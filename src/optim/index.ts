/**
 * The tutorial's optimizers as data: their names, TF 1 Adam's constants, the
 * learning-rate schedule, and the state each keeps. A leaf: every engine (and
 * the webgpu Adam kernel) and the training run take these from here, so each
 * rule has one home; the flat JavaScript optimizers are in flat.ts.
 */
export const OPTIMIZERS = ['adam', 'sgd'] as const;
export type OptimizerName = (typeof OPTIMIZERS)[number];

/** TF 1's AdamOptimizer (the tutorial's): lr_t = lr·√(1-β₂ᵗ)/(1-β₁ᵗ); w -= lr_t·m/(√v + ε). */
export const ADAM = { beta1: 0.9, beta2: 0.999, epsilon: 1e-8 } as const;

/**
 * TF 1 Adam's bias-corrected step size lr_t = lr·√(1-β₂ᵗ)/(1-β₁ᵗ) for update `t` (1-based): the one
 * home of the formula for every engine that computes it outside TensorFlow's graph.
 */
export function adamStepSize(lr: number, t: number, { beta1, beta2 }: { beta1: number; beta2: number } = ADAM): number {
  return (lr * Math.sqrt(1 - beta2 ** t)) / (1 - beta1 ** t);
}

export * from './schedule';

/** What a checkpoint keeps of an optimizer. */
export interface OptimizerState {
  name: OptimizerName;
  step: number;
  /** Adam's first and second moments; empty for SGD. */
  slots: Float32Array[];
}

/** How many weight-sized state arrays the optimizer keeps. */
export const slotCount = (name: OptimizerName) => (name === 'adam' ? 2 : 0);
