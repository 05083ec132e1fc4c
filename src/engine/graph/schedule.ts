/**
 * The learning-rate schedule as graph ops, computed inside the step from the
 * step counter: the formulas of src/optim/schedule.ts (`learningRateAt`, TF's
 * schedule classes) in float32, as TF's Keras schedules compute them.
 */
import { DT, Output } from '../../native/graph-api';
import { LearningRateSchedule, stepBoundaries, stepValues } from '../../optim';
import { GraphBuilder, f32 } from './builder';

export interface ScheduleOptions {
  learningRate: number;
  decay?: LearningRateSchedule;
}

const toFloat = (g: GraphBuilder, x: Output) =>
  g.op(
    'Cast',
    [x],
    [
      ['SrcT', 'type', DT.int64],
      ['DstT', 'type', DT.float],
    ],
  );

/** lr·((1 − f)·½(1 + cos(π·done/steps)) + f): TF's CosineDecay past its warmup. */
function cosineDecay(g: GraphBuilder, done: Output, steps: number, finalFraction: number, lr: number): Output {
  const angle = g.op('Mul', [g.op('RealDiv', [done, g.scalar(steps)], [f32]), g.scalar(Math.PI)], [f32]);
  const cosine = g.op('Mul', [g.op('Add', [g.op('Cos', [angle], [f32]), g.scalar(1)], [f32]), g.scalar(0.5)], [f32]);
  const fraction = g.op(
    'Add',
    [g.op('Mul', [cosine, g.scalar(1 - finalFraction)], [f32]), g.scalar(finalFraction)],
    [f32],
  );
  return g.op('Mul', [fraction, g.scalar(lr)], [f32]);
}

function cosine(g: GraphBuilder, step: Output, s: LearningRateSchedule, lr: number): Output {
  const done = g.op('Minimum', [toFloat(g, step), g.scalar(s.steps)], [f32]);
  const warmup = s.warmupSteps ?? 0;
  if (warmup === 0) return cosineDecay(g, done, s.steps, s.finalFraction, lr);
  const warming = g.op('Mul', [g.op('RealDiv', [done, g.scalar(warmup)], [f32]), g.scalar(lr)], [f32]);
  const past = g.op('Sub', [done, g.scalar(warmup)], [f32]);
  const decayed = cosineDecay(g, past, s.steps - warmup, s.finalFraction, lr);
  const inWarmup = g.op('Less', [done, g.scalar(warmup)], [f32]);
  return g.op('SelectV2', [inWarmup, warming, decayed], [f32]);
}

/** PiecewiseConstantDecay: the value after as many boundaries as the step is past. */
function piecewise(g: GraphBuilder, step: Output, s: LearningRateSchedule, lr: number): Output {
  const boundaries = stepBoundaries(s);
  const values = stepValues(lr, s);
  if (!boundaries.length) return g.scalar(lr);
  const bounds = g.constant([DT.int64, [boundaries.length], BigInt64Array.from(boundaries.map(BigInt))]);
  const past = g.op('Greater', [step, bounds], [['T', 'type', DT.int64]]);
  const count = g.op(
    'Sum',
    [
      g.op(
        'Cast',
        [past],
        [
          ['SrcT', 'type', DT.bool],
          ['DstT', 'type', DT.int32],
        ],
      ),
      g.ints([0]),
    ],
    [
      ['T', 'type', DT.int32],
      ['Tidx', 'type', DT.int32],
    ],
  );
  const table = g.constant([DT.float, [values.length], Float32Array.from(values)]);
  return g.op(
    'GatherV2',
    [table, count, g.int32(0)],
    [
      ['Tparams', 'type', DT.float],
      ['Tindices', 'type', DT.int32],
      ['Taxis', 'type', DT.int32],
    ],
  );
}

/** ExponentialDecay: lr·f^(step/steps). */
function exponential(g: GraphBuilder, step: Output, s: LearningRateSchedule, lr: number): Output {
  const power = g.op('RealDiv', [toFloat(g, step), g.scalar(s.steps)], [f32]);
  return g.op('Mul', [g.op('Pow', [g.scalar(s.finalFraction), power], [f32]), g.scalar(lr)], [f32]);
}

/** The learning rate of the 0-based step `step` (an int64 scalar), or the constant rate. */
export function learningRate(g: GraphBuilder, step: Output, o: ScheduleOptions): Output {
  const s = o.decay;
  if (!s) return g.scalar(o.learningRate);
  const rate =
    s.kind === 'cosine'
      ? cosine(g, step, s, o.learningRate)
      : s.kind === 'step'
        ? piecewise(g, step, s, o.learningRate)
        : exponential(g, step, s, o.learningRate);
  return g.op('Identity', [rate], [f32], [], 'learning_rate');
}
