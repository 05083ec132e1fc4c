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
import { KEEP_CHOICES, type KeepChoice, RECIPES } from '../run-types';
import { nonNegativeIntSchema, nonNegativeNumberSchema, positiveIntSchema, positiveNumberSchema } from '../validate';

// The number rules live in validate.ts (metadata and checkpoints share them); the options import them here.
export { nonNegativeIntSchema, nonNegativeNumberSchema, positiveIntSchema, positiveNumberSchema };

// The recipe and --keep names live in run-types.ts with the settings' types.
export { KEEP_CHOICES, RECIPES };
export type { KeepChoice };

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
  plannedSteps: positiveIntSchema.optional(),
});
