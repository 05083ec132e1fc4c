/**
 * The part of TensorFlow's `SavedModel` (tensorflow/core/protobuf/saved_model.proto,
 * meta_graph.proto) that a TF1-style SavedModel with one graph needs, encoded with protobufjs
 * from a JSON descriptor: the field numbers are TensorFlow's, the names protobufjs's camelCase.
 * The GraphDef comes serialized from TensorFlow itself (TF_GraphToGraphDef), so it is declared
 * as bytes: an embedded message and a bytes field are the same on the wire.
 */
import { Root } from 'protobufjs/light';

/** tensorflow.DataType: DT_FLOAT and DT_INT32. */
export const TF_FLOAT = 1;
export const TF_INT32 = 3;

const field = (type: string, id: number, repeated = false) => ({ type, id, ...(repeated && { rule: 'repeated' }) });
const map = (valueType: string, id: number) => ({ keyType: 'string', type: valueType, id });

const root = Root.fromJSON({
  nested: {
    SavedModel: {
      fields: { savedModelSchemaVersion: field('int64', 1), metaGraphs: field('MetaGraphDef', 2, true) },
    },
    MetaGraphDef: {
      fields: {
        metaInfoDef: field('MetaInfoDef', 1),
        graphDef: field('bytes', 2),
        signatureDef: map('SignatureDef', 5),
      },
    },
    MetaInfoDef: {
      fields: {
        metaGraphVersion: field('string', 1),
        tags: field('string', 4, true),
        tensorflowVersion: field('string', 5),
      },
    },
    SignatureDef: {
      fields: { inputs: map('TensorInfo', 1), outputs: map('TensorInfo', 2), methodName: field('string', 3) },
    },
    TensorInfo: {
      fields: { name: field('string', 1), dtype: field('int32', 2), tensorShape: field('TensorShapeProto', 3) },
    },
    TensorShapeProto: {
      fields: { dim: field('Dim', 2, true) },
      nested: { Dim: { fields: { size: field('int64', 1) } } },
    },
  },
});

/** A signature's tensor: the graph's tensor name (`op:0`), its dtype and shape (-1: any size). */
export interface SignatureTensor {
  name: string;
  dtype: number;
  shape: number[];
}

export interface SavedModelSpec {
  /** The serialized GraphDef. */
  graphDef: Uint8Array;
  tags: string[];
  tensorflowVersion: string;
  signatureName: string;
  methodName: string;
  inputs: Record<string, SignatureTensor>;
  outputs: Record<string, SignatureTensor>;
}

const tensorInfo = (t: SignatureTensor) => ({
  name: t.name,
  dtype: t.dtype,
  tensorShape: { dim: t.shape.map((size) => ({ size })) },
});

const infos = (tensors: Record<string, SignatureTensor>) =>
  Object.fromEntries(Object.entries(tensors).map(([key, t]) => [key, tensorInfo(t)]));

/** saved_model.pb's bytes: one MetaGraphDef with the graph and one signature. */
export function encodeSavedModel(s: SavedModelSpec): Uint8Array {
  const type = root.lookupType('SavedModel');
  const message = type.fromObject({
    savedModelSchemaVersion: 1,
    metaGraphs: [
      {
        metaInfoDef: { metaGraphVersion: 'mnist-deep', tags: s.tags, tensorflowVersion: s.tensorflowVersion },
        graphDef: s.graphDef,
        signatureDef: {
          [s.signatureName]: { inputs: infos(s.inputs), outputs: infos(s.outputs), methodName: s.methodName },
        },
      },
    ],
  });
  return type.encode(message).finish();
}
