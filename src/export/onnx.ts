/**
 * A model as an ONNX `ModelProto` (opset 13): TensorFlow.js computes in NHWC with HWIO kernels,
 * ONNX's Conv and MaxPool in NCHW with OIHW kernels, so the image is transposed to NCHW after the
 * reshape and back to NHWC before the flatten (the dense layer's rows are in NHWC order), and the
 * kernels are transposed once here. Input `images` [batch, 784], output `probabilities` [batch, 10].
 */
import { IMAGE_SIZE, NUM_CLASSES } from '../data/shapes';
import { packageVersion } from '../version';
import { ExportModel, Weight } from './layers';
import { ATTR_INT, ATTR_INTS, ONNX_FLOAT, ONNX_INT64, OnnxNode, OnnxTensor, encodeOnnx } from './onnx-proto';

export const ONNX_INPUT = 'images';
export const ONNX_OUTPUT = 'probabilities';
/** Opset 13 (Softmax over one axis) and IR version 7, which it came with: every ONNX Runtime since 1.7 reads them. */
const OPSET = 13;
const IR_VERSION = 7;

const bytesOf = (a: Float32Array | BigInt64Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/** HWIO (TensorFlow.js' conv kernel) to OIHW (ONNX's). */
export function hwioToOihw(w: Weight): Weight {
  const [h, wd, i, o] = w.shape;
  const out = new Float32Array(w.values.length);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < wd; x++)
      for (let c = 0; c < i; c++)
        for (let k = 0; k < o; k++) out[((k * i + c) * h + y) * wd + x] = w.values[((y * wd + x) * i + c) * o + k];
  return { values: out, shape: [o, i, h, wd] };
}

/** The graph's nodes and initializers, built layer by layer. */
class GraphBuilder {
  readonly nodes: OnnxNode[] = [];
  readonly initializers: OnnxTensor[] = [];
  /** The name of the tensor the next node reads. */
  current = ONNX_INPUT;

  weight(name: string, w: Weight): string {
    this.initializers.push({ name, dims: w.shape, dataType: ONNX_FLOAT, rawData: bytesOf(w.values) });
    return name;
  }

  int64s(name: string, values: number[]): string {
    const data = BigInt64Array.from(values.map(BigInt));
    this.initializers.push({ name, dims: [values.length], dataType: ONNX_INT64, rawData: bytesOf(data) });
    return name;
  }

  /** Adds a node reading the current tensor (and `inputs`); its output becomes the current tensor. */
  node(opType: string, name: string, inputs: string[] = [], ints: Record<string, number | number[]> = {}): void {
    const attribute = Object.entries(ints).map(([key, v]) =>
      typeof v === 'number' ? { name: key, type: ATTR_INT, i: v } : { name: key, type: ATTR_INTS, ints: v },
    );
    this.nodes.push({ input: [this.current, ...inputs], output: [name], name, opType, attribute });
    this.current = name;
  }
}

/** The ONNX file's bytes for the model. */
export function toOnnx(model: ExportModel): Uint8Array {
  const g = new GraphBuilder();
  let nchw = false;
  const toNchw = (name: string) => {
    if (!nchw) g.node('Transpose', `${name}/to_nchw`, [], { perm: [0, 3, 1, 2] });
    nchw = true;
  };
  for (const layer of model.layers) {
    const n = layer.name;
    switch (layer.kind) {
      case 'reshape':
        g.node('Reshape', n, [g.int64s(`${n}/shape`, [-1, ...layer.targetShape])]);
        break;
      case 'conv': {
        toNchw(n);
        const pad = (layer.size - 1) / 2;
        const inputs = [g.weight(`${n}/kernel`, hwioToOihw(layer.kernel)), g.weight(`${n}/bias`, layer.bias)];
        g.node('Conv', n, inputs, { kernel_shape: [layer.size, layer.size], pads: [pad, pad, pad, pad] });
        if (layer.relu) g.node('Relu', `${n}/relu`);
        break;
      }
      case 'pool':
        toNchw(n);
        g.node('MaxPool', n, [], { kernel_shape: [layer.size, layer.size], strides: [layer.size, layer.size] });
        break;
      case 'flatten':
        if (nchw) g.node('Transpose', `${n}/to_nhwc`, [], { perm: [0, 2, 3, 1] });
        nchw = false;
        g.node('Flatten', n, [], { axis: 1 });
        break;
      case 'dense':
        g.node('Gemm', n, [g.weight(`${n}/kernel`, layer.kernel), g.weight(`${n}/bias`, layer.bias)]);
        if (layer.relu) g.node('Relu', `${n}/relu`);
        break;
    }
  }
  g.node('Softmax', ONNX_OUTPUT, [], { axis: 1 });
  return encodeOnnx({
    irVersion: IR_VERSION,
    opset: OPSET,
    producerVersion: packageVersion(),
    docString: `mnist-deep ${model.name}: ${IMAGE_SIZE} pixels in [0, 1] in, ${NUM_CLASSES} class probabilities out`,
    graphName: model.name,
    nodes: g.nodes,
    initializers: g.initializers,
    inputs: [{ name: ONNX_INPUT, dims: ['batch', IMAGE_SIZE] }],
    outputs: [{ name: ONNX_OUTPUT, dims: ['batch', NUM_CLASSES] }],
  });
}
