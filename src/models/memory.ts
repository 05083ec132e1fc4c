/**
 * How much working memory a batch of a model takes, from its layers' output
 * shapes: what is checked against the memory the process can have before a
 * backend is asked for it (src/memory/available.ts).
 */
import type * as tfl from '@tensorflow/tfjs';

/** Floats one example's output of `layer` holds, times the tensors a layer makes (its op, bias, activation). */
function layerFloats(layer: tfl.layers.Layer): number {
  const shape = layer.outputShape;
  if (!Array.isArray(shape) || Array.isArray(shape[0])) return 0;
  const size = (shape as (number | null)[]).slice(1).reduce<number>((a, d) => a * (d ?? 1), 1);
  const config = layer.getConfig();
  const tensors = 1 + (config.useBias === true ? 1 : 0) + (config.activation && config.activation !== 'linear' ? 1 : 0);
  return size * tensors;
}

/**
 * Bytes a batch of `batch` examples needs at its peak: evaluation holds one layer's tensors
 * at a time (the largest decides); a training step keeps every layer's for the backward
 * pass and as much again for their gradients.
 */
export function batchBytes(model: tfl.LayersModel, batch: number, training: boolean): number {
  const floats = model.layers.map(layerFloats);
  const input = model.inputs[0]?.shape.slice(1).reduce<number>((a, d) => a * (d ?? 1), 1) ?? 0;
  const perExample = training ? 2 * floats.reduce((a, b) => a + b, input) : input + Math.max(0, ...floats);
  return perExample * 4 * batch;
}
