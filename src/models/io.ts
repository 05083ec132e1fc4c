/**
 * Save and load models in the standard TF.js layers format (model.json +
 * weights.bin) through our own tf.io.IOHandler: tfjs' own `file://` handler
 * exists only in tfjs-node. The run's metadata goes into model.json's
 * `userDefinedMetadata` (so it travels with the model) and, for people and
 * scripts, into metadata.json beside it.
 */
import type * as tfl from '@tensorflow/tfjs';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { loadTf } from '../backends/tf';
import { UserError, errorMessage } from '../errors';
import { writeFileAtomic } from '../fsutil';

type ModelArtifacts = tfl.io.ModelArtifacts;
type ModelJSON = tfl.io.ModelJSON;
type WeightsManifestEntry = tfl.io.WeightsManifestEntry;
type IOHandler = tfl.io.IOHandler;

export const MODEL_FILE = 'model.json';
export const WEIGHTS_FILE = 'weights.bin';
export const METADATA_FILE = 'metadata.json';

const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1 };

/** A handler that writes/reads `dir/model.json` and `dir/weights.bin`. */
export function directoryHandler(dir: string): IOHandler {
  const root = resolve(dir);
  return {
    async save(artifacts: ModelArtifacts) {
      const tf = loadTf();
      const weights = new Uint8Array(artifacts.weightData ? tf.io.concatenateArrayBuffers(artifacts.weightData) : new ArrayBuffer(0));
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

function readJson(file: string): unknown {
  if (!existsSync(file)) throw new UserError(`${file}: not found (is this a model folder saved by mnist-deep train?)`);
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new UserError(`${file}: not valid JSON (${errorMessage(err)})`);
  }
}

function expectedBytes(weights: tfl.io.WeightsManifestEntry[], file: string): number {
  return weights.reduce((sum, w) => {
    const size = DTYPE_BYTES[w.dtype];
    if (!size || w.quantization) throw new UserError(`${file}: weight ${w.name} has unsupported dtype ${w.dtype}`);
    return sum + w.shape.reduce((a, b) => a * b, 1) * size;
  }, 0);
}

/** Reads and checks a saved model's files; every problem is a UserError naming the file. */
export function readArtifacts(dir: string): ModelArtifacts {
  const root = resolve(dir);
  if (!existsSync(root) || !statSync(root).isDirectory()) throw new UserError(`${dir}: model folder not found`);
  const modelFile = join(root, MODEL_FILE);
  const json = readJson(modelFile) as Partial<ModelJSON> | null;
  if (!json || typeof json !== 'object' || !json.modelTopology || !Array.isArray(json.weightsManifest)) {
    throw new UserError(`${modelFile}: not a TF.js layers model (modelTopology or weightsManifest missing)`);
  }
  const specs: WeightsManifestEntry[] = [];
  const parts: Uint8Array[] = [];
  for (const group of json.weightsManifest) {
    for (const p of group.paths) {
      const file = resolve(root, p);
      const rel = relative(root, file);
      if (isAbsolute(p) || rel.startsWith('..') || isAbsolute(rel)) {
        throw new UserError(`${modelFile}: weights path "${p}" leaves the model folder; refused`);
      }
      if (!existsSync(file)) throw new UserError(`${file}: weights file not found`);
      parts.push(readFileSync(file));
    }
    specs.push(...group.weights);
  }
  const data = Buffer.concat(parts);
  const expected = expectedBytes(specs, modelFile);
  if (data.byteLength !== expected) {
    throw new UserError(`${join(root, WEIGHTS_FILE)}: ${data.byteLength} bytes, but ${MODEL_FILE} describes ${expected}`);
  }
  const weightData = data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer;
  return loadTf().io.getModelArtifactsForJSONSync(json as ModelJSON, specs, weightData);
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
    throw new UserError(`${join(resolve(dir), MODEL_FILE)}: cannot build the model (${errorMessage(err).split('\n')[0]})`);
  }
}
