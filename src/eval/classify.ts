/**
 * `predict`'s work: image files (or folders of them) turned into MNIST-style
 * inputs (src/preprocess) and scored by a saved model. A file that cannot be
 * read gets its error and the others are still scored. Prints nothing.
 */
import type * as tfl from '@tensorflow/tfjs';
import { readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { IMAGE_SIZE } from '../data/shapes';
import { errorMessage } from '../errors';
import { describeFsError } from '../fs/errors';
import { IMAGE_EXTENSIONS, readImageFile } from '../preprocess/images';
import { Polarity, mnistify } from '../preprocess/mnistify';
import { Ranked, predictProbabilities, topClasses } from './probabilities';

/** One input: a path as the user gave it (or a folder entry joined to it), or an error for that path. */
export interface Input {
  file: string;
  error?: string;
}

/** The files to classify: each argument, or the images in each folder argument (sorted, not recursive). */
export function expandInputs(args: string[]): Input[] {
  const inputs: Input[] = [];
  for (const arg of args) {
    let isDir = false;
    try {
      isDir = statSync(arg).isDirectory();
    } catch {
      // Reported by the reader as "not found" (or whatever stops it).
    }
    if (!isDir) {
      inputs.push({ file: arg });
      continue;
    }
    let names: string[];
    try {
      names = readdirSync(arg)
        .filter((n) => IMAGE_EXTENSIONS.includes(extname(n).toLowerCase()))
        .sort();
    } catch (err) {
      // One line for this folder; the other arguments are still classified.
      inputs.push({ file: arg, error: `cannot list this folder: ${describeFsError(err)}` });
      continue;
    }
    if (!names.length) inputs.push({ file: arg, error: `no ${IMAGE_EXTENSIONS.join('/')} files in this folder` });
    for (const n of names) inputs.push({ file: join(arg, n) });
  }
  return inputs;
}

/** An input's outcome: its `top` classes, best first, and how it was read; or why it could not be classified. */
export type Classified =
  { file: string; ranked: Ranked[]; polarity: Polarity; error?: undefined } | { file: string; error: string };

export interface ClassifyOptions {
  polarity: Polarity | 'auto';
  /** Garment pictures (Fashion-MNIST) are framed as garments, not digits. */
  layout: 'digit' | 'garment';
  top: number;
}

/** Every input, in order, scored in one batch (errors in place). */
export async function classifyImages(
  model: tfl.LayersModel,
  inputs: Input[],
  opts: ClassifyOptions,
): Promise<Classified[]> {
  const xs = new Float32Array(inputs.length * IMAGE_SIZE);
  const ok: Array<{ input: Input; row: number; polarity: Polarity }> = [];
  for (const input of inputs) {
    if (input.error) continue;
    try {
      const result = mnistify(readImageFile(input.file), { polarity: opts.polarity, layout: opts.layout });
      xs.set(result.pixels, ok.length * IMAGE_SIZE);
      ok.push({ input, row: ok.length, polarity: result.polarity });
    } catch (err) {
      input.error = errorMessage(err);
    }
  }
  const probs = await predictProbabilities(model, xs.subarray(0, ok.length * IMAGE_SIZE), ok.length);
  const rows = new Map(ok.map((o) => [o.input, o]));
  return inputs.map((input) => {
    const scored = rows.get(input);
    if (!scored) return { file: input.file, error: input.error ?? 'not classified' };
    return { file: input.file, ranked: topClasses(probs, scored.row, opts.top), polarity: scored.polarity };
  });
}
