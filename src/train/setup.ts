/**
 * Everything a run needs before its first step: the backend, the model (its
 * size checked against a resumed checkpoint), room in the save dir, the data
 * (at the checkpoint's place when resuming), the TensorBoard events and the
 * engine, started from the checkpoint's weights and optimizer state.
 */
import { BackendStatus, useBackend } from '../backends';
import { Datasets, makeDatasets } from '../data/batches';
import { DatasetName } from '../data/datasets';
import { RawDataset } from '../data/files';
import { TrainingEngine, createEngine } from '../engine';
import { UserError } from '../errors';
import { requireMemory } from '../memory/available';
import { buildModel } from '../models';
import { batchBytes } from '../models/memory';
import { slotCount } from '../optim';
import { CHECKPOINT_FILE } from '../run-files';
import { checkFreeSpace } from '../savedir/prepare';
import { TrainEvents } from '../tensorboard/training';
import { join } from 'node:path';
import { Checkpoint } from './checkpoint';
import { TrainConfig } from './config';
import { restoreData } from './resume';
import { epochInterval } from './validation';

export interface SetupHooks {
  /** The backend is chosen (before the data is looked for: a slow fallback is worth saying early). */
  backendReady(backend: BackendStatus): void;
  /** The data set, found or downloaded (the command shows a download's progress). */
  loadData(name: DatasetName, dataDir: string | undefined): Promise<RawDataset>;
  /** A line worth a warning that does not stop the run (TensorBoard events that cannot be written). */
  warning(line: string): void;
}

export interface RunParts {
  backend: BackendStatus;
  raw: RawDataset;
  data: Datasets;
  events: TrainEvents | undefined;
  engine: TrainingEngine;
}

/** Bytes a run writes at most: weights.bin, plus the old and the new checkpoint while one replaces the other. */
function bytesNeeded(params: number, cfg: TrainConfig): number {
  return params * 4 * (1 + 2 * (1 + slotCount(cfg.optimizer)));
}

async function loadData(cfg: TrainConfig, hooks: SetupHooks, resumed: Checkpoint | undefined) {
  const raw = await hooks.loadData(cfg.dataset, cfg.dataDir);
  // Later resumes read the same files, wherever they are started from.
  cfg.dataDir = raw.dir;
  // Named before --validation-size is measured against it: the file is what is wrong.
  if (raw.train.labels.count === 0)
    throw new UserError(`${raw.files.trainLabels}: the training set holds no images; nothing to train on`);
  const data = makeDatasets(raw, cfg.validationSize, cfg.seed);
  if (cfg.batchSize > data.train.count) {
    throw new UserError(`--batch-size ${cfg.batchSize} is larger than the training set (${data.train.count} images)`);
  }
  if (resumed) restoreData(data, resumed, cfg.saveDir);
  return { raw, data };
}

export async function setUpRun(
  cfg: TrainConfig,
  hooks: SetupHooks,
  resumed: Checkpoint | undefined,
): Promise<RunParts> {
  const backend = await useBackend(cfg.backend);
  hooks.backendReady(backend);
  const model = buildModel(cfg.model, cfg.seed);
  if (resumed && resumed.weights.length !== model.countParams()) {
    throw new UserError(
      `${join(cfg.saveDir, CHECKPOINT_FILE)}: field parameters: ${resumed.weights.length}, but a ${cfg.model} model has ${model.countParams()}`,
    );
  }
  checkFreeSpace(cfg.saveDir, resumed ? '--resume' : '--save-dir', bytesNeeded(model.countParams(), cfg));
  const { raw, data } = await loadData(cfg, hooks, resumed);
  // Checked before TensorFlow is asked: under a memory limit it aborts the process instead of failing.
  requireMemory('--batch-size', cfg.batchSize, batchBytes(model, cfg.batchSize, true));
  const evalBatch = Math.min(cfg.evalBatchSize, data.test.count);
  requireMemory('--eval-batch-size', cfg.evalBatchSize, batchBytes(model, evalBatch, false));
  // The events file stays open until the process ends when training fails; nothing is lost by that.
  // Only the files this run wrote in this folder are its own (a resume may log elsewhere).
  cfg.validateEvery ??= cfg.validationSize > 0 ? epochInterval(data.train.count, cfg.batchSize, cfg.logEvery) : 0;
  const own =
    resumed && resumed.config.logdir === cfg.logdir
      ? { train: resumed.eventFiles, validation: resumed.validationEventFiles }
      : {};
  const events = TrainEvents.start(cfg, resumed?.step ?? 0, hooks.warning, own);
  const engine = await createEngine(
    model,
    { ...cfg, backend: backend.name },
    resumed && { weights: resumed.weights, optimizer: resumed.optimizer },
  );
  return { backend, raw, data, events, engine };
}
