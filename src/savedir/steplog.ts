/**
 * The training curve, kept in the save dir as `steps.jsonl`: one JSON object per line, a logged
 * step ({step, loss, trainAccuracy, examplesPerSec}) or a measured validation accuracy ({step,
 * validationAccuracy}). Lines are appended as training goes, so an interrupted run keeps its
 * curve; a resumed run first drops the steps from its checkpoint's on, so that steps it repeats
 * are not logged twice.
 */
import { appendFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../fs/atomic';
import { readRegularFile } from '../fs/read';
import { STEP_LOG_FILE } from '../run-files';
import { parseJsonOr } from '../validate';

/** A line per logged step is about 100 bytes: a million steps logged is 100 MB. */
const MAX_STEP_LOG_BYTES = 256 << 20;

export interface StepRecord {
  step: number;
  loss: number;
  trainAccuracy: number;
  examplesPerSec?: number;
}

export interface ValidationRecord {
  step: number;
  validationAccuracy: number;
  /** Measured during training (--validate-every); the closing evaluation records only the accuracy. */
  validationLoss?: number;
}

export interface TrainingCurve {
  train: StepRecord[];
  validation: ValidationRecord[];
}

const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

function parseLine(line: string): StepRecord | ValidationRecord | undefined {
  // undefined: a line torn by a crash mid-write.
  const o = parseJsonOr(line, z.record(z.string(), z.unknown()));
  if (!o) return undefined;
  if (!isNumber(o.step) || o.step < 0) return undefined;
  if (isNumber(o.validationAccuracy))
    return {
      step: o.step,
      validationAccuracy: o.validationAccuracy,
      ...(isNumber(o.validationLoss) && { validationLoss: o.validationLoss }),
    };
  if (isNumber(o.loss) && isNumber(o.trainAccuracy)) {
    return {
      step: o.step,
      loss: o.loss,
      trainAccuracy: o.trainAccuracy,
      ...(isNumber(o.examplesPerSec) && { examplesPerSec: o.examplesPerSec }),
    };
  }
  return undefined;
}

function readRecords(dir: string): Array<StepRecord | ValidationRecord> {
  const file = join(dir, STEP_LOG_FILE);
  if (!existsSync(file)) return [];
  return readRegularFile(file, { maxBytes: MAX_STEP_LOG_BYTES, why: 'more than any run logs' })
    .toString('utf8')
    .split('\n')
    .map(parseLine)
    .filter((r): r is StepRecord | ValidationRecord => r !== undefined);
}

/** The curve in `dir` (empty when there is none), one record per step, by step. */
export function readStepLog(dir: string): TrainingCurve {
  const train = new Map<number, StepRecord>();
  const validation = new Map<number, ValidationRecord>();
  for (const r of readRecords(dir)) {
    if ('validationAccuracy' in r) validation.set(r.step, r);
    else train.set(r.step, r);
  }
  const byStep = (a: { step: number }, b: { step: number }) => a.step - b.step;
  return { train: [...train.values()].sort(byStep), validation: [...validation.values()].sort(byStep) };
}

/**
 * Starts the log of a run that begins at `fromStep`: keeps what came before (nothing for a new
 * run). A validation accuracy measured at `fromStep` itself stays: it is the checkpoint's model.
 */
export function startStepLog(dir: string, fromStep: number): void {
  const before = (r: StepRecord | ValidationRecord) =>
    r.step < fromStep || ('validationAccuracy' in r && r.step === fromStep);
  const kept = fromStep > 0 ? readRecords(dir).filter(before) : [];
  writeFileAtomic(join(dir, STEP_LOG_FILE), kept.map((r) => JSON.stringify(r) + '\n').join(''));
}

export function appendStepLog(dir: string, record: StepRecord | ValidationRecord): void {
  appendFileSync(join(dir, STEP_LOG_FILE), JSON.stringify(record) + '\n');
}
