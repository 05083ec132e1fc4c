import { tfVersion, useBackend } from '../backends';
import { makeDatasets } from '../data/dataset';
import { ensureDataset } from '../data/ensure';
import { locateOptionsFromEnv } from '../data/files';
import { UserError } from '../errors';
import { checkWritableDir, writeFileAtomic } from '../fsutil';
import { buildModel } from '../models';
import { saveModel } from '../models/io';
import { TrainConfig, TrainOptions, resolveConfig } from '../train/config';
import { evaluate } from '../train/evaluate';
import { TrainSummary, trainLoop } from '../train/trainer';
import { makeStepper } from '../train/stepper';
import { Rng } from '../data/rng';
import { packageVersion } from '../version';
import { Output } from './output';
import { join } from 'node:path';

export const METADATA_FILE = 'metadata.json';

const fmt = (x: number) => x.toFixed(4);

export async function runTrain(opts: TrainOptions & { json?: boolean }): Promise<void> {
  const cfg = resolveConfig(opts);
  const out = new Output(Boolean(opts.json));
  const saveDir = checkWritableDir(cfg.saveDir, '--save-dir');
  const backend = await useBackend(cfg.backend);
  const raw = await ensureDataset(cfg.dataset, { ...locateOptionsFromEnv(cfg.dataDir), log: (l) => process.stderr.write(l + '\n') });
  const data = makeDatasets(raw, cfg.validationSize, cfg.seed);
  checkAgainstData(cfg, data.train.count);

  // Dropout draws from Math.random: seed it so that runs repeat.
  const rng = new Rng(cfg.seed);
  Math.random = () => rng.next();
  const model = buildModel(cfg.model, cfg.seed);
  const stepper = await makeStepper(model, { ...cfg, backend: backend.name });
  out.say(`training ${cfg.model} on ${cfg.dataset} (${data.train.count} train / ${data.validation.count} validation / ${data.test.count} test) ` +
    `with ${cfg.optimizer} ${cfg.learningRate}, batch ${cfg.batchSize}, ${cfg.steps} steps, backend ${backend.name}, ${stepper.threads} thread(s)`);

  out.startProgress(cfg.steps);
  let summary: TrainSummary;
  try {
    summary = await trainLoop(model, stepper, data, cfg, {
      onStep: (s) => out.progress(s),
      onLog: (log) => {
        out.say(`step ${log.step}, training accuracy ${log.trainAccuracy.toFixed(2)} (loss ${log.loss.toFixed(4)}, ${Math.round(log.examplesPerSec)} examples/s)`);
        out.emit({ event: 'step', ...log });
      },
    });
  } finally {
    out.stopProgress();
    await stepper.close();
  }

  const validation = data.validation.count ? evaluate(model, data.validation, cfg.evalBatchSize).accuracy : NaN;
  const test = evaluate(model, data.test, cfg.evalBatchSize);
  await saveModel(model, saveDir);
  const result = {
    event: 'result',
    model: cfg.model,
    dataset: cfg.dataset,
    steps: cfg.steps,
    validationAccuracy: validation,
    testAccuracy: test.accuracy,
    seconds: summary.seconds,
    examplesPerSec: summary.examplesPerSec,
    backend: backend.name,
    saveDir,
  };
  writeFileAtomic(join(saveDir, METADATA_FILE), JSON.stringify(metadata(cfg, result), null, 2) + '\n');

  out.say(`validation accuracy ${fmt(validation)}`);
  out.say(`test accuracy ${fmt(test.accuracy)} (${test.examples} images)`);
  out.say(`trained ${cfg.steps} steps in ${summary.seconds.toFixed(1)} s (${Math.round(summary.examplesPerSec)} examples/s) on ${backend.name}`);
  out.say(`saved ${saveDir} (model.json, weights.bin, ${METADATA_FILE})`);
  out.emit(result);
}

function checkAgainstData(cfg: TrainConfig, trainCount: number): void {
  if (cfg.batchSize > trainCount) {
    throw new UserError(`--batch-size ${cfg.batchSize} is larger than the training set (${trainCount} images)`);
  }
}

function metadata(cfg: TrainConfig, result: { validationAccuracy: number; testAccuracy: number; backend: string; seconds: number }) {
  return {
    model: cfg.model,
    dataset: cfg.dataset,
    hyperParameters: {
      steps: cfg.steps,
      batchSize: cfg.batchSize,
      optimizer: cfg.optimizer,
      learningRate: cfg.learningRate,
      validationSize: cfg.validationSize,
    },
    seed: cfg.seed,
    steps: cfg.steps,
    validationAccuracy: result.validationAccuracy,
    testAccuracy: result.testAccuracy,
    backend: result.backend,
    seconds: result.seconds,
    versions: { mnistDeep: packageVersion(), tfjs: tfVersion(), node: process.versions.node },
    savedAt: new Date().toISOString(),
  };
}
