/**
 * Save and load models in the standard TF.js layers format (model.json +
 * weights.bin) through our own tf.io.IOHandler: tfjs' own `file://` handler
 * exists only in tfjs-node. The run's metadata goes into model.json's
 * `userDefinedMetadata` (so it travels with the model) and, for people and
 * scripts, into metadata.json beside it.
 */
import type * as tfl from '@tensorflow/tfjs';
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { loadTf } from '../backends/tf';
import { UserError, errorMessage } from '../errors';
import { writeFileAtomic } from '../fs/atomic';
import { checkInside } from '../fs/paths';
import { readRegularFile } from '../fs/read';
import { firstNonFinite } from './finite';
import { METADATA_FILE, MODEL_FILE, WEIGHTS_FILE } from '../run-files';
import { readJsonFile } from '../validate';

type ModelArtifacts = tfl.io.ModelArtifacts;
type ModelJSON = tfl.io.ModelJSON;
type WeightsManifestEntry = tfl.io.WeightsManifestEntry;
type IOHandler = tfl.io.IOHandler;

const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1 };

/** A handler that writes/reads `dir/model.json` and `dir/weights.bin`. */
export function directoryHandler(dir: string): IOHandler {
  const root = resolve(dir);
  return {
    async save(artifacts: ModelArtifacts) {
      const tf = loadTf();
      const weights = new Uint8Array(
        artifacts.weightData ? tf.io.concatenateArrayBuffers(artifacts.weightData) : new ArrayBuffer(0),
      );
      const modelJson: ModelJSON = {
        modelTopology: artifacts.modelTopology as ModelJSON['modelTopology'],
        format: artifacts.format ?? 'layers-model',
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? null,
        weightsManifest: [{ paths: [WEIGHTS_FILE], weights: artifacts.weightSpecs ?? [] }],
        ...(artifacts.trainingConfig ? { trainingConfig: artifacts.trainingConfig } : {}),
        ...(artifacts.userDefinedMetadata ? { userDefinedMetadata: artifacts.userDefinedMetadata } : {}),
      };
      // weights first: a model.json never points at weights that are not there yet.
      writeFileAtomic(join(root, WEIGHTS_FILE), weights);
      writeFileAtomic(join(root, MODEL_FILE), JSON.stringify(modelJson));
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    },
    async load() {
      return readArtifacts(root);
    },
  };
}

/** Weights beyond this are not a model of ours: refuse before allocating them. */
const MAX_WEIGHT_BYTES = 1 << 30;

const WeightSpecSchema = z.object({
  name: z.string().min(1),
  shape: z.array(z.number().int().nonnegative()).max(8),
  dtype: z.enum(['float32', 'int32', 'bool'], { error: 'must be float32, int32 or bool' }),
  quantization: z.undefined({ error: 'quantized weights are not supported' }).optional(),
});

/** model.json: the topology is checked by tfjs when the model is built; the manifest here, since we read files by it. */
const ModelJsonSchema = z.looseObject({
  modelTopology: z.record(z.string(), z.unknown(), { error: 'missing (not a TF.js layers model)' }),
  format: z.string().optional(),
  generatedBy: z.string().optional(),
  convertedBy: z.string().nullable().optional(),
  weightsManifest: z
    .array(
      z.object({
        paths: z.array(z.string().min(1)).min(1),
        weights: z.array(WeightSpecSchema),
      }),
      { error: 'missing (not a TF.js layers model)' },
    )
    .min(1),
});

const weightBytes = (w: WeightsManifestEntry) => w.shape.reduce((a, b) => a * b, 1) * DTYPE_BYTES[w.dtype];

/** The first weight holding NaN or ±Infinity, by name and index. */
function nonFiniteWeight(specs: WeightsManifestEntry[], data: Uint8Array): string | undefined {
  let offset = 0;
  for (const w of specs) {
    const bytes = weightBytes(w);
    if (w.dtype === 'float32') {
      const values = new Float32Array(data.buffer.slice(data.byteOffset + offset, data.byteOffset + offset + bytes));
      const bad = firstNonFinite(values);
      if (bad >= 0) return `weight ${w.name} holds ${values[bad]} at index ${bad}`;
    }
    offset += bytes;
  }
  return undefined;
}

/** Reads and checks a saved model's files; every problem is a UserError naming the file. */
export function readArtifacts(dir: string): ModelArtifacts {
  const root = resolve(dir);
  if (!existsSync(root) || !statSync(root).isDirectory()) throw new UserError(`${dir}: model folder not found`);
  const modelFile = join(root, MODEL_FILE);
  if (!existsSync(modelFile))
    throw new UserError(`${modelFile}: not found (is this a model folder saved by mnist-deep train?)`);
  checkInside(root, MODEL_FILE, modelFile);
  const json = readJsonFile(modelFile, ModelJsonSchema);
  const specs = json.weightsManifest.flatMap((g) => g.weights as WeightsManifestEntry[]);
  const expected = specs.reduce((sum, w) => sum + weightBytes(w), 0);
  if (expected > MAX_WEIGHT_BYTES)
    throw new UserError(`${modelFile}: its weights manifest describes ${expected} bytes, more than any model of ours`);
  const parts: Uint8Array[] = [];
  let read = 0;
  for (const group of json.weightsManifest) {
    for (const p of group.paths) {
      checkInside(root, p, modelFile);
      const file = resolve(root, p);
      if (!existsSync(file)) throw new UserError(`${file}: weights file not found (named by ${MODEL_FILE})`);
      const bytes = readRegularFile(file, {
        maxBytes: expected - read,
        why: `${MODEL_FILE} describes ${expected} bytes of weights`,
      });
      read += bytes.length;
      parts.push(bytes);
    }
  }
  const data = Buffer.concat(parts);
  if (data.byteLength !== expected) {
    throw new UserError(
      `${join(root, WEIGHTS_FILE)}: ${data.byteLength} bytes, but ${MODEL_FILE} describes ${expected}`,
    );
  }
  const bad = nonFiniteWeight(specs, data);
  if (bad)
    throw new UserError(
      `${join(root, json.weightsManifest[0].paths[0])}: ${bad}; a model's weights must be finite numbers (did its training diverge?)`,
    );
  const weightData = data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer;
  return loadTf().io.getModelArtifactsForJSONSync(json as unknown as ModelJSON, specs, weightData);
}

/**
 * Saves the model; `metadata` (a JSON object describing the run) goes into
 * model.json's userDefinedMetadata and into metadata.json.
 */
export async function saveModel(model: tfl.LayersModel, dir: string, metadata?: object): Promise<void> {
  if (metadata) model.setUserDefinedMetadata(metadata);
  await model.save(directoryHandler(dir));
  if (metadata) writeFileAtomic(join(resolve(dir), METADATA_FILE), JSON.stringify(metadata, null, 2) + '\n');
}

export async function loadModel(dir: string): Promise<tfl.LayersModel> {
  const artifacts = readArtifacts(dir);
  try {
    return await loadTf().loadLayersModel(loadTf().io.fromMemory(artifacts));
  } catch (err) {
    throw new UserError(
      `${join(resolve(dir), MODEL_FILE)}: cannot build the model (${errorMessage(err).split('\n')[0]})`,
    );
  }
}
