/**
 * The part of ONNX's `ModelProto` (onnx/onnx.proto) that our exported models use, encoded with
 * protobufjs from a JSON descriptor: the field numbers are ONNX's, the names protobufjs's camelCase.
 */
import { Root } from 'protobufjs/light';

/** TensorProto.DataType: FLOAT and INT64. */
export const ONNX_FLOAT = 1;
export const ONNX_INT64 = 7;
/** AttributeProto.AttributeType: INT and INTS. */
export const ATTR_INT = 2;
export const ATTR_INTS = 7;

const field = (type: string, id: number, repeated = false) => ({ type, id, ...(repeated && { rule: 'repeated' }) });

const root = Root.fromJSON({
  nested: {
    ModelProto: {
      fields: {
        irVersion: field('int64', 1),
        producerName: field('string', 2),
        producerVersion: field('string', 3),
        docString: field('string', 6),
        graph: field('GraphProto', 7),
        opsetImport: field('OperatorSetIdProto', 8, true),
      },
    },
    OperatorSetIdProto: { fields: { domain: field('string', 1), version: field('int64', 2) } },
    GraphProto: {
      fields: {
        node: field('NodeProto', 1, true),
        name: field('string', 2),
        initializer: field('TensorProto', 5, true),
        input: field('ValueInfoProto', 11, true),
        output: field('ValueInfoProto', 12, true),
      },
    },
    NodeProto: {
      fields: {
        input: field('string', 1, true),
        output: field('string', 2, true),
        name: field('string', 3),
        opType: field('string', 4),
        attribute: field('AttributeProto', 5, true),
      },
    },
    AttributeProto: {
      fields: {
        name: field('string', 1),
        i: field('int64', 3),
        ints: field('int64', 8, true),
        type: field('int32', 20),
      },
    },
    TensorProto: {
      fields: {
        dims: field('int64', 1, true),
        dataType: field('int32', 2),
        name: field('string', 8),
        rawData: field('bytes', 9),
      },
    },
    ValueInfoProto: { fields: { name: field('string', 1), type: field('TypeProto', 2) } },
    TypeProto: {
      fields: { tensorType: field('Tensor', 1) },
      nested: { Tensor: { fields: { elemType: field('int32', 1), shape: field('TensorShapeProto', 2) } } },
    },
    TensorShapeProto: {
      fields: { dim: field('Dimension', 1, true) },
      nested: {
        Dimension: {
          fields: { dimValue: field('int64', 1), dimParam: field('string', 2) },
          oneofs: { value: { oneof: ['dimValue', 'dimParam'] } },
        },
      },
    },
  },
});

export interface OnnxNode {
  input: string[];
  output: string[];
  name: string;
  opType: string;
  attribute?: { name: string; type: number; i?: number; ints?: number[] }[];
}

export interface OnnxTensor {
  name: string;
  dims: number[];
  dataType: number;
  rawData: Uint8Array;
}

/** A float tensor input or output; a string dimension is symbolic (the batch). */
export interface OnnxValue {
  name: string;
  dims: (number | string)[];
}

export interface OnnxModel {
  irVersion: number;
  opset: number;
  producerVersion: string;
  docString: string;
  graphName: string;
  nodes: OnnxNode[];
  initializers: OnnxTensor[];
  inputs: OnnxValue[];
  outputs: OnnxValue[];
}

const valueInfo = (v: OnnxValue) => ({
  name: v.name,
  type: {
    tensorType: {
      elemType: ONNX_FLOAT,
      shape: { dim: v.dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) },
    },
  },
});

/** The ModelProto's bytes. */
export function encodeOnnx(m: OnnxModel): Uint8Array {
  const type = root.lookupType('ModelProto');
  const message = type.fromObject({
    irVersion: m.irVersion,
    producerName: 'mnist-deep',
    producerVersion: m.producerVersion,
    docString: m.docString,
    opsetImport: [{ domain: '', version: m.opset }],
    graph: {
      name: m.graphName,
      node: m.nodes,
      initializer: m.initializers,
      input: m.inputs.map(valueInfo),
      output: m.outputs.map(valueInfo),
    },
  });
  return type.encode(message).finish();
}
