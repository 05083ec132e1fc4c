/** What the page shows about the model: from its metadata, with class names from our data set table. */
import { z } from 'zod';
import { DATASETS, DatasetName } from '../data/datasets';
import { METADATA_FILE, MODEL_FILE, REPORT_FILE } from '../run-files';
import { Metadata, metadataOrUnknown } from '../models/metadata';
import { parseJsonOr } from '../validate';
import { readModelFile } from './model-files';

export interface PageInfo {
  /** The model folder as given on the command line. */
  modelDir: string;
  /** softmax or cnn, when the metadata says. */
  model: string | null;
  dataset: DatasetName;
  /** False when there is no metadata naming the data set (then MNIST is assumed). */
  datasetKnown: boolean;
  classNames: readonly string[];
  testAccuracy: number | null;
  steps: number | null;
  report: boolean;
}

function readJsonObject(root: string, name: string): Record<string, unknown> | undefined {
  const bytes = readModelFile(root, name);
  if (!bytes) return undefined;
  return parseJsonOr(bytes.toString('utf8'), z.record(z.string(), z.unknown()));
}

/** As eval and predict read it (see models/metadata.ts), through the server's guarded file reads. */
function pageMetadata(root: string): Partial<Metadata> {
  const embedded = readJsonObject(root, MODEL_FILE)?.userDefinedMetadata;
  return metadataOrUnknown(embedded, () => readJsonObject(root, METADATA_FILE));
}

const finite = (x: unknown): number | null => (typeof x === 'number' && Number.isFinite(x) ? x : null);

export function pageInfo(root: string, label: string): PageInfo {
  const meta = pageMetadata(root);
  const dataset: DatasetName = meta.dataset ?? 'mnist';
  return {
    modelDir: label,
    model: meta.model ?? null,
    dataset,
    datasetKnown: meta.dataset !== undefined,
    classNames: DATASETS[dataset].classNames,
    testAccuracy: finite(meta.testAccuracy),
    steps: finite(meta.steps),
    report: readModelFile(root, REPORT_FILE) !== undefined,
  };
}
