/**
 * A model as a TF1-style SavedModel: the graph engine's own forward pass (engine/graph/layers.ts)
 * built through TensorFlow's C API with the weights as Const nodes, softmax and argmax on top,
 * serialized by TensorFlow (TF_GraphToGraphDef) and wrapped in one MetaGraphDef tagged `serve`
 * with a `serving_default` signature. No variables: loaders that find no checkpoint restore none.
 */
import type * as tfl from '@tensorflow/tfjs';
import { IMAGE_SIZE, NUM_CLASSES } from '../data/shapes';
import { GraphBuilder, f32 } from '../engine/graph/builder';
import { forward } from '../engine/graph/layers';
import { DT, GraphApi } from '../native/graph-api';
import { TF_FLOAT, TF_INT32, encodeSavedModel } from './savedmodel-proto';

export const SAVEDMODEL_FILE = 'saved_model.pb';
export const SIGNATURE = 'serving_default';
export const SAVEDMODEL_INPUT = 'images';
export const SAVEDMODEL_OUTPUTS = ['probabilities', 'classes'] as const;
/** The tag TF Serving, tf.saved_model.load and tfjs-node look for by default. */
const SERVE_TAG = 'serve';
const PREDICT_METHOD = 'tensorflow/serving/predict';

/** A TensorFlow op name from a TensorFlow.js weight name (letters, digits, `_ . - /`). */
const opName = (name: string) => name.replace(/[^A-Za-z0-9_.\-/]/g, '_');

/** The inference graph's GraphDef: `images` in, `probabilities` and `classes` out, weights as constants. */
function graphDef(api: GraphApi, model: tfl.LayersModel): Uint8Array {
  const g = new GraphBuilder(api);
  const weights = model.trainableWeights.map((w) =>
    g.constant([DT.float, w.shape as number[], Float32Array.from(w.read().dataSync() as Float32Array)], opName(w.name)),
  );
  const images = g.placeholder(DT.float, [-1, IMAGE_SIZE], SAVEDMODEL_INPUT);
  const logits = forward(g, model, weights, images, { training: false });
  g.op('Softmax', [logits], [f32], [], SAVEDMODEL_OUTPUTS[0]);
  g.op(
    'ArgMax',
    [logits, g.int32(1)],
    [f32, ['Tidx', 'type', DT.int32], ['output_type', 'type', DT.int32]],
    [],
    SAVEDMODEL_OUTPUTS[1],
  );
  return api.graphDef(g.graph);
}

/** saved_model.pb's bytes for the model (its last layer gives logits: exportModel checks that). */
export function toSavedModel(api: GraphApi, model: tfl.LayersModel): Uint8Array {
  return encodeSavedModel({
    graphDef: graphDef(api, model),
    tags: [SERVE_TAG],
    tensorflowVersion: api.tensorflowVersion,
    signatureName: SIGNATURE,
    methodName: PREDICT_METHOD,
    inputs: { [SAVEDMODEL_INPUT]: { name: `${SAVEDMODEL_INPUT}:0`, dtype: TF_FLOAT, shape: [-1, IMAGE_SIZE] } },
    outputs: {
      [SAVEDMODEL_OUTPUTS[0]]: { name: `${SAVEDMODEL_OUTPUTS[0]}:0`, dtype: TF_FLOAT, shape: [-1, NUM_CLASSES] },
      [SAVEDMODEL_OUTPUTS[1]]: { name: `${SAVEDMODEL_OUTPUTS[1]}:0`, dtype: TF_INT32, shape: [-1] },
    },
  });
}
