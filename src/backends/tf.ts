/**
 * TensorFlow.js itself, loaded lazily so that commands such as `--help` never
 * pay for it. Models, training and evaluation need only this, not backend
 * selection (index.ts).
 */
import type * as TfModule from '@tensorflow/tfjs';

export type Tf = typeof TfModule;

let tfModule: Tf | undefined;

export function loadTf(): Tf {
  if (!tfModule) {
    tfModule = require('@tensorflow/tfjs') as Tf;
    // Silences tfjs' console advice to install tfjs-node; we report backends ourselves.
    tfModule.enableProdMode();
  }
  return tfModule;
}
