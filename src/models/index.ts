/**
 * The tutorial's two models, as tf.LayersModels that take 784 floats and
 * return 10 logits.
 */
import type * as tfl from '@tensorflow/tfjs';
import { loadTf } from '../backends/tf';
import { IMAGE_COLS, IMAGE_ROWS, IMAGE_SIZE, NUM_CLASSES } from '../data/shapes';

import type { ModelName } from './names';
export { MODEL_NAMES } from './names';
export type { ModelName } from './names';

type LayersModel = tfl.LayersModel;

/** Softmax regression: one dense layer, weights and bias all zeros. */
export function buildSoftmax(): LayersModel {
  const tf = loadTf();
  return tf.sequential({
    name: 'softmax',
    layers: [
      tf.layers.dense({
        inputShape: [IMAGE_SIZE],
        units: NUM_CLASSES,
        kernelInitializer: 'zeros',
        biasInitializer: 'zeros',
        name: 'logits',
      }),
    ],
  });
}

/** The CNN's widths: the filters of conv1 and conv2, the units of fc1. */
export interface CnnWidths {
  conv1: number;
  conv2: number;
  fc1: number;
}

export const TUTORIAL_CNN_WIDTHS: CnnWidths = { conv1: 32, conv2: 64, fc1: 1024 };

/**
 * The tutorial CNN: conv 5x5x32 → pool → conv 5x5x64 → pool → dense 1024 →
 * dropout 0.5 → dense 10. Weights truncated-normal σ=0.1, biases 0.1, SAME
 * padding. `seed` makes the initial weights reproducible. Other `widths` give
 * the same layers narrower (tests on Dawn's software adapter, where the
 * tutorial's widths take a second a step).
 */
export function buildCnn(seed = 0, widths: CnnWidths = TUTORIAL_CNN_WIDTHS): LayersModel {
  const tf = loadTf();
  let n = 0;
  const weights = () => tf.initializers.truncatedNormal({ mean: 0, stddev: 0.1, seed: seed * 16 + ++n });
  const bias = () => tf.initializers.constant({ value: 0.1 });
  const conv = (filters: number, name: string, inputShape?: number[]) =>
    tf.layers.conv2d({
      ...(inputShape ? { inputShape } : {}),
      filters,
      kernelSize: 5,
      strides: 1,
      padding: 'same',
      activation: 'relu',
      kernelInitializer: weights(),
      biasInitializer: bias(),
      name,
    });
  const pool = (name: string) => tf.layers.maxPooling2d({ poolSize: 2, strides: 2, padding: 'same', name });
  return tf.sequential({
    name: 'cnn',
    layers: [
      tf.layers.reshape({ inputShape: [IMAGE_SIZE], targetShape: [IMAGE_ROWS, IMAGE_COLS, 1], name: 'reshape' }),
      conv(widths.conv1, 'conv1'),
      pool('pool1'),
      conv(widths.conv2, 'conv2'),
      pool('pool2'),
      tf.layers.flatten({ name: 'flatten' }),
      tf.layers.dense({
        units: widths.fc1,
        activation: 'relu',
        kernelInitializer: weights(),
        biasInitializer: bias(),
        name: 'fc1',
      }),
      tf.layers.dropout({ rate: 0.5, name: 'dropout' }),
      tf.layers.dense({ units: NUM_CLASSES, kernelInitializer: weights(), biasInitializer: bias(), name: 'logits' }),
    ],
  });
}

export function buildModel(name: ModelName, seed = 0): LayersModel {
  return name === 'softmax' ? buildSoftmax() : buildCnn(seed);
}

/** Mean softmax cross-entropy over the batch, from logits. */
export function crossEntropy(labels: tfl.Tensor, logits: tfl.Tensor): tfl.Scalar {
  return loadTf().losses.softmaxCrossEntropy(labels, logits) as tfl.Scalar;
}
