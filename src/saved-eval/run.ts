/**
 * `eval`'s work: a saved model scored on its data set's test split, with, when
 * asked, a report.html and TensorBoard events. It prints nothing: the command
 * shows progress and results through `SavedEvalHooks` and the returned scores.
 */
import { resolve } from 'node:path';
import { useBackend } from '../backends';
import { BackendChoice, BackendName } from '../backends/choices';
import { DataSplit, makeDatasets, testSplit } from '../data/batches';
import { DatasetName } from '../data/datasets';
import { RawDataset } from '../data/files';
import { UserError, explainOutOfMemory } from '../errors';
import { requireMemory } from '../memory/available';
import { batchBytes } from '../models/memory';
import { datasetOf, savedMetadata } from '../models/metadata';
import { openModel } from '../models/open';
import { writeReport } from '../report/build';
import { checkReportTarget } from '../report/target';
import { requireTrainedModel } from '../savedir/model-folder';
import { writeEvalEvents } from '../tensorboard/evaluation';
import { LogdirOption, evalLogdir } from '../tensorboard/logdir';
import { Evaluation, evalThreads, evaluate } from '../eval/evaluate';

export type EvalSplit = 'test' | 'validation';

export interface EvalOptions {
  /** Default: test. */
  split?: EvalSplit;
  modelDir: string;
  dataset?: DatasetName;
  dataDir?: string;
  backend: BackendChoice;
  evalBatchSize: number;
  /** Also write a visual report (HTML) to this file. */
  report?: string;
  /** Also add the evaluation to TensorBoard events: a folder, or `true` for the model's run's. */
  logdir?: LogdirOption;
}

export interface SavedEvalHooks {
  /** The data set, found or downloaded (the command shows a download's progress). */
  loadData(name: DatasetName, dataDir: string | undefined): Promise<RawDataset>;
  /** Runs the evaluation, showing its progress meanwhile. */
  evaluating(work: (progress: (done: number, total: number) => void) => Promise<Evaluation>): Promise<Evaluation>;
  reportWritten(file: string): void;
  eventsWritten(file: string): void;
  /** A problem writing the events, which never stops the evaluation. */
  warning(line: string): void;
}

export interface SavedEvaluation {
  /** The model folder, absolute. */
  dir: string;
  dataset: DatasetName;
  raw: RawDataset;
  backend: BackendName;
  result: Evaluation;
  /** --keep best: the step whose weights the model holds, from its metadata. */
  keptStep?: number;
}

/** The validation split the model was trained beside: the first `hyperParameters.validationSize` training images. */
function validationSplit(raw: RawDataset, meta: Record<string, unknown> | undefined, dir: string): DataSplit {
  const hyper = meta?.hyperParameters as { validationSize?: unknown } | undefined;
  const size = hyper?.validationSize;
  if (typeof size !== 'number' || !Number.isInteger(size) || size <= 0)
    throw new UserError(
      `--split validation: the model in ${dir} has no validation split in its metadata (trained with --validation-size 0, or by an older version)`,
    );
  return makeDatasets(raw, size, 0).validation;
}

export async function evaluateSaved(opts: EvalOptions, hooks: SavedEvalHooks): Promise<SavedEvaluation> {
  const dir = resolve(opts.modelDir);
  requireTrainedModel(opts.modelDir);
  const backend = await useBackend(opts.backend);
  const model = await openModel(dir);
  const dataset = opts.dataset ?? datasetOf(model, dir) ?? 'mnist';
  const reportFile = opts.report !== undefined ? checkReportTarget(opts.report) : undefined;
  const meta = savedMetadata(model, dir);
  const recorded = meta?.logdir ? { dir: meta.logdir, from: `${dir}: the logdir its metadata records` } : undefined;
  const logdir = evalLogdir(opts.logdir, recorded, meta?.model ?? 'model');
  const raw = await hooks.loadData(dataset, opts.dataDir);
  const test = opts.split === 'validation' ? validationSplit(raw, meta, dir) : testSplit(raw);
  const how = { batchSize: opts.evalBatchSize, threads: evalThreads(backend.name), backend: backend.name };
  // Checked before TensorFlow is asked: under a memory limit it aborts the process instead of failing.
  const batch = Math.min(opts.evalBatchSize, test.count);
  requireMemory('--eval-batch-size', opts.evalBatchSize, batchBytes(model, batch, false) * how.threads);
  const result = await hooks
    .evaluating((onProgress) => evaluate(model, test, { ...how, onProgress }))
    .catch((err: unknown) => Promise.reject(explainOutOfMemory(err, '--eval-batch-size', opts.evalBatchSize)));
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
    hooks.reportWritten(reportFile);
  }
  if (logdir) {
    const step = meta?.steps ?? 0;
    const settings = { modelDir: dir, dataset, backend: backend.name, evaluatedAt: new Date().toISOString() };
    const evaluated = { model, split: test, evaluation: result, dataset, step, settings };
    const file = await writeEvalEvents(logdir, evaluated, hooks.warning);
    if (file) hooks.eventsWritten(file);
  }
  const keptStep = typeof meta?.keptStep === 'number' ? meta.keptStep : undefined;
  return { dir, dataset, raw, backend: backend.name, result, ...(keptStep !== undefined && { keptStep }) };
}
