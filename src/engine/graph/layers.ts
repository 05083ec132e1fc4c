/**
 * The model's forward pass as TensorFlow graph ops, derived from the
 * tf.layers model itself (each layer's class, config and weights), so that
 * src/models stays the one place that defines an architecture. A layer or
 * setting this builder does not know is a one-line error naming it.
 */
import type * as tfl from '@tensorflow/tfjs';
import { DT, Output } from '../../native/graph-api';
import { LayerConfig as Config, Refuse, layerSettings } from '../layer-settings';
import { GraphBuilder, GraphVariable, f32 } from './builder';

const settings = layerSettings('graph engine');
const { pair, channelsLast } = settings;
const unsupported: Refuse = settings.refuse;
const padding = (layer: tfl.layers.Layer, config: Config) => settings.padding(layer, config).toUpperCase();

export interface ForwardOptions {
  /** Dropout on (training) or off (evaluation). */
  training: boolean;
  /** [seed, step] as an int64 vector: each step's dropout masks (StatelessRandomUniform). */
  dropoutSeed?: Output;
}

/**
 * Builds the forward pass from `input` ([batch, 784] floats) to the logits.
 * `weights` holds one read of each variable, in `model.trainableWeights` order.
 */
export function forward(
  g: GraphBuilder,
  model: tfl.LayersModel,
  weights: Output[],
  input: Output,
  options: ForwardOptions,
): Output {
  const index = new Map(model.trainableWeights.map((w, i) => [w.name, i]));
  const weightOf = (layer: tfl.layers.Layer, k: number): Output => weights[settings.weightIndex(layer, k, index)];
  let x = input;
  for (const layer of model.layers) x = layerOps(g, layer, x, weightOf, options);
  return x;
}

type WeightOf = (layer: tfl.layers.Layer, k: number) => Output;

function layerOps(g: GraphBuilder, layer: tfl.layers.Layer, x: Output, w: WeightOf, o: ForwardOptions): Output {
  const config = layer.getConfig() as Config;
  switch (layer.getClassName()) {
    case 'Reshape':
    case 'Flatten':
      return g.op('Reshape', [x, g.ints([-1, ...outputShape(layer).slice(1)])], [f32], [], layer.name);
    case 'Conv2D':
      return conv2d(g, layer, config, x, w);
    case 'MaxPooling2D': {
      channelsLast(layer, config);
      const [ph, pw] = pair(layer, config, 'poolSize');
      const [sh, sw] = pair(layer, config, 'strides');
      return g.op(
        'MaxPool',
        [x],
        [
          f32,
          ['ksize', 'ints', [1, ph, pw, 1]],
          ['strides', 'ints', [1, sh, sw, 1]],
          ['padding', 'string', padding(layer, config)],
        ],
        [],
        layer.name,
      );
    }
    case 'Dense':
      return dense(g, layer, config, x, w);
    case 'Dropout':
      return o.training ? dropout(g, layer, config, x, o.dropoutSeed) : x;
    default:
      return unsupported(layer, 'unknown layer class');
  }
}

function outputShape(layer: tfl.layers.Layer): number[] {
  const s = layer.outputShape;
  if (!Array.isArray(s) || Array.isArray(s[0]) || s.slice(1).some((d) => typeof d !== 'number'))
    unsupported(layer, `output shape ${JSON.stringify(s)}`);
  return s as number[];
}

function biasAndActivation(g: GraphBuilder, layer: tfl.layers.Layer, config: Config, x: Output, w: WeightOf): Output {
  let y = config.useBias === false ? x : g.op('BiasAdd', [x, w(layer, 1)], [f32], [], `${layer.name}/bias`);
  if (settings.relu(layer, config)) y = g.op('Relu', [y], [f32], [], `${layer.name}/relu`);
  return y;
}

function conv2d(g: GraphBuilder, layer: tfl.layers.Layer, config: Config, x: Output, w: WeightOf): Output {
  channelsLast(layer, config);
  const [sh, sw] = pair(layer, config, 'strides');
  const [dh, dw] = pair(layer, config, 'dilationRate');
  const y = g.op(
    'Conv2D',
    [x, w(layer, 0)],
    [
      f32,
      ['strides', 'ints', [1, sh, sw, 1]],
      ['dilations', 'ints', [1, dh, dw, 1]],
      ['padding', 'string', padding(layer, config)],
    ],
    [],
    layer.name,
  );
  return biasAndActivation(g, layer, config, y, w);
}

function dense(g: GraphBuilder, layer: tfl.layers.Layer, config: Config, x: Output, w: WeightOf): Output {
  if (outputShape(layer).length !== 2) unsupported(layer, 'only inputs of rank 2');
  const y = g.op('MatMul', [x, w(layer, 0)], [f32], [], layer.name);
  return biasAndActivation(g, layer, config, y, w);
}

/** tf.nn.dropout: keep each unit with probability 1 - rate, scaled by 1 / (1 - rate). */
function dropout(g: GraphBuilder, layer: tfl.layers.Layer, config: Config, x: Output, seed?: Output): Output {
  const rate = settings.dropoutRate(layer, config);
  if (rate === 0) return x;
  if (!seed) unsupported(layer, 'no dropout seed');
  const shape = g.op('Shape', [x], [f32, ['out_type', 'type', DT.int32]], [], `${layer.name}/shape`);
  const uniform = g.op(
    'StatelessRandomUniform',
    [shape, seed],
    [
      ['dtype', 'type', DT.float],
      ['T', 'type', DT.int32],
      ['Tseed', 'type', DT.int64],
    ],
    [],
    `${layer.name}/uniform`,
  );
  const keep = g.op('GreaterEqual', [uniform, g.scalar(rate)], [f32], [], `${layer.name}/keep`);
  const mask = g.op(
    'Cast',
    [keep],
    [
      ['SrcT', 'type', DT.bool],
      ['DstT', 'type', DT.float],
    ],
    [],
    `${layer.name}/mask`,
  );
  const scaled = g.op('Mul', [x, g.scalar(1 / (1 - rate))], [f32], [], `${layer.name}/scale`);
  return g.op('Mul', [scaled, mask], [f32], [], layer.name);
}

export type { GraphVariable };
