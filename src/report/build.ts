/** Gathers a report's facts from a model, its test evaluation, its metadata and step log, and writes report.html. */
import type * as tfl from '@tensorflow/tfjs';
import { PNG } from 'pngjs';
import { DataSplit } from '../data/batches';
import { DATASETS, DatasetName } from '../data/datasets';
import { IMAGE_COLS, IMAGE_ROWS, IMAGE_SIZE, NUM_CLASSES } from '../data/shapes';
import type { Evaluation } from '../eval/evaluate';
import { perClassAccuracy } from '../eval/metrics';
import { predictProbabilities } from '../eval/probabilities';
import { writeFileAtomic } from '../fs/atomic';
import { ReportData, WrongExample, renderReport } from './html';
import { readStepLog } from '../savedir/steplog';

/** How many of the most confidently wrong test images the report shows. */
export const WRONG_SHOWN = 32;

export interface ReportInputs {
  model: tfl.LayersModel;
  /** The test split that `evaluation` scored. */
  test: DataSplit;
  evaluation: Evaluation;
  dataset: DatasetName;
  /** The run's metadata (as saved with the model), shown as its settings. */
  metadata?: Record<string, unknown>;
  /** The folder holding the run's steps.jsonl. */
  runDir: string;
  /** Rows added after the metadata's, e.g. the backend this evaluation ran on. */
  extraSettings?: Array<[string, string]>;
}

/** A 28x28 image (values in [0, 1]) as a greyscale PNG data: URI. */
export function imageDataUri(pixels: ArrayLike<number>): string {
  const png = new PNG({ width: IMAGE_COLS, height: IMAGE_ROWS });
  for (let i = 0; i < IMAGE_SIZE; i++) {
    const v = Math.round(Math.max(0, Math.min(1, pixels[i])) * 255);
    png.data[i * 4] = png.data[i * 4 + 1] = png.data[i * 4 + 2] = v;
    png.data[i * 4 + 3] = 255;
  }
  return 'data:image/png;base64,' + PNG.sync.write(png, { colorType: 0 }).toString('base64');
}

/** Nested metadata as [dotted name, value] rows. */
export function flattenSettings(value: unknown, prefix = ''): Array<[string, string]> {
  if (value === null || value === undefined) return [];
  if (typeof value !== 'object' || Array.isArray(value)) {
    const text =
      typeof value === 'number' && !Number.isInteger(value)
        ? String(Number(value.toPrecision(6)))
        : Array.isArray(value)
          ? value.join(', ')
          : String(value);
    return [[prefix, text]];
  }
  return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) =>
    flattenSettings(v, prefix ? `${prefix}.${k}` : k),
  );
}

/** How report.html names the settings of metadata.json (flattened keys); others are spelled out from their key. */
const SETTING_LABELS: Readonly<Record<string, string>> = {
  dataset: 'data set',
  'hyperParameters.steps': 'steps (planned)',
  'hyperParameters.learningRateDecay.steps': 'learning-rate decay: steps',
  'hyperParameters.learningRateDecay.finalFraction': 'learning-rate decay: final fraction',
  'hyperParameters.validationSize': 'validation images',
  steps: 'steps trained',
  seconds: 'training time (s)',
  examplesPerSec: 'examples per second',
  'versions.mnistDeep': 'mnist-deep version',
  'versions.tfjs': 'TensorFlow.js version',
  'versions.node': 'Node.js version',
  savedAt: 'saved at',
  logdir: 'TensorBoard log folder',
};

/** `hyperParameters.batchSize` → "batch size": the label a person reads. */
export function settingLabel(key: string): string {
  const known = SETTING_LABELS[key];
  if (known) return known;
  return key
    .split('.')
    .filter((part) => part !== 'hyperParameters')
    .map((part) => part.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase())
    .join(': ');
}

export interface RankedWrong {
  index: number;
  label: number;
  predicted: number;
  /** The model's probability for its (wrong) class. */
  confidence: number;
  /** The image, 28x28 values in [0, 1]. */
  pixels: Float32Array;
}

/** The `WRONG_SHOWN` wrong test images with the highest confidence in their (wrong) class, most confident first. */
export async function rankWrong(
  model: tfl.LayersModel,
  test: DataSplit,
  predictions: Int32Array,
): Promise<{ ranked: RankedWrong[]; count: number }> {
  const wrong: number[] = [];
  for (let i = 0; i < test.count; i++) if (predictions[i] !== test.labels[i]) wrong.push(i);
  const xs = new Float32Array(wrong.length * IMAGE_SIZE);
  wrong.forEach((idx, k) => xs.set(test.slice(idx, idx + 1).xs, k * IMAGE_SIZE));
  const probs = await predictProbabilities(model, xs, wrong.length);
  const ranked = wrong
    .map((index, k) => ({ index, k, confidence: probs[k * NUM_CLASSES + predictions[index]] }))
    .sort((a, b) => b.confidence - a.confidence || a.index - b.index)
    .slice(0, WRONG_SHOWN)
    .map(({ index, k, confidence }) => ({
      index,
      label: test.labels[index],
      predicted: predictions[index],
      confidence,
      pixels: xs.subarray(k * IMAGE_SIZE, (k + 1) * IMAGE_SIZE),
    }));
  return { ranked, count: wrong.length };
}

async function mostConfidentlyWrong(
  model: tfl.LayersModel,
  test: DataSplit,
  predictions: Int32Array,
): Promise<{ shown: WrongExample[]; count: number }> {
  const { ranked, count } = await rankWrong(model, test, predictions);
  const shown = ranked.map(({ pixels, ...rest }) => ({ ...rest, image: imageDataUri(pixels) }));
  return { shown, count };
}

export async function buildReport(inputs: ReportInputs): Promise<ReportData> {
  const { evaluation, metadata } = inputs;
  const wrong = await mostConfidentlyWrong(inputs.model, inputs.test, evaluation.predictions);
  const model = typeof metadata?.model === 'string' ? metadata.model : 'model';
  const steps = typeof metadata?.steps === 'number' ? `, ${metadata.steps} steps` : '';
  return {
    title: `mnist-deep report: ${model} on ${inputs.dataset}${steps}`,
    settings: [
      ...flattenSettings(metadata ?? {}).map(([k, v]): [string, string] => [settingLabel(k), v]),
      ...(inputs.extraSettings ?? []),
    ],
    curve: readStepLog(inputs.runDir),
    ...(typeof metadata?.steps === 'number' && { steps: metadata.steps }),
    classNames: DATASETS[inputs.dataset].classNames,
    test: {
      accuracy: evaluation.accuracy,
      examples: evaluation.examples,
      confusion: evaluation.confusion,
      perClass: perClassAccuracy(evaluation.confusion),
    },
    wrong: wrong.shown,
    wrongCount: wrong.count,
  };
}

export async function writeReport(file: string, inputs: ReportInputs): Promise<void> {
  writeFileAtomic(file, renderReport(await buildReport(inputs)));
}
