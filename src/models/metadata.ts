/**
 * A run's metadata, read in one place: train writes it into model.json's
 * userDefinedMetadata and into metadata.json (written last: its presence says
 * the run is complete). Readers take model.json's, else metadata.json's (older
 * models), checked by one schema: what the model is, how it was trained, and
 * how well it did.
 */
import type * as tfl from '@tensorflow/tfjs';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { DATASET_NAMES, DatasetName, isDatasetName } from '../data/datasets';
import { UserError } from '../errors';
import { METADATA_FILE, MODEL_FILE } from '../run-files';
import { nonNegativeIntSchema, readJsonFile, recordedPathSchema, validate } from '../validate';
import { MODEL_NAMES } from './names';

/** An accuracy, or null where there was nothing to measure (JSON has no NaN). */
const accuracy = z.number().min(0).max(1).nullable();

export const MetadataSchema = z
  .object({
    model: z.enum(MODEL_NAMES),
    dataset: z.enum(DATASET_NAMES),
    steps: nonNegativeIntSchema,
    seed: nonNegativeIntSchema.optional(),
    logdir: recordedPathSchema.optional(),
    validationAccuracy: accuracy.optional(),
    testAccuracy: accuracy.optional(),
    backend: z.string().optional(),
    seconds: z.number().nonnegative().optional(),
  })
  .loose();
export type Metadata = z.infer<typeof MetadataSchema>;

/** The model folder's metadata.json, checked, or undefined when there is none. */
export function readMetadataFile(dir: string): Metadata | undefined {
  const file = join(dir, METADATA_FILE);
  return existsSync(file) ? readJsonFile(file, MetadataSchema, 1 << 20) : undefined;
}

/** What model.json may hold: any of the fields, each checked as in metadata.json (models of other tools hold few). */
const EmbeddedSchema = z.object({ userDefinedMetadata: MetadataSchema.partial() });

/** The run's metadata of a loaded model: model.json's, else metadata.json's, checked alike; else none. */
export function savedMetadata(model: tfl.LayersModel, dir: string): Partial<Metadata> | undefined {
  const meta = model.getUserDefinedMetadata();
  if (meta && typeof meta === 'object')
    return validate(EmbeddedSchema, { userDefinedMetadata: meta }, join(dir, MODEL_FILE)).userDefinedMetadata;
  return readMetadataFile(dir);
}

/** The data set the model was trained on, by the same precedence; a bad name in model.json is an error. */
export function datasetOf(model: tfl.LayersModel, dir: string): DatasetName | undefined {
  const embedded = (model.getUserDefinedMetadata() as { dataset?: unknown } | undefined)?.dataset;
  if (embedded === undefined) return readMetadataFile(dir)?.dataset;
  if (typeof embedded === 'string' && isDatasetName(embedded)) return embedded;
  throw new UserError(
    `${join(dir, MODEL_FILE)}: field userDefinedMetadata.dataset: ${JSON.stringify(embedded)} is not one of ${DATASET_NAMES.join(', ')}`,
  );
}

/**
 * The same precedence for a reader that must not fail (the serve page): model.json's
 * userDefinedMetadata, else metadata.json's, as the caller read them; metadata that does not
 * pass the schema shows as unknown.
 */
export function metadataOrUnknown(embedded: unknown, fromFile: () => unknown): Partial<Metadata> {
  const parsed = MetadataSchema.safeParse(embedded ?? fromFile());
  return parsed.success ? parsed.data : {};
}
