/**
 * Every option's parsing and validation, in one place, when the command line
 * is parsed. Parsers throw commander's InvalidArgumentError, reported as
 * "mnist-deep: error: --steps x: <reason>" with exit code 2 (see usage.ts).
 */
import { InvalidArgumentError, Option } from 'commander';
import { statSync } from 'node:fs';
import { BACKEND_CHOICES } from '../backends/choices';
import { z } from 'zod';
import { DATASET_NAMES } from '../data/datasets';
import { VERSION_PATTERN } from '../native/libraries';
import { NUM_CLASSES } from '../data/shapes';
import { MODEL_NAMES, ModelName } from '../models/names';
import { CHECKPOINT_EVERY, Hyper, RECIPES, RECIPE_DEFAULTS } from '../train/config';
import {
  KEEP_CHOICES,
  SETTING_DEFAULTS,
  nonNegativeIntSchema,
  nonNegativeNumberSchema,
  positiveIntSchema,
  positiveNumberSchema,
} from '../train/settings';
import { LR_SCHEDULES, describeSchedule } from '../optim';

/**
 * Numbers as people write them in decimal: counts and ports are digits only
 * (JavaScript's Number() would take 0x50 as 80, 1e1 as 10, ' 5' as 5, '' as 0);
 * a rate may have a fraction and an exponent (1e-4).
 */
const DECIMAL_INT = /^[0-9]+$/;
const DECIMAL_NUMBER = /^(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;

/** The number `value` writes in `form`, else NaN (which every schema and range check refuses). */
export const decimal = (value: string, form: RegExp = DECIMAL_INT) => (form.test(value) ? Number(value) : NaN);

/** A parser for commander from a setting's schema: the command line and checkpoints share one validation. */
function fromSchema(schema: z.ZodType<number>, form: RegExp = DECIMAL_INT): (value: string) => number {
  return (value: string) => {
    const parsed = schema.safeParse(decimal(value, form));
    if (!parsed.success) throw new InvalidArgumentError(parsed.error.issues[0].message + '.');
    return parsed.data;
  };
}

export const positiveInt = fromSchema(positiveIntSchema);
export const nonNegativeInt = fromSchema(nonNegativeIntSchema);
export const positiveFloat = fromSchema(positiveNumberSchema, DECIMAL_NUMBER);
export const nonNegativeFloat = fromSchema(nonNegativeNumberSchema, DECIMAL_NUMBER);

/** A file or folder name: an empty one (an unset shell variable) must not fall back to a default. */
export function pathArg(value: string): string {
  if (value.trim() === '') throw new InvalidArgumentError('must not be empty (an unset shell variable?).');
  return value;
}

/** `serve --host`: an address or name; an empty one would listen on every interface. */
export function hostArg(value: string): string {
  pathArg(value);
  if (/\s/.test(value)) throw new InvalidArgumentError('must be an address or host name, without spaces.');
  return value;
}

/** `native --tf-version`: x.y.z only, since it becomes part of a folder name in the cache. */
export function tfVersionArg(value: string): string {
  if (!VERSION_PATTERN.test(value)) throw new InvalidArgumentError('must be a version such as 2.21.0 (digits only).');
  return value;
}

export function httpUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError('must be an http:// or https:// URL.');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new InvalidArgumentError('must be an http:// or https:// URL.');
  return value;
}

export function existingDir(value: string): string {
  pathArg(value);
  let isDir: boolean;
  try {
    isDir = statSync(value).isDirectory();
  } catch {
    throw new InvalidArgumentError('no such folder.');
  }
  if (!isDir) throw new InvalidArgumentError('not a folder.');
  return value;
}

export const datasetOption = () =>
  new Option('--dataset <name>', 'data set').choices(DATASET_NAMES).default(SETTING_DEFAULTS.dataset);
export const dataDirOption = () =>
  new Option('--data-dir <dir>', 'folder holding the four IDX files (.gz or raw)').argParser(pathArg);
export const backendOption = () =>
  new Option('--backend <name>', 'TensorFlow.js backend').choices(BACKEND_CHOICES).default(SETTING_DEFAULTS.backend);
export const jsonOption = () => new Option('--json', 'machine-readable JSON on stdout');

export function portNumber(value: string): number {
  const n = decimal(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    throw new InvalidArgumentError('must be a whole number from 0 to 65535 (0: any free port).');
  }
  return n;
}

/** `predict --top`: 1 to the number of classes. */
export function topCount(value: string): number {
  const n = decimal(value);
  if (!Number.isInteger(n) || n < 1 || n > NUM_CLASSES) {
    throw new InvalidArgumentError(`must be a whole number from 1 to ${NUM_CLASSES}.`);
  }
  return n;
}

export const POLARITY_CHOICES = ['auto', 'dark-on-light', 'light-on-dark'] as const;
export type PolarityChoice = (typeof POLARITY_CHOICES)[number];

const perModel = (models: readonly ModelName[], show: (m: ModelName) => string) =>
  models.map((m) => `${m} ${show(m)}`).join(', ');

/**
 * A recipe setting's defaults for help text, from RECIPE_DEFAULTS: every model's
 * in the first recipe, then what each other recipe changes ("default: softmax
 * 1000, cnn 20000; fast recipe: cnn 3000").
 */
export function recipeDefaults(show: (h: Hyper) => string): string {
  const [first, ...others] = RECIPES;
  const parts = [perModel(MODEL_NAMES, (m) => show(RECIPE_DEFAULTS[first][m]))];
  for (const recipe of others) {
    const value = (m: ModelName) => show(RECIPE_DEFAULTS[recipe][m]);
    const changed = MODEL_NAMES.filter((m) => value(m) !== show(RECIPE_DEFAULTS[first][m]));
    if (changed.length) parts.push(`${recipe} recipe: ${perModel(changed, value)}`);
  }
  return `default: ${parts.join('; ')}`;
}

/** A learning rate as people write it (0.5, 1e-4), with the recipe's decay. */
export function showRate(h: Hyper): string {
  const rate = h.learningRate < 0.01 ? h.learningRate.toExponential() : String(h.learningRate);
  return h.decay ? `${rate}, ${describeSchedule(h.decay)}` : rate;
}

/** The checkpoint interval's defaults for help text ("default: cnn 1000, softmax 0"). */
export const checkpointDefaults = () =>
  `default: ${perModel(Object.keys(CHECKPOINT_EVERY) as ModelName[], (m) => String(CHECKPOINT_EVERY[m]))}`;

/** `train`'s learning-rate schedule options (src/optim/schedule.ts says which schedule uses which). */
export const scheduleOptions = {
  lrSchedule: () =>
    new Option(
      '--lr-schedule <name>',
      "learning-rate schedule, as TF's CosineDecay, PiecewiseConstantDecay, ExponentialDecay (default: the recipe's)",
    ).choices(LR_SCHEDULES),
  lrFinal: () =>
    new Option(
      '--lr-final <x>',
      'the learning rate the schedule ends at (default: cosine 0, step and exponential 1% of --learning-rate)',
    ).argParser(nonNegativeFloat),
  lrStepEvery: () =>
    new Option('--lr-step-every <n>', 'step schedule: steps between the drops of the rate').argParser(positiveInt),
  warmupSteps: () =>
    new Option('--warmup-steps <n>', 'cosine schedule: a linear warmup from 0 over the first n steps').argParser(
      nonNegativeInt,
    ),
};

/** `eval --split`'s choices (saved-eval/run.ts's EvalSplit). */
const EVAL_SPLITS = ['test', 'validation'] as const;

/** `train`'s options for watching the validation split as training goes (and `eval --split`). */
export const validationOptions = {
  validateEvery: () =>
    new Option(
      '--validate-every <n>',
      'measure validation loss and accuracy every n steps, 0 only at the end (default: once an epoch, rounded to --log-every)',
    ).argParser(nonNegativeInt),
  keep: () =>
    new Option(
      '--keep <which>',
      "the model saved: the last step's weights (the tutorial's) or the best validation accuracy's",
    )
      .choices(KEEP_CHOICES)
      .default('last'),
  earlyStop: () =>
    new Option(
      '--early-stop <p>',
      'stop when validation accuracy has not improved for p validations (then save and evaluate as usual)',
    ).argParser(positiveInt),
  /** `eval --split`: the test split, or the validation split the model was trained beside. */
  split: () =>
    new Option(
      '--split <name>',
      "evaluate on the test split, or on the validation split held out of the model's training set",
    )
      .choices(EVAL_SPLITS)
      .default('test'),
};
