/**
 * What a saved model's layers say that the code must honour: whether the last layer already
 * applies softmax (then its outputs are probabilities, not logits), and which layer settings
 * TensorFlow.js' own ops cannot run (only TensorFlow's graph, on the tensorflow backend, can).
 */
import type * as tfl from '@tensorflow/tfjs';
import { UserError } from '../errors';

/** The model's last layer ends in softmax: its outputs are probabilities already. */
export function endsInSoftmax(model: tfl.LayersModel): boolean {
  const last = model.layers[model.layers.length - 1];
  return last !== undefined && last.getConfig().activation === 'softmax';
}

const above1 = (v: unknown) => (Array.isArray(v) ? v : [v]).some((n) => typeof n === 'number' && n > 1);

/**
 * Refuses, in one line naming the layer, a model that TensorFlow.js' ops cannot run on `backend`
 * (or, for `serve`, in the browser): its conv2d takes strides or a dilation rate above 1, never
 * both (TensorFlow's graph takes both).
 */
export function requireTfjsRunnable(model: tfl.LayersModel, backend: string | 'browser'): void {
  for (const layer of model.layers) {
    const c = layer.getConfig();
    if (layer.getClassName() === 'Conv2D' && above1(c.strides) && above1(c.dilationRate)) {
      throw new UserError(
        `layer ${layer.name} (Conv2D): strides ${JSON.stringify(c.strides)} with dilation rate ${JSON.stringify(c.dilationRate)} ` +
          (backend === 'browser'
            ? "cannot run in the drawing page (the browser's TensorFlow.js takes one of them above 1, not both)"
            : `cannot run on the ${backend} backend (TensorFlow.js takes one of them above 1, not both); ` +
              'evaluate it with --backend tensorflow once `mnist-deep native` has built the graph engine'),
      );
    }
  }
}
