/**
 * The training settings' schema: one definition of what each setting may be,
 * used for options from the command line and for settings read back from a
 * checkpoint alike, with the defaults that do not depend on the model.
 */
import { z } from 'zod';
import { BACKEND_CHOICES } from '../backends/choices';
import { DATASET_NAMES } from '../data/datasets';
import { MODEL_NAMES } from '../models/names';
import { DECAY_KINDS, OPTIMIZERS } from '../optim';

export const RECIPES = ['seed', 'fast'] as const;
/** `--keep`: the last step's weights become the model (the tutorial's), or the best validation's. */
export const KEEP_CHOICES = ['last', 'best'] as const;
export type KeepChoice = (typeof KEEP_CHOICES)[number];

const POSITIVE_INT = 'must be a whole number greater than 0';
const NON_NEGATIVE_INT = 'must be a whole number, 0 or more';
const POSITIVE_NUMBER = 'must be a number greater than 0';
const NON_NEGATIVE_NUMBER = 'must be a number, 0 or more';

export const positiveIntSchema = z
  .number({ error: POSITIVE_INT })
  .int({ error: POSITIVE_INT })
  .positive({ error: POSITIVE_INT })
  .max(Number.MAX_SAFE_INTEGER, { error: POSITIVE_INT });
export const nonNegativeIntSchema = z
  .number({ error: NON_NEGATIVE_INT })
  .int({ error: NON_NEGATIVE_INT })
  .nonnegative({ error: NON_NEGATIVE_INT })
  .max(Number.MAX_SAFE_INTEGER, { error: NON_NEGATIVE_INT });
export const positiveNumberSchema = z
  .number({ error: POSITIVE_NUMBER })
  .positive({ error: POSITIVE_NUMBER })
  .finite({ error: POSITIVE_NUMBER });
export const nonNegativeNumberSchema = z
  .number({ error: NON_NEGATIVE_NUMBER })
  .nonnegative({ error: NON_NEGATIVE_NUMBER })
  .finite({ error: NON_NEGATIVE_NUMBER });

/**
 * The defaults that do not depend on the model or the recipe, and which model
 * and recipe a run takes (the per-model ones are config.ts's RECIPE_DEFAULTS
 * and CHECKPOINT_EVERY). The options' defaults and help text come from here.
 */
export const SETTING_DEFAULTS = {
  model: 'cnn',
  recipe: 'seed',
  dataset: 'mnist',
  logEvery: 100,
  evalBatchSize: 1000,
  validationSize: 5000,
  seed: 0,
  backend: 'auto',
} as const;

/** Every setting of a training run, as a checkpoint stores it. */
export const TrainSettingsSchema = z.object({
  // Checkpoints from before recipes were the seed recipe.
  recipe: z.enum(RECIPES).default('seed'),
  model: z.enum(MODEL_NAMES),
  dataset: z.enum(DATASET_NAMES),
  dataDir: z.string().min(1).optional(),
  steps: positiveIntSchema,
  batchSize: positiveIntSchema,
  optimizer: z.enum(OPTIMIZERS),
  learningRate: positiveNumberSchema,
  decay: z
    .object({
      // Checkpoints from before schedules had a kind were cosine.
      kind: z.enum(DECAY_KINDS).default('cosine'),
      steps: positiveIntSchema,
      finalFraction: z.number().min(0).max(1),
      warmupSteps: nonNegativeIntSchema.optional(),
      stepEvery: positiveIntSchema.optional(),
    })
    .optional(),
  logEvery: positiveIntSchema,
  evalBatchSize: positiveIntSchema,
  validationSize: nonNegativeIntSchema,
  seed: nonNegativeIntSchema,
  backend: z.enum(BACKEND_CHOICES),
  saveDir: z.string().min(1),
  threads: positiveIntSchema.optional(),
  checkpointEvery: nonNegativeIntSchema,
  logdir: z.string().min(1).optional(),
  validateEvery: nonNegativeIntSchema.optional(),
  keep: z.enum(KEEP_CHOICES).optional(),
  earlyStop: positiveIntSchema.optional(),
});
