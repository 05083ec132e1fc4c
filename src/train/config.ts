/**
 * The hyper-parameters' one home: each recipe's values per model
 * (RECIPE_DEFAULTS), the per-model checkpoint interval and save dir, and the
 * run's settings resolved from the options given. Option defaults, help text
 * and the scripts read them from here.
 */
import { availableParallelism } from 'node:os';
import type { ModelName } from '../models';
import { MODEL_NAMES } from '../models/names';
import { UsageError } from '../errors';
import { type ScheduleChoice, makeSchedule } from '../optim';
import { type Hyper, RECIPES, type RecipeName, type TrainConfig } from '../run-types';
import { SETTING_DEFAULTS } from './settings';

// The types live in run-types.ts (TensorBoard reads them too); the recipes' values live here.
export { RECIPES };
export type { Hyper, RecipeName, TrainConfig };

/** The tutorial's softmax recipe, which `fast` keeps. */
const SEED_SOFTMAX: Hyper = { steps: 1000, batchSize: 100, optimizer: 'sgd', learningRate: 0.5 };

/**
 * `seed`: the tutorial's recipes. `fast`: the same CNN to the same accuracy
 * with 300,000 examples instead of 1,000,000 (Adam 1e-3 cosine-decayed to 2%
 * over 3,000 steps of 100; chosen on the validation set, see the README);
 * softmax already takes a second, so its `fast` recipe is the seed's.
 */
export const RECIPE_DEFAULTS: Record<RecipeName, Record<ModelName, Hyper>> = {
  seed: {
    softmax: SEED_SOFTMAX,
    cnn: { steps: 20000, batchSize: 50, optimizer: 'adam', learningRate: 1e-4 },
  },
  fast: {
    softmax: SEED_SOFTMAX,
    cnn: {
      steps: 3000,
      batchSize: 100,
      optimizer: 'adam',
      learningRate: 1e-3,
      decay: { kind: 'cosine', steps: 3000, finalFraction: 0.02 },
    },
  },
};

/** Checkpoints by default every this many steps (0 never): a 20,000-step CNN run deserves them; 1,000 softmax steps take seconds. */
export const CHECKPOINT_EVERY: Record<ModelName, number> = { cnn: 1000, softmax: 0 };

/** Where a model's run is saved, and where eval and predict look, unless told otherwise. */
export const defaultSaveDir = (model: string) => `models/${model}`;

/** The save dirs a command that needs a saved model tries in turn: the default model's first. */
export const DEFAULT_MODEL_DIRS = [
  SETTING_DEFAULTS.model,
  ...MODEL_NAMES.filter((m) => m !== SETTING_DEFAULTS.model),
].map(defaultSaveDir);

export type TrainOptions = Partial<TrainConfig> & {
  model?: ModelName;
  /** The schedule and what shapes it (absent: the recipe's). */
  lrSchedule?: ScheduleChoice['schedule'];
} & Omit<ScheduleChoice, 'schedule'>;

/** The recipe's schedule over the run's steps, or the one the options choose; a bad combination is a usage error. */
function resolveSchedule(opts: TrainOptions, d: Hyper, learningRate: number, steps: number) {
  const { lrSchedule, lrFinal, lrStepEvery, warmupSteps } = opts;
  const schedule = lrSchedule ?? d.decay?.kind ?? 'constant';
  const fromRecipe = d.decay?.kind === schedule ? d.decay.finalFraction : undefined;
  const made = makeSchedule({ schedule, lrFinal, lrStepEvery, warmupSteps }, learningRate, steps, fromRecipe);
  if (made.error) throw new UsageError(made.error);
  return made.schedule;
}

/** --validate-every as given; measuring needs a validation split. */
function validation(opts: TrainOptions): number | undefined {
  const every = opts.validateEvery;
  if (every && opts.validationSize === 0)
    throw new UsageError(`--validate-every ${every}: there is no validation split to measure (--validation-size 0)`);
  const off = opts.validationSize === 0 ? '--validation-size 0' : every === 0 ? '--validate-every 0' : undefined;
  const needs = [
    opts.keep === 'best' && '--keep best',
    opts.earlyStop !== undefined && `--early-stop ${opts.earlyStop}`,
  ];
  for (const option of needs)
    if (option && off) throw new UsageError(`${option}: needs validations during training, and ${off} turns them off`);
  return opts.validationSize === 0 ? 0 : every;
}

/** Fills in the recipe's values for the model; any option given overrides them. */
export function resolveConfig(opts: TrainOptions): TrainConfig {
  const model = opts.model ?? SETTING_DEFAULTS.model;
  const recipe = opts.recipe ?? SETTING_DEFAULTS.recipe;
  const d = RECIPE_DEFAULTS[recipe][model];
  const steps = opts.steps ?? d.steps;
  const learningRate = opts.learningRate ?? d.learningRate;
  // The schedule spans the run's steps, also when --steps changes them.
  const decay = resolveSchedule(opts, d, learningRate, steps);
  return {
    recipe,
    model,
    dataset: opts.dataset ?? SETTING_DEFAULTS.dataset,
    dataDir: opts.dataDir,
    steps,
    batchSize: opts.batchSize ?? d.batchSize,
    optimizer: opts.optimizer ?? d.optimizer,
    learningRate,
    ...(decay && { decay }),
    logEvery: opts.logEvery ?? SETTING_DEFAULTS.logEvery,
    evalBatchSize: opts.evalBatchSize ?? SETTING_DEFAULTS.evalBatchSize,
    validationSize: opts.validationSize ?? SETTING_DEFAULTS.validationSize,
    seed: opts.seed ?? SETTING_DEFAULTS.seed,
    backend: opts.backend ?? SETTING_DEFAULTS.backend,
    saveDir: opts.saveDir ?? defaultSaveDir(model),
    threads: opts.threads,
    checkpointEvery: opts.checkpointEvery ?? CHECKPOINT_EVERY[model],
    ...(validation(opts) !== undefined && { validateEvery: validation(opts) }),
    ...(opts.keep === 'best' && { keep: 'best' as const }),
    ...(opts.earlyStop !== undefined && { earlyStop: opts.earlyStop }),
  };
}

/**
 * More training threads than cores only adds a replica's memory per thread
 * (64 threads of the CNN took 9 GB on 2 cores) for no speed: the count is
 * capped at the machine's cores, and the caller says so (`note`).
 */
export function capThreads(cfg: TrainConfig, cores = availableParallelism()): string | undefined {
  if (cfg.threads === undefined || cfg.threads <= cores) return undefined;
  const note = `--threads ${cfg.threads}: this machine has ${cores} ${cores === 1 ? 'core' : 'cores'}; using ${cores} threads`;
  cfg.threads = cores;
  return note;
}
