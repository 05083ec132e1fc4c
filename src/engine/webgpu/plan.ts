/**
 * The model as the step engine's list of layers, derived from the built
 * tf.layers model (its classes, configs and shapes), as the graph engine
 * derives its graph: src/models stays the one definition of an architecture.
 * Reshape and Flatten move no data (NHWC rows are already flat); a layer or
 * setting this does not know is an UnsupportedLayerError (createEngine then
 * trains on the tensor engine).
 */
import type * as tfl from '@tensorflow/tfjs';
import { LayerConfig as Config, Refuse, UnsupportedLayerError, layerSettings } from '../layer-settings';
import { ConvGeometry, PoolGeometry, outputAndPad } from './geometry';

/** Indices into model.trainableWeights. */
interface Weights {
  kernel: number;
  bias?: number;
}

export type Node =
  | { kind: 'conv'; name: string; g: ConvGeometry; relu: boolean; weights: Weights; inSize: number; outSize: number }
  | { kind: 'pool'; name: string; g: PoolGeometry; inSize: number; outSize: number }
  | { kind: 'dense'; name: string; relu: boolean; weights: Weights; inSize: number; outSize: number }
  | { kind: 'dropout'; name: string; rate: number; inSize: number; outSize: number };

const settings = layerSettings('webgpu step engine');
const { pair, relu: reluOf } = settings;
const unsupported: Refuse = settings.refuse;
const checkChannelsLast = settings.channelsLast;
const paddingOf = settings.padding;

/** A layer's shape without the batch dimension. */
function shapeOf(layer: tfl.layers.Layer, s: unknown): number[] {
  if (!Array.isArray(s) || Array.isArray(s[0]) || s.slice(1).some((d) => typeof d !== 'number'))
    unsupported(layer, `shape ${JSON.stringify(s)}`);
  return s.slice(1) as number[];
}

/** The layer's input shape (one input: sequential models). */
function inputShapeOf(layer: tfl.layers.Layer): unknown {
  const input = layer.input;
  if (Array.isArray(input)) unsupported(layer, 'more than one input');
  return input.shape;
}

const product = (s: number[]) => s.reduce((a, b) => a * b, 1);

function weightsOf(layer: tfl.layers.Layer, config: Config, index: Map<string, number>): Weights {
  const at = (k: number): number => settings.weightIndex(layer, k, index);
  return { kernel: at(0), bias: config.useBias === false ? undefined : at(1) };
}

/** The spatial geometry of a conv or pool layer (input [H, W, C] → output [OH, OW, OC]). */
function windowOf(layer: tfl.layers.Layer, config: Config, k: [number, number], s: [number, number]) {
  const input = shapeOf(layer, inputShapeOf(layer));
  const output = shapeOf(layer, layer.outputShape);
  if (input.length !== 3 || output.length !== 3) unsupported(layer, 'only rank-4 inputs');
  const padding = paddingOf(layer, config);
  const [outH, padT] = outputAndPad(input[0], k[0], s[0], padding);
  const [outW, padL] = outputAndPad(input[1], k[1], s[1], padding);
  if (outH !== output[0] || outW !== output[1]) unsupported(layer, `output shape ${JSON.stringify(output)}`);
  return { input, output, padT, padL };
}

function nodeOf(layer: tfl.layers.Layer, index: Map<string, number>): Node | undefined {
  const config = layer.getConfig() as Config;
  const name = layer.name;
  const inSize = product(shapeOf(layer, inputShapeOf(layer)));
  const outSize = product(shapeOf(layer, layer.outputShape));
  switch (layer.getClassName()) {
    case 'Reshape':
    case 'Flatten':
      return undefined;
    case 'Conv2D': {
      checkChannelsLast(layer, config);
      const [kH, kW] = pair(layer, config, 'kernelSize');
      const [sH, sW] = pair(layer, config, 'strides');
      const dilation = pair(layer, config, 'dilationRate');
      if (dilation[0] !== 1 || dilation[1] !== 1) unsupported(layer, `dilation ${dilation.join('×')}`);
      const { input, output, padT, padL } = windowOf(layer, config, [kH, kW], [sH, sW]);
      const [inH, inW, inC] = input;
      const [outH, outW, outC] = output;
      const g = { inH, inW, inC, outH, outW, outC, kH, kW, sH, sW, padT, padL };
      return {
        kind: 'conv',
        name,
        g,
        relu: reluOf(layer, config),
        weights: weightsOf(layer, config, index),
        inSize,
        outSize,
      };
    }
    case 'MaxPooling2D': {
      checkChannelsLast(layer, config);
      const [pH, pW] = pair(layer, config, 'poolSize');
      const [sH, sW] = pair(layer, config, 'strides');
      const { input, output, padT, padL } = windowOf(layer, config, [pH, pW], [sH, sW]);
      const g = {
        inH: input[0],
        inW: input[1],
        c: input[2],
        outH: output[0],
        outW: output[1],
        pH,
        pW,
        sH,
        sW,
        padT,
        padL,
      };
      return { kind: 'pool', name, g, inSize, outSize };
    }
    case 'Dense':
      if (shapeOf(layer, inputShapeOf(layer)).length !== 1) unsupported(layer, 'only inputs of rank 2');
      return {
        kind: 'dense',
        name,
        relu: reluOf(layer, config),
        weights: weightsOf(layer, config, index),
        inSize,
        outSize,
      };
    case 'Dropout': {
      return { kind: 'dropout', name, rate: settings.dropoutRate(layer, config), inSize, outSize };
    }
    default:
      return unsupported(layer, 'unknown layer class');
  }
}

/** The model's layers that compute something, in order, with their per-example sizes. */
export function planOf(model: tfl.LayersModel): Node[] {
  const index = new Map(model.trainableWeights.map((w, i) => [w.name, i]));
  const nodes = model.layers.map((l) => nodeOf(l, index)).filter((n): n is Node => n !== undefined);
  if (nodes.length === 0) throw new UnsupportedLayerError('the webgpu step engine needs at least one layer');
  return nodes;
}
