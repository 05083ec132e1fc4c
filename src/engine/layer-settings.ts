/**
 * Which layer settings the prepared engines can build (the graph engine's
 * TensorFlow graph, the webgpu step engine's kernels), read from a built
 * tf.layers model: one home, so that a setting one of them learns is not
 * refused by the other, or worse, built wrongly. A setting outside these is an
 * UnsupportedLayerError naming the engine and the layer, and createEngine then
 * trains on the tensor engine.
 */
import type * as tfl from '@tensorflow/tfjs';
import { UserError } from '../errors';

export class UnsupportedLayerError extends UserError {}

export type LayerConfig = Record<string, unknown>;
type Layer = tfl.layers.Layer;
/** Throws the engine's UnsupportedLayerError (typed, so that the compiler knows it never returns). */
export type Refuse = (layer: Layer, what: string) => never;

/** The settings both prepared engines read, each refused with `engine`'s name. */
export function layerSettings(engine: string) {
  const refuse: Refuse = (layer, what) => {
    throw new UnsupportedLayerError(
      `the ${engine} cannot build layer ${layer.name} (${layer.getClassName()}): ${what}`,
    );
  };
  return {
    refuse,
    /** A (height, width) setting, given as one number or two. */
    pair(layer: Layer, config: LayerConfig, key: string): [number, number] {
      const v = config[key];
      const arr = typeof v === 'number' ? [v, v] : v;
      if (!Array.isArray(arr) || arr.length !== 2 || !arr.every((n) => typeof n === 'number'))
        refuse(layer, `${key} ${JSON.stringify(v)}`);
      return [arr[0] as number, arr[1] as number];
    },
    padding(layer: Layer, config: LayerConfig): 'same' | 'valid' {
      const p = config.padding;
      if (p !== 'same' && p !== 'valid') refuse(layer, `padding ${String(p)}`);
      return p;
    },
    /** NHWC only: both engines lay images out as TensorFlow's default. */
    channelsLast(layer: Layer, config: LayerConfig): void {
      if (config.dataFormat !== undefined && config.dataFormat !== 'channelsLast')
        refuse(layer, `data format ${String(config.dataFormat)}`);
    },
    /** Whether the layer ends in a ReLU; linear (or none) is the other activation built. */
    relu(layer: Layer, config: LayerConfig): boolean {
      const a = config.activation;
      if (a !== 'relu' && a !== 'linear' && a !== undefined) refuse(layer, `activation ${String(a)}`);
      return a === 'relu';
    },
    dropoutRate(layer: Layer, config: LayerConfig): number {
      const rate = config.rate;
      if (typeof rate !== 'number' || rate < 0 || rate >= 1) refuse(layer, `rate ${String(rate)}`);
      return rate;
    },
    /** The index in `model.trainableWeights` (as `index` maps names) of the layer's weight `k`. */
    weightIndex(layer: Layer, k: number, index: Map<string, number>): number {
      const w = layer.trainableWeights[k];
      const i = w && index.get(w.name);
      if (i === undefined) refuse(layer, `weight ${k} is not trainable`);
      return i;
    },
  };
}
