/**
 * The whole training step as one TensorFlow graph: forward with dropout,
 * mean softmax cross-entropy, gradients (TF_AddGradients), the TF 1 Adam or
 * SGD update with the learning-rate schedule, and the step counter; weights,
 * optimizer slots and the counter are resource variables. Beside it, the
 * same forward pass without dropout for accuracy and evaluation.
 */
import type * as tfl from '@tensorflow/tfjs';
import { IMAGE_SIZE, NUM_CLASSES } from '../../data/shapes';
import { DT, GraphApi, OpHandle, Output } from '../../native/graph-api';
import { ADAM, LearningRateSchedule, OptimizerName, slotCount } from '../../optim';
import { GraphBuilder, GraphVariable, f32 } from './builder';
import { forward } from './layers';
import { learningRate } from './schedule';

export interface StepGraphOptions {
  optimizer: OptimizerName;
  learningRate: number;
  decay?: LearningRateSchedule;
  seed: number;
  dropout: boolean;
}

export interface StepGraph {
  builder: GraphBuilder;
  xs: Output;
  ys: Output;
  /** The batch's mean cross-entropy (before the update). */
  loss: Output;
  /** Runs the update and advances the counter (fetch `loss` with it). */
  train: OpHandle;
  /** The batch accuracy with dropout off (needs `xs` and `ys`). */
  accuracy: Output;
  /** The batch's mean cross-entropy with dropout off (needs `xs` and `ys`). */
  evalLoss: Output;
  /** Softmax probabilities with dropout off (needs `xs`). */
  probabilities: Output;
  weights: GraphVariable[];
  /** Adam: [m, v], each one variable per weight; SGD: none. */
  slots: GraphVariable[][];
  counter: GraphVariable;
}

export function buildStepGraph(api: GraphApi, model: tfl.LayersModel, o: StepGraphOptions): StepGraph {
  const g = new GraphBuilder(api);
  const weights = model.trainableWeights.map((w) =>
    g.variable(w.name.replace(/[^A-Za-z0-9_./-]/g, '_'), DT.float, w.shape as number[]),
  );
  const slotNames = ['m', 'v'].slice(0, slotCount(o.optimizer));
  const slots = slotNames.map((s) => weights.map((w) => g.variable(`${w.name}/${s}`, DT.float, w.shape)));
  const counter = g.variable('step', DT.int64, []);
  const xs = g.placeholder(DT.float, [-1, IMAGE_SIZE], 'xs');
  const ys = g.placeholder(DT.float, [-1, NUM_CLASSES], 'ys');

  const step = g.read(counter);
  const dropoutSeed = g.op(
    'Pack',
    [[g.int64(o.seed), step]],
    [
      ['N', 'int', 2],
      ['T', 'type', DT.int64],
    ],
  );
  const reads = weights.map((w) => g.read(w));
  const logits = forward(g, model, reads, xs, { training: o.dropout, dropoutSeed });
  const crossEntropy = g.op('SoftmaxCrossEntropyWithLogits', [logits, ys], [f32]);
  const loss = g.op('Mean', [crossEntropy, g.ints([0])], [f32, ['Tidx', 'type', DT.int32]], [], 'loss');
  const grads = api.gradients(g.graph, [loss], reads);

  const lr = learningRate(g, step, o);
  const updates =
    o.optimizer === 'adam'
      ? adamUpdates(g, weights, slots, grads, lr, step)
      : weights.map((w, i) =>
          g.opHandle('ResourceApplyGradientDescent', [w.handle, lr, grads[i]], [f32], [], `${w.name}/sgd`),
        );
  const train = g.opHandle(
    'AssignAddVariableOp',
    [counter.handle, g.int64(1)],
    [['dtype', 'type', DT.int64]],
    updates,
    'train',
  );

  const evalLogits = forward(
    g,
    model,
    weights.map((w) => g.read(w)),
    xs,
    { training: false },
  );
  const probabilities = g.op('Softmax', [evalLogits], [f32], [], 'probabilities');
  const accuracy = batchAccuracy(g, evalLogits, ys);
  const evalCrossEntropy = g.op('SoftmaxCrossEntropyWithLogits', [evalLogits, ys], [f32]);
  const evalLoss = g.op('Mean', [evalCrossEntropy, g.ints([0])], [f32, ['Tidx', 'type', DT.int32]], [], 'eval_loss');
  return { builder: g, xs, ys, loss, train, accuracy, evalLoss, probabilities, weights, slots, counter };
}

/** ResourceApplyAdam is TF 1's AdamOptimizer update; β₁ᵗ and β₂ᵗ come from the counter (t = step + 1). */
function adamUpdates(
  g: GraphBuilder,
  weights: GraphVariable[],
  slots: GraphVariable[][],
  grads: Output[],
  lr: Output,
  step: Output,
): OpHandle[] {
  const t = g.op(
    'Cast',
    [g.op('AddV2', [step, g.int64(1)], [['T', 'type', DT.int64]])],
    [
      ['SrcT', 'type', DT.int64],
      ['DstT', 'type', DT.float],
    ],
  );
  const beta1Power = g.op('Pow', [g.scalar(ADAM.beta1), t], [f32]);
  const beta2Power = g.op('Pow', [g.scalar(ADAM.beta2), t], [f32]);
  const [beta1, beta2, epsilon] = [ADAM.beta1, ADAM.beta2, ADAM.epsilon].map((c) => g.scalar(c));
  const [ms, vs] = slots;
  return weights.map((w, i) =>
    g.opHandle(
      'ResourceApplyAdam',
      [w.handle, ms[i].handle, vs[i].handle, beta1Power, beta2Power, lr, beta1, beta2, epsilon, grads[i]],
      [f32],
      [],
      `${w.name}/adam`,
    ),
  );
}

function batchAccuracy(g: GraphBuilder, logits: Output, ys: Output): Output {
  const argmax = (x: Output) =>
    g.op('ArgMax', [x, g.int32(1)], [f32, ['Tidx', 'type', DT.int32], ['output_type', 'type', DT.int32]]);
  const equal = g.op('Equal', [argmax(logits), argmax(ys)], [['T', 'type', DT.int32]]);
  const hits = g.op(
    'Cast',
    [equal],
    [
      ['SrcT', 'type', DT.bool],
      ['DstT', 'type', DT.float],
    ],
  );
  return g.op('Mean', [hits, g.ints([0])], [f32, ['Tidx', 'type', DT.int32]], [], 'accuracy');
}
