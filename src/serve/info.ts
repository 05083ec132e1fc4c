/** What the page shows about the model: from its metadata, with class names from our data set table. */
import { DATASETS, DatasetName, isDatasetName } from '../data/datasets';
import { METADATA_FILE, MODEL_FILE } from '../models/io';
import { REPORT_FILE, readModelFile } from './model-files';

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

interface Metadata {
  model?: unknown;
  dataset?: unknown;
  testAccuracy?: unknown;
  steps?: unknown;
}

function readJsonObject(root: string, name: string): Record<string, unknown> | undefined {
  const bytes = readModelFile(root, name);
  if (!bytes) return undefined;
  try {
    const json: unknown = JSON.parse(bytes.toString('utf8'));
    return json && typeof json === 'object' && !Array.isArray(json) ? (json as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** As eval and predict read it: model.json's userDefinedMetadata, else metadata.json (older models). */
function readMetadata(root: string): Metadata {
  const embedded = readJsonObject(root, MODEL_FILE)?.userDefinedMetadata;
  if (embedded && typeof embedded === 'object' && !Array.isArray(embedded)) return embedded as Metadata;
  return readJsonObject(root, METADATA_FILE) ?? {};
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
