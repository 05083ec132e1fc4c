/**
 * metadata.json, written last by `train` (its presence says the run is
 * complete): what the model is, how it was trained, and how well it did.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { DATASET_NAMES } from '../data/datasets';
import { readJsonFile } from '../validate';
import { METADATA_FILE } from '../run-files';
import { MODEL_NAMES } from './names';

/** An accuracy, or null where there was nothing to measure (JSON has no NaN). */
const accuracy = z.number().min(0).max(1).nullable();

export const MetadataSchema = z
  .object({
    model: z.enum(MODEL_NAMES),
    dataset: z.enum(DATASET_NAMES),
    steps: z.number().int().nonnegative(),
    seed: z.number().int().nonnegative().optional(),
    validationAccuracy: accuracy.optional(),
    testAccuracy: accuracy.optional(),
    backend: z.string().optional(),
    seconds: z.number().nonnegative().optional(),
  })
  .loose();
export type Metadata = z.infer<typeof MetadataSchema>;

/** The model folder's metadata.json, checked, or undefined when there is none. */
export function readMetadata(dir: string): Metadata | undefined {
  const file = join(dir, METADATA_FILE);
  return existsSync(file) ? readJsonFile(file, MetadataSchema, 1 << 20) : undefined;
}
