/**
 * A trained model as the exporters take it: its layers in order, each one of the few kinds our two
 * models are made of, with its weights copied out of TensorFlow.js. Every format is written from
 * this list, so that what a model may hold is checked in one place; a layer of another kind or
 * setting (a model written by a newer mnist-deep) is refused with the layer named.
 */
import type * as tfl from '@tensorflow/tfjs';
import { join } from 'node:path';
import { UserError } from '../errors';
import { MODEL_FILE } from '../run-files';

/** A weight: its values (row-major) and shape, as TensorFlow.js holds it (dense [in, out], conv HWIO). */
export interface Weight {
  values: Float32Array;
  shape: number[];
}

export type ExportLayer =
  | { kind: 'reshape'; name: string; targetShape: number[] }
  | { kind: 'conv'; name: string; kernel: Weight; bias: Weight; relu: boolean; size: number }
  | { kind: 'pool'; name: string; size: number }
  | { kind: 'flatten'; name: string }
  | { kind: 'dense'; name: string; kernel: Weight; bias: Weight; relu: boolean };

/** The model's name (`softmax`, `cnn`) and its layers; dropout is left out (off at inference). */
export interface ExportModel {
  name: string;
  layers: ExportLayer[];
}

type Config = Record<string, unknown>;

function weightsOf(layer: tfl.layers.Layer): [Weight, Weight] {
  const [kernel, bias] = layer.getWeights().map((t) => ({
    values: Float32Array.from(t.dataSync() as Float32Array),
    shape: t.shape.slice(),
  }));
  return [kernel, bias];
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** One layer in the exporters' terms, or undefined for one that inference skips (dropout). */
function exportLayer(layer: tfl.layers.Layer, refuse: (why: string) => never): ExportLayer | undefined {
  const c = layer.getConfig() as Config;
  const name = layer.name;
  const activation = c.activation ?? 'linear';
  if (activation !== 'linear' && activation !== 'relu') refuse(`activation ${String(activation)}`);
  const relu = activation === 'relu';
  switch (layer.getClassName()) {
    case 'Reshape':
      return { kind: 'reshape', name, targetShape: (c.targetShape as number[]).slice() };
    case 'Flatten':
      return { kind: 'flatten', name };
    case 'Dropout':
      return undefined;
    case 'Dense': {
      if (c.useBias === false) refuse('no bias');
      const [kernel, bias] = weightsOf(layer);
      return { kind: 'dense', name, kernel, bias, relu };
    }
    case 'Conv2D': {
      const size = (c.kernelSize as number[])[0];
      const fits =
        c.padding === 'same' &&
        same(c.strides, [1, 1]) &&
        same(c.kernelSize, [size, size]) &&
        same(c.dilationRate, [1, 1]) &&
        c.dataFormat === 'channelsLast' &&
        c.useBias !== false &&
        size % 2 === 1;
      if (!fits) refuse('a convolution other than odd square kernels, stride 1, SAME padding, with bias');
      const [kernel, bias] = weightsOf(layer);
      return { kind: 'conv', name, kernel, bias, relu, size };
    }
    case 'MaxPooling2D': {
      const size = (c.poolSize as number[])[0];
      if (!same(c.poolSize, [size, size]) || !same(c.strides, [size, size]) || c.dataFormat !== 'channelsLast')
        refuse('a pooling window other than square with stride equal to its size');
      return { kind: 'pool', name, size };
    }
    default:
      return refuse('its class');
  }
}

/**
 * The model's layers for export. `dir` names model.json in errors. Pooling must divide its input
 * exactly (28 → 14 → 7 for ours), so that SAME padding adds nothing and every format agrees.
 */
export function exportModel(model: tfl.LayersModel, dir: string): ExportModel {
  const layers: ExportLayer[] = [];
  for (const layer of model.layers) {
    const refuse = (why: string): never => {
      throw new UserError(
        `${join(dir, MODEL_FILE)}: layer ${JSON.stringify(layer.name)} (${layer.getClassName()}): export does not know ${why} (a model from a newer mnist-deep?)`,
      );
    };
    const exported = exportLayer(layer, refuse);
    if (exported?.kind === 'pool') {
      const input = layer.inputSpec?.[0]?.shape ?? (layer.input as tfl.SymbolicTensor).shape;
      if (input.slice(1, 3).some((d) => d === null || d % exported.size !== 0)) refuse('pooling that pads its input');
    }
    if (exported) layers.push(exported);
  }
  if (layers.at(-1)?.kind !== 'dense') {
    throw new UserError(`${join(dir, MODEL_FILE)}: the model does not end in a dense layer (logits)`);
  }
  return { name: model.name, layers };
}
