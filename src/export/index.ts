/**
 * `export`'s work: a trained model folder (checked as eval checks it) written as an ONNX or a
 * Keras 3 file. The target is refused when it exists, unless `overwrite`; the file is written
 * under a temporary name and renamed (writeFileAtomic), so a failure leaves nothing behind.
 */
import { lstatSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { useBackend } from '../backends';
import { UserError } from '../errors';
import { writeFileAtomic } from '../fs/atomic';
import { describeFsError } from '../fs/errors';
import { displayPath } from '../fs/paths';
import { openModel } from '../models/open';
import { requireTrainedModel } from '../savedir/model-folder';
import { toKeras } from './keras';
import { exportModel } from './layers';
import { ONNX_INPUT, ONNX_OUTPUT, toOnnx } from './onnx';

export const EXPORT_FORMATS = ['onnx', 'keras'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** Where each format goes inside the model folder when no --out is given. */
export const DEFAULT_TARGETS: Record<ExportFormat, string> = { onnx: 'model.onnx', keras: 'model.keras' };

export interface ExportOptions {
  format: ExportFormat;
  modelDir: string;
  out?: string;
  overwrite?: boolean;
}

export interface ExportResult {
  format: ExportFormat;
  /** The written file, absolute. */
  path: string;
  bytes: number;
  /** The model's input and output names in the exported file. */
  input: string;
  output: string;
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

export async function exportSaved(opts: ExportOptions): Promise<ExportResult> {
  const dir = resolve(opts.modelDir);
  requireTrainedModel(opts.modelDir);
  const path = resolve(opts.out ?? join(dir, DEFAULT_TARGETS[opts.format]));
  checkTarget(path, Boolean(opts.overwrite));
  // The exporters only read weights: the plain JavaScript backend loads everywhere and keeps them exact.
  await useBackend('cpu');
  const model = exportModel(await openModel(dir), dir);
  const bytes = opts.format === 'onnx' ? toOnnx(model) : await toKeras(model);
  writeFileAtomic(path, bytes);
  const names = opts.format === 'onnx' ? [ONNX_INPUT, ONNX_OUTPUT] : ['images', 'probabilities'];
  return { format: opts.format, path, bytes: bytes.length, input: names[0], output: names[1] };
}
