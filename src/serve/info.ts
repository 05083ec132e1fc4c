/** What the page shows about the model: from its metadata.json, with class names from our data set table. */
import { DATASETS, DatasetName, isDatasetName } from '../data/datasets';
import { METADATA_FILE } from '../models/io';
import { REPORT_FILE, readModelFile } from './model-files';

export interface PageInfo {
  /** The model folder as given on the command line. */
  modelDir: string;
  /** softmax or cnn, when metadata.json says. */
  model: string | null;
  dataset: DatasetName;
  /** False when metadata.json is absent or does not name the data set (then MNIST is assumed). */
  datasetKnown: boolean;
  classNames: readonly string[];
  testAccuracy: number | null;
  steps: number | null;
  report: boolean;
}

interface Metadata {
  model?: unknown;
  dataset?: unknown;
  testAccuracy?: unknown;
  steps?: unknown;
}

function readMetadata(root: string): Metadata {
  const bytes = readModelFile(root, METADATA_FILE);
  if (!bytes) return {};
  try {
    const json: unknown = JSON.parse(bytes.toString('utf8'));
    return json && typeof json === 'object' ? (json as Metadata) : {};
  } catch {
    return {};
  }
}

const finite = (x: unknown): number | null => (typeof x === 'number' && Number.isFinite(x) ? x : null);

export function pageInfo(root: string, label: string): PageInfo {
  const meta = readMetadata(root);
  const known = typeof meta.dataset === 'string' && isDatasetName(meta.dataset);
  const dataset: DatasetName = known ? (meta.dataset as DatasetName) : 'mnist';
  return {
    modelDir: label,
    model: typeof meta.model === 'string' ? meta.model : null,
    dataset,
    datasetKnown: known,
    classNames: DATASETS[dataset].classNames,
    testAccuracy: finite(meta.testAccuracy),
    steps: finite(meta.steps),
    report: readModelFile(root, REPORT_FILE) !== undefined,
  };
}
