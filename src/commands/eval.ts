import type * as tfl from '@tensorflow/tfjs';
import { join, resolve } from 'node:path';
import { useBackend } from '../backends';
import { BackendChoice } from '../backends/choices';
import { DATASETS, DATASET_NAMES, DatasetName, isDatasetName } from '../data/datasets';
import { testSplit } from '../data/dataset';
import { IMAGE_COLS, IMAGE_ROWS, IMAGE_SIZE, NUM_CLASSES } from '../data/shapes';
import { commandDataset, dataOrigin } from './data';
import { UserError, explainOutOfMemory } from '../errors';
import { loadModel } from '../models/io';
import { MODEL_FILE } from '../run-files';
import { requireTrainedModel } from '../savedir/model-folder';
import { readMetadata } from '../models/metadata';
import { evalThreads, evaluate } from '../eval/evaluate';
import { formatConfusion, perClassAccuracy } from '../eval/metrics';
import { writeReport } from '../report/build';
import { checkReportTarget } from '../report/target';
import { writeEvalEvents } from '../tensorboard/evaluation';
import { LogdirOption, evalLogdir } from '../tensorboard/logdir';
import { displayPath } from '../fs/paths';
import { Output } from './output';

export interface EvalOptions {
  modelDir: string;
  dataset?: DatasetName;
  dataDir?: string;
  backend: BackendChoice;
  evalBatchSize?: number;
  json?: boolean;
  /** Also write a visual report (HTML) to this file. */
  report?: string;
  /** Also add the evaluation to TensorBoard events: a folder, or `true` for the model's run's. */
  logdir?: LogdirOption;
}

/** The data set the model was trained on: from model.json's metadata, else metadata.json (older models). */
export function datasetOf(model: tfl.LayersModel, dir: string): DatasetName | undefined {
  const embedded = (model.getUserDefinedMetadata() as { dataset?: unknown } | undefined)?.dataset;
  if (embedded === undefined) return readMetadata(dir)?.dataset;
  if (typeof embedded === 'string' && isDatasetName(embedded)) return embedded;
  throw new UserError(
    `${join(dir, MODEL_FILE)}: field userDefinedMetadata.dataset: ${JSON.stringify(embedded)} is not one of ${DATASET_NAMES.join(', ')}`,
  );
}

/** The run's metadata: model.json's, else metadata.json's (older models; checked), else none. */
function metadataOf(model: tfl.LayersModel, dir: string): Record<string, unknown> | undefined {
  const meta = model.getUserDefinedMetadata();
  if (meta && typeof meta === 'object') return meta as Record<string, unknown>;
  return readMetadata(dir);
}

export function checkShapes(model: tfl.LayersModel, dir: string): void {
  const input = model.inputs[0]?.shape;
  const output = model.outputs[0]?.shape;
  if (model.inputs.length !== 1 || input?.length !== 2 || input[1] !== IMAGE_SIZE) {
    throw new UserError(
      `${dir}: model input shape ${JSON.stringify(input)} does not fit ${IMAGE_ROWS}x${IMAGE_COLS} images (expected [null,${IMAGE_SIZE}])`,
    );
  }
  if (model.outputs.length !== 1 || output?.length !== 2 || output[1] !== NUM_CLASSES) {
    throw new UserError(
      `${dir}: model output shape ${JSON.stringify(output)} does not fit ${NUM_CLASSES} classes (expected [null,${NUM_CLASSES}])`,
    );
  }
}

/** A saved model as every command takes it: its files checked, the model built, its shapes fitting our images. */
export async function openModel(dir: string): Promise<tfl.LayersModel> {
  const model = await loadModel(dir);
  checkShapes(model, dir);
  return model;
}

export async function runEval(opts: EvalOptions): Promise<void> {
  const out = new Output(Boolean(opts.json));
  const dir = resolve(opts.modelDir);
  requireTrainedModel(opts.modelDir);
  const backend = await useBackend(opts.backend);
  const model = await openModel(dir);
  const dataset = opts.dataset ?? datasetOf(model, dir) ?? 'mnist';
  const reportFile = opts.report !== undefined ? checkReportTarget(opts.report) : undefined;
  const meta = metadataOf(model, dir);
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  const logdir = evalLogdir(opts.logdir, str(meta?.logdir), str(meta?.model) ?? 'model');
  const raw = await commandDataset(dataset, opts.dataDir);
  const test = testSplit(raw);
  const result = await out
    .working('evaluating test set', 'images', (onProgress) =>
      evaluate(model, test, {
        batchSize: opts.evalBatchSize,
        threads: evalThreads(backend.name),
        backend: backend.name,
        onProgress,
      }),
    )
    .catch((err: unknown) => Promise.reject(explainOutOfMemory(err, '--eval-batch-size', opts.evalBatchSize)));
  const perClass = perClassAccuracy(result.confusion);
  if (reportFile) {
    await writeReport(reportFile, {
      model,
      test,
      evaluation: result,
      dataset,
      metadata: meta,
      runDir: dir,
      extraSettings: [
        ['report: model folder', opts.modelDir],
        ['report: evaluated on backend', backend.name],
        ['report: written', new Date().toISOString()],
      ],
    });
    out.say(`report written to ${reportFile}`);
  }
  if (logdir) {
    const step = typeof meta?.steps === 'number' ? meta.steps : 0;
    const settings = { modelDir: dir, dataset, backend: backend.name, evaluatedAt: new Date().toISOString() };
    const warn = (line: string) => process.stderr.write(`mnist-deep: warning: ${line}\n`);
    const file = await writeEvalEvents(
      logdir,
      { model, split: test, evaluation: result, dataset, step, settings },
      warn,
    );
    if (file)
      (opts.json ? process.stderr : process.stdout).write(`TensorBoard events written to ${displayPath(file)}\n`);
  }

  if (opts.json) {
    out.emit({
      testAccuracy: result.accuracy,
      perClassAccuracy: perClass,
      confusionMatrix: result.confusion,
      examples: result.examples,
      backend: backend.name,
    });
    return;
  }
  // MNIST's class names are its digits: each class printed once; Fashion-MNIST's as "0 T-shirt/top".
  const labels = DATASETS[dataset].classNames.map((n, i) => (n === String(i) ? n : `${i} ${n}`));
  const width = Math.max(...labels.map((n) => n.length));
  out.say(`${dir} on ${dataset} test set from ${dataOrigin(raw)} (${result.examples} images), backend ${backend.name}`);
  out.say(`test accuracy ${result.accuracy.toFixed(4)}`);
  out.say('');
  out.say('per-class accuracy:');
  perClass.forEach((acc, i) =>
    out.say(`  ${labels[i].padEnd(width)}  ${Number.isNaN(acc) ? '   n/a' : acc.toFixed(4)}`),
  );
  out.say('');
  out.say('confusion matrix (rows: true class, columns: predicted):');
  for (const line of formatConfusion(result.confusion, labels).split('\n')) out.say(line);
}
