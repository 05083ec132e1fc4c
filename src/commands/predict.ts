/**
 * `mnist-deep predict IMAGE...`: classifies PNG/JPEG files (or folders of them) with a saved
 * model. Each file is read, turned into an MNIST-style 28x28 input (src/preprocess) and scored;
 * a bad file gets one line and the others are still classified; exit code 1 if any failed.
 */
import { readdirSync, statSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import { useBackend } from '../backends';
import { BackendChoice } from '../backends/choices';
import { DATASETS } from '../data/datasets';
import { IMAGE_SIZE } from '../data/shapes';
import { errorMessage } from '../errors';
import { describeFsError } from '../fs/errors';
import { predictProbabilities, topClasses } from '../eval/probabilities';
import { requireTrainedModel } from '../savedir/model-folder';
import { IMAGE_EXTENSIONS, readImageFile } from '../preprocess/images';
import { Polarity, mnistify } from '../preprocess/mnistify';
import { datasetOf, openModel } from './eval';
import { PolarityChoice } from './options';
import { statusLine } from '../terminal/status';
import { Output } from './output';

export interface PredictOptions {
  modelDir: string;
  top: number;
  json?: boolean;
  backend: BackendChoice;
  polarity?: PolarityChoice;
}

/** One input: a path as the user gave it (or a folder entry joined to it), or an error for that path. */
interface Input {
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

export async function runPredict(images: string[], opts: PredictOptions): Promise<void> {
  const out = new Output(Boolean(opts.json));
  const dir = resolve(opts.modelDir);
  requireTrainedModel(opts.modelDir);
  await useBackend(opts.backend);
  const model = await openModel(dir);
  const dataset = datasetOf(model, dir) ?? 'mnist';
  const garments = dataset === 'fashion-mnist';
  // Garments may be any shade: no digit-style guess; Fashion-MNIST's photos were dark-on-light.
  const polarity: PolarityChoice = opts.polarity ?? (garments ? 'dark-on-light' : 'auto');
  if (garments) {
    out.say(`${dataset} model: images read as ${polarity}${opts.polarity ? '' : ' (assumed; --polarity to change)'}`);
  }

  const inputs = expandInputs(images);
  const xs = new Float32Array(inputs.length * IMAGE_SIZE);
  const ok: Array<{ input: Input; row: number; polarity: Polarity }> = [];
  for (const input of inputs) {
    if (input.error) continue;
    try {
      const result = mnistify(readImageFile(input.file), { polarity, layout: garments ? 'garment' : 'digit' });
      xs.set(result.pixels, ok.length * IMAGE_SIZE);
      ok.push({ input, row: ok.length, polarity: result.polarity });
    } catch (err) {
      input.error = errorMessage(err);
    }
  }
  const probs = await predictProbabilities(model, xs.subarray(0, ok.length * IMAGE_SIZE), ok.length);
  const rows = new Map(ok.map((o) => [o.input, o]));
  const names = DATASETS[dataset].classNames;
  let failed = 0;
  for (const input of inputs) {
    const scored = rows.get(input);
    if (!scored) {
      failed++;
      out.emit({ file: input.file, error: input.error });
      statusLine().print(process.stderr, `mnist-deep: error: ${input.file}: ${input.error}`);
      continue;
    }
    const predictions = topClasses(probs, scored.row, opts.top).map((p) => ({
      class: p.class,
      label: names[p.class],
      probability: p.probability,
    }));
    out.emit({ file: input.file, predictions, polarity: scored.polarity });
    const shown = predictions.map((p) => `${p.label} ${p.probability.toFixed(3)}`).join(' | ');
    out.say(`${input.file}: ${shown}${garments ? '' : ` (read as ${scored.polarity})`}`);
  }
  if (failed) {
    if (!opts.json)
      statusLine().print(
        process.stderr,
        `mnist-deep: ${failed} of ${inputs.length} ${inputs.length === 1 ? 'file' : 'files'} could not be classified`,
      );
    process.exitCode = 1;
  }
}
