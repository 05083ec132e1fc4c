/**
 * `mnist-deep predict IMAGE...`: prints the classes of PNG/JPEG files (or folders of them) by a
 * saved model (src/eval/classify.ts scores them); a bad file gets one line and the others are
 * still classified; exit code 1 if any failed.
 */
import { resolve } from 'node:path';
import { useBackend } from '../backends';
import { BackendChoice } from '../backends/choices';
import { DATASETS } from '../data/datasets';
import { classifyImages, expandInputs } from '../eval/classify';
import { datasetOf } from '../models/metadata';
import { openModel } from '../models/open';
import { requireTrainedModel } from '../savedir/model-folder';
import { PolarityChoice } from './options';
import { statusLine } from '../terminal/status';
import { Output, noteKernels } from './output';

export interface PredictOptions {
  modelDir: string;
  top: number;
  json?: boolean;
  backend: BackendChoice;
  polarity?: PolarityChoice;
}

export async function runPredict(images: string[], opts: PredictOptions): Promise<void> {
  const out = new Output(Boolean(opts.json));
  const dir = resolve(opts.modelDir);
  requireTrainedModel(opts.modelDir);
  noteKernels(out, (await useBackend(opts.backend)).name);
  const model = await openModel(dir);
  const dataset = datasetOf(model, dir) ?? 'mnist';
  const garments = dataset === 'fashion-mnist';
  // Garments may be any shade: no digit-style guess; Fashion-MNIST's photos were dark-on-light.
  const polarity: PolarityChoice = opts.polarity ?? (garments ? 'dark-on-light' : 'auto');
  if (garments) {
    out.say(`${dataset} model: images read as ${polarity}${opts.polarity ? '' : ' (assumed; --polarity to change)'}`);
  }

  const inputs = expandInputs(images);
  const layout = garments ? 'garment' : 'digit';
  const classified = await classifyImages(model, inputs, { polarity, layout, top: opts.top });
  const names = DATASETS[dataset].classNames;
  let failed = 0;
  for (const c of classified) {
    if (c.error !== undefined) {
      failed++;
      out.emit({ file: c.file, error: c.error });
      statusLine().print(process.stderr, `mnist-deep: error: ${c.file}: ${c.error}`);
      continue;
    }
    const predictions = c.ranked.map((p) => ({ class: p.class, label: names[p.class], probability: p.probability }));
    out.emit({ file: c.file, predictions, polarity: c.polarity });
    const shown = predictions.map((p) => `${p.label} ${p.probability.toFixed(3)}`).join(' | ');
    out.say(`${c.file}: ${shown}${garments ? '' : ` (read as ${c.polarity})`}`);
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
