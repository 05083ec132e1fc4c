/**
 * `export`'s work: a trained model folder (checked as eval checks it) written as an ONNX or a
 * Keras 3 file, or a SavedModel folder. The target is refused when it exists, unless `overwrite`;
 * it is written under a temporary name and renamed, so a failure leaves nothing behind.
 */
import { lstatSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { nativeDisabled, useBackend } from '../backends';
import { UserError } from '../errors';
import { writeFileAtomic } from '../fs/atomic';
import { describeFsError } from '../fs/errors';
import { displayPath } from '../fs/paths';
import { openModel } from '../models/open';
import { GraphApi, loadGraphApi } from '../native/graph-api';
import { requireTrainedModel } from '../savedir/model-folder';
import { checkFolderTarget, writeFolderAtomic } from './folder';
import { toKeras } from './keras';
import { exportModel } from './layers';
import { ONNX_INPUT, ONNX_OUTPUT, toOnnx } from './onnx';
import { SAVEDMODEL_FILE, SAVEDMODEL_INPUT, SAVEDMODEL_OUTPUTS, SIGNATURE, toSavedModel } from './savedmodel';

export const EXPORT_FORMATS = ['savedmodel', 'onnx', 'keras'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** Where each format goes inside the model folder when no --out is given. */
export const DEFAULT_TARGETS: Record<ExportFormat, string> = {
  savedmodel: 'savedmodel',
  onnx: 'model.onnx',
  keras: 'model.keras',
};

export interface ExportOptions {
  format: ExportFormat;
  modelDir: string;
  out?: string;
  overwrite?: boolean;
}

export interface ExportResult {
  format: ExportFormat;
  /** The written file (or SavedModel folder), absolute. */
  path: string;
  /** Bytes written (a SavedModel: its saved_model.pb). */
  bytes: number;
  /** The model's input and output names in the exported file. */
  input: string;
  output: string;
  /** The SavedModel's signature, which also gives `classes`. */
  signature?: string;
}

/** Refuses a target that exists (unless `overwrite`: then only a regular file is replaced). */
function checkTarget(path: string, overwrite: boolean): void {
  const shown = displayPath(path);
  try {
    const st = lstatSync(path);
    if (!overwrite) throw new UserError(`--out ${shown}: already exists`, { hint: 'pass --overwrite to replace it' });
    if (!st.isFile()) throw new UserError(`--out ${shown}: is not a regular file; refusing to replace it`);
  } catch (err) {
    if (err instanceof UserError) throw err;
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
      throw new UserError(`--out ${shown}: cannot write: ${describeFsError(err)}`);
  }
}

/** The graph addon (TensorFlow's C API), which writes the SavedModel's graph; loaded after tfjs-node, quietly. */
async function graphApi(): Promise<GraphApi> {
  let loaded: { api?: GraphApi; why?: string } = { why: 'MNIST_DEEP_NATIVE=0 turns it off' };
  if (!nativeDisabled()) {
    await useBackend('tensorflow').catch(() => useBackend('cpu'));
    loaded = loadGraphApi();
  }
  if (!loaded.api)
    throw new UserError(`--format savedmodel needs the native setup (TensorFlow's C library): ${loaded.why}`);
  return loaded.api;
}

/**
 * The SavedModel folder: saved_model.pb alone. The weights are constants, and TensorFlow's loaders
 * (Python, C++ as in TF Serving, tfjs-node) restore no checkpoint where there is no variables/.
 */
async function exportSavedModel(dir: string, path: string, overwrite: boolean): Promise<ExportResult> {
  const replace = checkFolderTarget(path, { [SAVEDMODEL_FILE]: new Uint8Array() }, overwrite);
  const api = await graphApi();
  const model = await openModel(dir);
  exportModel(model, dir);
  const pb = toSavedModel(api, model);
  writeFolderAtomic(path, { [SAVEDMODEL_FILE]: pb }, replace);
  const [output] = SAVEDMODEL_OUTPUTS;
  return { format: 'savedmodel', path, bytes: pb.length, input: SAVEDMODEL_INPUT, output, signature: SIGNATURE };
}

export async function exportSaved(opts: ExportOptions): Promise<ExportResult> {
  const dir = resolve(opts.modelDir);
  requireTrainedModel(opts.modelDir);
  const path = resolve(opts.out ?? join(dir, DEFAULT_TARGETS[opts.format]));
  if (opts.format === 'savedmodel') return exportSavedModel(dir, path, Boolean(opts.overwrite));
  checkTarget(path, Boolean(opts.overwrite));
  // The exporters only read weights: the plain JavaScript backend loads everywhere and keeps them exact.
  await useBackend('cpu');
  const model = exportModel(await openModel(dir), dir);
  const bytes = opts.format === 'onnx' ? toOnnx(model) : await toKeras(model);
  writeFileAtomic(path, bytes);
  const names = opts.format === 'onnx' ? [ONNX_INPUT, ONNX_OUTPUT] : ['images', 'probabilities'];
  return { format: opts.format, path, bytes: bytes.length, input: names[0], output: names[1] };
}
