/**
 * What eval, predict and serve say when the model folder holds no trained
 * model: an unfinished run's checkpoint (and the command that finishes it),
 * or nothing (and the one "train first" hint, for the model the folder's
 * name suggests), plus the trained models beside it. One rule for all three.
 */
import { existsSync, readdirSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { z } from 'zod';
import { UserError } from '../errors';
import { readStepLog } from './steplog';
import { CHECKPOINT_FILE, MODEL_FILE } from '../run-files';
import { commandLine } from '../terminal/command-line';
import { currentDir, displayPath as shown } from '../fs/paths';
import { formatDuration } from '../terminal/progress';
import { readJsonFileOr } from '../validate';
import { liveOwner } from './lock';

/** The numbers a hint needs of checkpoint.json (train/checkpoint.ts checks the whole file). */
const LOOSE_CHECKPOINT = z.object({
  step: z.number(),
  config: z.object({ steps: z.number(), batchSize: z.number().optional() }),
});

/** Step, total and batch size of an unfinished run's checkpoint, read loosely (the full checks run on --resume). */
function unfinished(dir: string): { step: number; steps: number; batchSize?: number } | undefined {
  const json = readJsonFileOr(join(dir, CHECKPOINT_FILE), LOOSE_CHECKPOINT, 64 << 20);
  return json && { step: json.step, steps: json.config.steps, batchSize: json.config.batchSize };
}

/** "step 1,200 of 20,000, done in about 8m10s" for a run training now, from its step log and checkpoint. */
function progressOf(dir: string): string {
  let last: { step: number; examplesPerSec?: number } | undefined;
  try {
    last = readStepLog(dir).train.at(-1);
  } catch {
    last = undefined;
  }
  const run = unfinished(dir);
  if (!last) return run ? `step ${run.step.toLocaleString('en')} of ${run.steps.toLocaleString('en')}` : 'starting';
  if (!run) return `step ${last.step.toLocaleString('en')}`;
  const left = Math.max(0, run.steps - last.step);
  const eta =
    run.batchSize && last.examplesPerSec
      ? `, done in about ${formatDuration((left * run.batchSize) / last.examplesPerSec)}`
      : '';
  return `step ${last.step.toLocaleString('en')} of ${run.steps.toLocaleString('en')}${eta}`;
}

/** Trained model folders beside `dir` (its siblings holding model.json), when they are inside the folder we run in. */
function trainedNearby(dir: string): string[] {
  const parent = dirname(dir);
  const cwd = currentDir();
  if (!cwd || relative(cwd, parent).startsWith('..') || !parent.startsWith(cwd)) return [];
  try {
    return readdirSync(parent, { withFileTypes: true })
      .filter((e) => e.isDirectory() && join(parent, e.name) !== dir && existsSync(join(parent, e.name, MODEL_FILE)))
      .map((e) => shown(join(parent, e.name)))
      .sort();
  } catch {
    return [];
  }
}

/**
 * The run in a folder without a trained model: "a run is training there now (process 4242, step
 * 1,200 of 20,000, done in about 8m10s)" or "holds an unfinished run (step 492 of 20,000)";
 * undefined when there is none (nothing there, or a finished model).
 */
export function untrainedRun(modelDir: string): string | undefined {
  const dir = resolve(modelDir);
  if (existsSync(join(dir, MODEL_FILE))) return undefined;
  const live = existsSync(dir) ? liveOwner(dir) : undefined;
  if (live) return `a run is training there now (process ${live.pid}, ${progressOf(dir)})`;
  const run = existsSync(dir) ? unfinished(dir) : undefined;
  return run
    ? `holds an unfinished run (step ${run.step.toLocaleString('en')} of ${run.steps.toLocaleString('en')})`
    : undefined;
}

/** Throws the one-line story when `dir` holds no trained model; returns quietly when it does. */
export function requireTrainedModel(modelDir: string, option = '--model-dir'): void {
  const dir = resolve(modelDir);
  if (existsSync(join(dir, MODEL_FILE))) return;
  const name = shown(dir);
  const nearby = trainedNearby(dir);
  const listed = nearby.length > 4 ? [...nearby.slice(0, 4), `${nearby.length - 4} more`] : nearby;
  const others = nearby.length ? `; trained models here: ${listed.join(', ')}` : '';
  const live = existsSync(dir) ? liveOwner(dir) : undefined;
  if (live) {
    // No --resume here: the run holds the folder, and a second one would be refused.
    throw new UserError(`${option} ${name}: ${untrainedRun(dir)}, no trained model yet${others}`, {
      hint: `its model is saved there when it finishes; run this again then`,
    });
  }
  const run = existsSync(dir) ? untrainedRun(dir) : undefined;
  if (run) {
    throw new UserError(`${option} ${name}: ${run}, no trained model yet${others}`, {
      hint: `finish it with: ${commandLine('train', '--resume', name)}`,
    });
  }
  const model = basename(dir).includes('softmax') ? 'softmax' : 'cnn';
  const train = commandLine('train', '--model', model, '--save-dir', name);
  // Nothing trained anywhere near: the one-minute softmax model is the quickest first one.
  const quickest =
    model === 'cnn' && !nearby.length
      ? `; or a first model in about a minute: ${commandLine('train', '--model', 'softmax')}, then add --model-dir models/softmax`
      : '';
  throw new UserError(`${option} ${name}: ${existsSync(dir) ? 'no trained model there' : 'no such folder'}${others}`, {
    hint: `train one first: ${train}${quickest}`,
  });
}
