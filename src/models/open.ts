/** A saved model as every command takes it: its files checked, the model built, its shapes fitting our images. */
import type * as tfl from '@tensorflow/tfjs';
import { IMAGE_COLS, IMAGE_ROWS, IMAGE_SIZE, NUM_CLASSES } from '../data/shapes';
import { UserError } from '../errors';
import { loadModel } from './io';

export function checkShapes(model: tfl.LayersModel, dir: string): void {
  const input = model.inputs[0]?.shape;
  const output = model.outputs[0]?.shape;
  if (model.inputs.length !== 1 || input?.length !== 2 || input[1] !== IMAGE_SIZE) {
    throw new UserError(
      `${dir}: model input shape ${JSON.stringify(input)} does not fit ${IMAGE_ROWS}x${IMAGE_COLS} images (expected [null,${IMAGE_SIZE}])`,
    );
  }
  if (model.outputs.length !== 1 || output?.length !== 2 || output[1] !== NUM_CLASSES) {
    throw new UserError(
      `${dir}: model output shape ${JSON.stringify(output)} does not fit ${NUM_CLASSES} classes (expected [null,${NUM_CLASSES}])`,
    );
  }
}

export async function openModel(dir: string): Promise<tfl.LayersModel> {
  const model = await loadModel(dir);
  checkShapes(model, dir);
  return model;
}
