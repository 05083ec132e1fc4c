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
import { CHECKPOINT_FILE, MODEL_FILE } from '../run-files';
import { commandLine } from '../terminal/command-line';
import { readJsonFileOr } from '../validate';

/** The folder as the user would type it (relative to here when inside it). */
function shown(dir: string): string {
  const rel = relative(process.cwd(), dir);
  return rel && !rel.startsWith('..') ? rel : dir;
}

/** The two numbers a hint needs of checkpoint.json (train/checkpoint.ts checks the whole file). */
const LOOSE_CHECKPOINT = z.object({ step: z.number(), config: z.object({ steps: z.number() }) });

/** Step and total of an unfinished run's checkpoint, read loosely (the full checks run on --resume). */
function unfinished(dir: string): { step: number; steps: number } | undefined {
  const json = readJsonFileOr(join(dir, CHECKPOINT_FILE), LOOSE_CHECKPOINT, 64 << 20);
  return json && { step: json.step, steps: json.config.steps };
}

/** Trained model folders beside `dir` (its siblings holding model.json), when they are inside the folder we run in. */
function trainedNearby(dir: string): string[] {
  const parent = dirname(dir);
  if (relative(process.cwd(), parent).startsWith('..') || !parent.startsWith(process.cwd())) return [];
  try {
    return readdirSync(parent, { withFileTypes: true })
      .filter((e) => e.isDirectory() && join(parent, e.name) !== dir && existsSync(join(parent, e.name, MODEL_FILE)))
      .map((e) => shown(join(parent, e.name)))
      .sort();
  } catch {
    return [];
  }
}

/** Throws the one-line story when `dir` holds no trained model; returns quietly when it does. */
export function requireTrainedModel(modelDir: string, option = '--model-dir'): void {
  const dir = resolve(modelDir);
  if (existsSync(join(dir, MODEL_FILE))) return;
  const name = shown(dir);
  const nearby = trainedNearby(dir);
  const listed = nearby.length > 4 ? [...nearby.slice(0, 4), `${nearby.length - 4} more`] : nearby;
  const others = nearby.length ? `; trained models here: ${listed.join(', ')}` : '';
  const run = existsSync(dir) ? unfinished(dir) : undefined;
  if (run) {
    throw new UserError(
      `${option} ${name}: holds an unfinished run (step ${run.step.toLocaleString('en')} of ${run.steps.toLocaleString('en')}), no trained model yet${others}`,
      { hint: `finish it with: ${commandLine('train', '--resume', name)}` },
    );
  }
  const model = basename(dir).includes('softmax') ? 'softmax' : 'cnn';
  throw new UserError(`${option} ${name}: ${existsSync(dir) ? 'no trained model there' : 'no such folder'}${others}`, {
    hint: `train one first: ${commandLine('train', '--model', model, '--save-dir', name)}`,
  });
}
