/**
 * The learning-rate schedules, as TF's Keras schedule classes compute them
 * (CosineDecay, PiecewiseConstantDecay, ExponentialDecay), from the 0-based
 * step. A leaf: the flat, tensor and webgpu engines call `learningRateAt`, the
 * graph engine builds the same formulas as graph ops (engine/graph/schedule.ts),
 * and test/fixtures/lr-schedules.json holds TensorFlow's own numbers for them.
 */

export const LR_SCHEDULES = ['constant', 'cosine', 'step', 'exponential'] as const;
export type LrScheduleName = (typeof LR_SCHEDULES)[number];
/** The schedules that change the rate (a constant rate has none). */
export const DECAY_KINDS = ['cosine', 'step', 'exponential'] as const;

/**
 * A schedule other than a constant rate (no schedule: constant). In TF's terms,
 * with lr the initial rate, f = `finalFraction` and W = `warmupSteps`:
 * - cosine: CosineDecay(lr, decay_steps = steps, alpha = f); with W > 0,
 *   CosineDecay(0, decay_steps = steps − W, alpha = f, warmup_target = lr, warmup_steps = W).
 * - step: PiecewiseConstantDecay(boundaries = [E, 2E, … below steps], values = lr·f^(i/k)
 *   for i = 0…k, k boundaries), E = `stepEvery`: each drop multiplies the rate by the same factor.
 * - exponential: ExponentialDecay(lr, decay_steps = steps, decay_rate = f).
 * Each reaches lr·f at the end of the run (cosine and step: from there on).
 */
export interface LearningRateSchedule {
  kind: (typeof DECAY_KINDS)[number];
  /** The steps the schedule spans: the run's. */
  steps: number;
  /** The final rate as a fraction of the initial one. */
  finalFraction: number;
  /** cosine: a linear warmup from 0 over these first steps. */
  warmupSteps?: number;
  /** step: the rate drops after every this many steps. */
  stepEvery?: number;
}

/** TF's cosine decay of `done` out of `steps` steps, from 1 down to `finalFraction`. */
const cosineFraction = (done: number, steps: number, finalFraction: number) =>
  (1 - finalFraction) * 0.5 * (1 + Math.cos((Math.PI * done) / steps)) + finalFraction;

/** The step schedule's boundaries (E, 2E, … below `steps`), as PiecewiseConstantDecay takes them. */
export function stepBoundaries(s: LearningRateSchedule): number[] {
  const every = s.stepEvery ?? s.steps;
  return Array.from({ length: Math.max(0, Math.ceil(s.steps / every) - 1) }, (_, i) => (i + 1) * every);
}

/** The step schedule's values, one more than its boundaries: lr·f^(i/k). */
export function stepValues(learningRate: number, s: LearningRateSchedule): number[] {
  const k = stepBoundaries(s).length;
  return Array.from({ length: k + 1 }, (_, i) => (i === 0 ? learningRate : learningRate * s.finalFraction ** (i / k)));
}

/** The learning rate of training step `step` (0-based), as TF's schedule classes compute it. */
export function learningRateAt(h: { learningRate: number; decay?: LearningRateSchedule }, step: number): number {
  const s = h.decay;
  if (!s) return h.learningRate;
  const lr = h.learningRate;
  switch (s.kind) {
    case 'cosine': {
      const warmup = s.warmupSteps ?? 0;
      const done = Math.min(step, s.steps);
      if (done < warmup) return (lr * done) / warmup;
      return lr * cosineFraction(done - warmup, s.steps - warmup, s.finalFraction);
    }
    case 'step': {
      // TF's PiecewiseConstantDecay: a step equal to a boundary still takes the value before it.
      const past = stepBoundaries(s).filter((b) => step > b).length;
      return stepValues(lr, s)[past];
    }
    case 'exponential':
      return lr * s.finalFraction ** (step / s.steps);
  }
}

/** The options that shape a schedule, as given (rates absolute, as `--learning-rate`). */
export interface ScheduleChoice {
  schedule: LrScheduleName;
  /** The rate at the end (default: cosine 0, TF's alpha; step and exponential 1% of the initial rate). */
  lrFinal?: number;
  lrStepEvery?: number;
  warmupSteps?: number;
}

/** Which of the shaping options each schedule uses (any other given is an error). */
export const SCHEDULE_USES: Readonly<Record<LrScheduleName, readonly (keyof ScheduleChoice)[]>> = {
  constant: [],
  cosine: ['lrFinal', 'warmupSteps'],
  step: ['lrFinal', 'lrStepEvery'],
  exponential: ['lrFinal'],
};

const DEFAULT_FINAL_FRACTION: Record<LearningRateSchedule['kind'], number> = {
  cosine: 0,
  step: 0.01,
  exponential: 0.01,
};

const OPTION_NAMES: Record<keyof ScheduleChoice, string> = {
  schedule: '--lr-schedule',
  lrFinal: '--lr-final',
  lrStepEvery: '--lr-step-every',
  warmupSteps: '--warmup-steps',
};

/**
 * The schedule a run of `steps` steps from `learningRate` follows, or why the
 * options do not make one (a message naming the option).
 */
export function makeSchedule(
  c: ScheduleChoice,
  learningRate: number,
  steps: number,
  /** The final fraction when `lrFinal` is not given (a recipe's), else the schedule's default. */
  finalFractionDefault?: number,
): { schedule?: LearningRateSchedule; error?: string } {
  const unused = (Object.keys(OPTION_NAMES) as (keyof ScheduleChoice)[]).filter(
    (k) => k !== 'schedule' && c[k] !== undefined && !SCHEDULE_USES[c.schedule].includes(k),
  );
  if (unused.length)
    return { error: `${OPTION_NAMES[unused[0]]}: the ${c.schedule} learning-rate schedule does not use it` };
  if (c.schedule === 'constant') return {};
  const kind = c.schedule;
  const finalFraction =
    c.lrFinal === undefined ? (finalFractionDefault ?? DEFAULT_FINAL_FRACTION[kind]) : c.lrFinal / learningRate;
  if (finalFraction > 1)
    return { error: `--lr-final ${c.lrFinal}: must not be above the learning rate ${learningRate}` };
  if (kind === 'exponential' && finalFraction === 0)
    return { error: '--lr-final 0: an exponential decay never reaches 0; give a rate above 0' };
  if (kind === 'step' && c.lrStepEvery === undefined)
    return { error: '--lr-schedule step: needs --lr-step-every <n>, the steps between drops' };
  if (kind === 'step' && c.lrStepEvery !== undefined && c.lrStepEvery >= steps)
    return {
      error: `--lr-step-every ${c.lrStepEvery}: must be fewer than the run's ${steps} steps (the rate would never drop)`,
    };
  if (c.warmupSteps !== undefined && c.warmupSteps >= steps)
    return { error: `--warmup-steps ${c.warmupSteps}: must be fewer than the run's ${steps} steps` };
  return {
    schedule: {
      kind,
      steps,
      finalFraction,
      ...(c.warmupSteps && { warmupSteps: c.warmupSteps }),
      ...(c.lrStepEvery !== undefined && { stepEvery: c.lrStepEvery }),
    },
  };
}

const percent = (fraction: number) => `${Math.round(fraction * 1e4) / 100}%`;

/** The schedule in words, after the initial rate: "cosine-decayed to 2%, after 100 warmup steps". */
export function describeSchedule(s: LearningRateSchedule): string {
  const to = percent(s.finalFraction);
  if (s.kind === 'cosine')
    return `cosine-decayed to ${to}${s.warmupSteps ? `, after ${s.warmupSteps} warmup steps` : ''}`;
  if (s.kind === 'step') return `step-decayed to ${to} (a drop every ${s.stepEvery} steps)`;
  return `exponentially decayed to ${to}`;
}
