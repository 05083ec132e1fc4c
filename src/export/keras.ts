/**
 * A model as Keras 3's `.keras` file: a zip of metadata.json, config.json (a Sequential in Keras 3's
 * serialization format: module, class_name, config) and model.weights.h5, where Keras looks for each
 * layer's variables under `layers/<class in snake_case, numbered when repeated>/vars/<index>`. Keras
 * and TensorFlow.js share the kernel layouts (dense [in, out], conv HWIO), so the weights go as they
 * are. A softmax Activation layer at the end makes the output the class probabilities, as in ONNX.
 */
import { IMAGE_SIZE } from '../data/shapes';
import { ExportLayer, ExportModel } from './layers';
import { H5Group, writeH5 } from './h5';
import { zipStored } from './zip';

/** The Keras version whose format we write (the one our tests load it with). */
const KERAS_VERSION = '3.15.1';
export const KERAS_OUTPUT = 'probabilities';

type KerasLayer = { className: string; name: string; config: Record<string, unknown>; vars: ExportLayerVars };
type ExportLayerVars = { values: Float32Array; shape: number[] }[];

function kerasLayer(layer: ExportLayer): KerasLayer {
  const base = { name: layer.name, vars: [] as ExportLayerVars };
  switch (layer.kind) {
    case 'reshape':
      return { ...base, className: 'Reshape', config: { target_shape: layer.targetShape } };
    case 'flatten':
      return { ...base, className: 'Flatten', config: { data_format: 'channels_last' } };
    case 'pool': {
      const size = [layer.size, layer.size];
      const config = { pool_size: size, strides: size, padding: 'same', data_format: 'channels_last' };
      return { ...base, className: 'MaxPooling2D', config };
    }
    case 'conv': {
      const [kh, kw, , filters] = layer.kernel.shape;
      return {
        ...base,
        className: 'Conv2D',
        config: {
          filters,
          kernel_size: [kh, kw],
          strides: [1, 1],
          padding: 'same',
          data_format: 'channels_last',
          activation: layer.relu ? 'relu' : 'linear',
          use_bias: true,
        },
        vars: [layer.kernel, layer.bias],
      };
    }
    case 'dense': {
      const config = { units: layer.kernel.shape[1], activation: layer.relu ? 'relu' : 'linear', use_bias: true };
      return { ...base, className: 'Dense', config, vars: [layer.kernel, layer.bias] };
    }
  }
}

/** Keras' own rule: MaxPooling2D → max_pooling2d, Conv2D → conv2d. */
const snakeCase = (name: string) =>
  name
    .replace(/(.)([A-Z][a-z]+)/g, '$1_$2')
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase();

const serialized = (l: KerasLayer) => ({
  module: 'keras.layers',
  class_name: l.className,
  config: { name: l.name, trainable: true, dtype: 'float32', ...l.config },
  registered_name: null,
});

/** config.json: the Sequential, its input [batch, 784] and its layers. */
function kerasConfig(name: string, layers: KerasLayer[]): object {
  const input = {
    module: 'keras.layers',
    class_name: 'InputLayer',
    config: { batch_shape: [null, IMAGE_SIZE], dtype: 'float32', name: 'images' },
    registered_name: null,
  };
  return {
    module: 'keras',
    class_name: 'Sequential',
    config: { name, trainable: true, dtype: 'float32', layers: [input, ...layers.map(serialized)] },
    registered_name: null,
    build_config: { input_shape: [null, IMAGE_SIZE] },
    compile_config: null,
  };
}

/** model.weights.h5's tree: Keras names each layer's group by its class, numbered from the second on. */
function weightsTree(name: string, layers: KerasLayer[]): H5Group {
  const seen = new Map<string, number>();
  const groups: Record<string, H5Group> = {};
  for (const l of layers) {
    const key = snakeCase(l.className);
    const n = seen.get(key) ?? 0;
    seen.set(key, n + 1);
    const vars: H5Group = { attrs: { name: l.name }, groups: {}, datasets: Object.fromEntries(l.vars.entries()) };
    groups[n === 0 ? key : `${key}_${n}`] = { groups: { vars } };
  }
  return { groups: { layers: { groups }, vars: { attrs: { name }, groups: {} } } };
}

/** The .keras file's bytes. */
export async function toKeras(model: ExportModel): Promise<Uint8Array> {
  const layers = model.layers.map(kerasLayer);
  layers.push({
    className: 'Activation',
    name: KERAS_OUTPUT,
    config: { activation: 'softmax' },
    vars: [],
  });
  const metadata = { keras_version: KERAS_VERSION, date_saved: new Date().toISOString() };
  const enc = (o: object) => new TextEncoder().encode(JSON.stringify(o));
  return zipStored([
    { name: 'metadata.json', data: enc(metadata) },
    { name: 'config.json', data: enc(kerasConfig(model.name, layers)) },
    { name: 'model.weights.h5', data: await writeH5(weightsTree(model.name, layers)) },
  ]);
}
