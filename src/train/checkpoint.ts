/**
 * Checkpoints: everything a run needs to continue exactly where it stopped.
 *
 * `checkpoint.json` (settings, step, data order, the SHA-256 of the weights, the
 * event files the run wrote) names a `checkpoint-<step>.bin` (weights, then the
 * optimizer's slots, float32). The .bin is written first and the .json renamed
 * over the old one after it, both atomically; only then is the previous .bin
 * removed, and a .json that cannot be written takes its new .bin back with it. So
 * the folder holds the last good pair (plus the one being written), and a crash
 * or a failed write at any moment leaves a usable one. Both files are checked on
 * reading: every field against its schema, the .bin's length and hash against the
 * .json, every number finite.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { DataState } from '../data/batches';
import { UserError } from '../errors';
import { writeFileAtomic } from '../fs/atomic';
import { readRegularFile } from '../fs/read';
import { CHECKPOINT_BIN_PATTERN, CHECKPOINT_FILE, checkpointBinName } from '../run-files';
import { nonNegativeIntSchema, positiveIntSchema, readJsonFile, recordedPathSchema } from '../validate';
import { TrainConfig } from './config';
import { firstNonFinite } from '../models/finite';
import { OPTIMIZERS, OptimizerState } from '../optim';
import { EVENT_FILE_NAME_PATTERN } from '../tensorboard/writer';
import type { WatchState } from './keep';
import { TrainSettingsSchema } from './settings';

const FORMAT = 'mnist-deep-checkpoint-1';
/** Optimizer slots per weight: Adam's two moments, none for SGD. */
const SLOTS = { adam: 2, sgd: 0 } as const;

export interface Checkpoint {
  config: TrainConfig;
  /** Steps done: the run continues at this step. */
  step: number;
  data: DataState;
  /** Seconds spent training up to `step`, over every part of the run (absent in older checkpoints). */
  seconds?: number;
  weights: Float32Array;
  optimizer: OptimizerState;
  /** The event files (names in config.logdir) this run wrote: the only ones a resume may trim. */
  eventFiles?: string[];
  /** The same in config.logdir's `validation` run (TensorBoard's validation curve). */
  validationEventFiles?: string[];
  /** The validations seen (--keep best, --early-stop): the best and the count since (absent before them). */
  validation?: WatchState;
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

const WatchStateSchema = z.object({
  best: z.object({ step: nonNegativeIntSchema, validationAccuracy: z.number().min(0).max(1) }).optional(),
  sinceBest: nonNegativeIntSchema,
});

const EventFilesSchema = z
  .array(z.string().regex(EVENT_FILE_NAME_PATTERN, { error: 'must be an event file name' }))
  .max(10_000)
  .optional();

/** The data order must be a permutation of the training images: anything else trains on images that are not there. */
const DataStateSchema = z
  .object({
    order: z.array(nonNegativeIntSchema).min(1),
    indexInEpoch: nonNegativeIntSchema,
    epochsCompleted: nonNegativeIntSchema,
    rngState: z.number().int().min(0).max(0xffffffff),
  })
  .superRefine((d, ctx) => {
    const seen = new Uint8Array(d.order.length);
    for (let i = 0; i < d.order.length; i++) {
      const v = d.order[i];
      if (v >= d.order.length || seen[v]) {
        ctx.addIssue({
          code: 'custom',
          path: ['order', i],
          message: `${v} is ${v >= d.order.length ? 'out of range' : 'repeated'} (the order must list each of the ${d.order.length} training images once)`,
        });
        return;
      }
      seen[v] = 1;
    }
    if (d.indexInEpoch > d.order.length)
      ctx.addIssue({ code: 'custom', path: ['indexInEpoch'], message: `must be at most ${d.order.length}` });
  });

export const CheckpointJsonSchema = z
  .object({
    format: z.literal(FORMAT, { error: `not an mnist-deep checkpoint (format must be "${FORMAT}")` }),
    // The run's folders are recorded resolved: a relative one would depend on where --resume is started.
    config: TrainSettingsSchema.extend({
      dataDir: recordedPathSchema.optional(),
      saveDir: recordedPathSchema,
      logdir: recordedPathSchema.optional(),
    }),
    step: nonNegativeIntSchema,
    data: DataStateSchema,
    optimizer: z.object({
      name: z.enum(OPTIMIZERS),
      step: nonNegativeIntSchema,
      slots: z.number().int().min(0).max(2),
    }),
    parameters: positiveIntSchema,
    bin: z.string().regex(CHECKPOINT_BIN_PATTERN, { error: 'must be a name like checkpoint-<step>.bin' }),
    sha256: z
      .string()
      .regex(/^[0-9a-f]{64}$/, { error: 'must be 64 lowercase hex digits' })
      .optional(),
    eventFiles: EventFilesSchema,
    validationEventFiles: EventFilesSchema,
    seconds: z.number().nonnegative().optional(),
    savedAt: z.string(),
    validation: WatchStateSchema.optional(),
  })
  .superRefine((j, ctx) => {
    const issue = (path: PropertyKey[], message: string) => ctx.addIssue({ code: 'custom', path, message });
    if (j.step > j.config.steps) issue(['step'], `${j.step} is past the run's ${j.config.steps} steps (config.steps)`);
    const planned = j.config.plannedSteps;
    if (planned !== undefined && planned < j.config.steps)
      issue(
        ['config', 'plannedSteps'],
        `${planned} is below the ${j.config.steps} steps the run stopped at (config.steps)`,
      );
    if (j.bin !== checkpointBinName(j.step)) issue(['bin'], `must be ${checkpointBinName(j.step)} for step ${j.step}`);
    if (j.optimizer.name !== j.config.optimizer)
      issue(['optimizer', 'name'], `${j.optimizer.name} differs from config.optimizer ${j.config.optimizer}`);
    else if (j.optimizer.slots !== SLOTS[j.optimizer.name])
      issue(['optimizer', 'slots'], `${j.optimizer.name} has ${SLOTS[j.optimizer.name]}`);
  });
type CheckpointJson = z.infer<typeof CheckpointJsonSchema>;

export function writeCheckpoint(dir: string, cp: Checkpoint): void {
  const n = cp.weights.length;
  const slots = cp.optimizer.slots;
  const bin = new Float32Array(n * (1 + slots.length));
  bin.set(cp.weights, 0);
  slots.forEach((s, i) => bin.set(s, n * (i + 1)));
  const name = checkpointBinName(cp.step);
  const bytes = new Uint8Array(bin.buffer);
  const isNew = !existsSync(join(dir, name));
  writeFileAtomic(join(dir, name), bytes);
  const json: CheckpointJson = {
    format: FORMAT,
    config: cp.config,
    step: cp.step,
    data: cp.data,
    optimizer: { name: cp.optimizer.name, step: cp.optimizer.step, slots: slots.length },
    parameters: n,
    bin: name,
    sha256: sha256(bytes),
    ...(cp.eventFiles && { eventFiles: cp.eventFiles }),
    ...(cp.validationEventFiles &&
      cp.validationEventFiles.length > 0 && { validationEventFiles: cp.validationEventFiles }),
    ...(cp.seconds !== undefined && { seconds: cp.seconds }),
    savedAt: new Date().toISOString(),
    ...(cp.validation && { validation: cp.validation }),
  };
  try {
    writeFileAtomic(join(dir, CHECKPOINT_FILE), JSON.stringify(json));
  } catch (err) {
    // Both or neither: a .bin no checkpoint.json names would make the folder neither resumable nor fresh.
    if (isNew) rmSync(join(dir, name), { force: true });
    throw err;
  }
  for (const f of readdirSync(dir)) {
    if (CHECKPOINT_BIN_PATTERN.test(f) && f !== name) rmSync(join(dir, f), { force: true });
  }
}

/** Reads and checks the checkpoint in save dir `dir` (absolute; the caller holds its lock). */
/**
 * Names a resumed part's event files in its checkpoint, before it trains (checkpoint.json alone,
 * rewritten atomically; the weights are untouched).
 */
export function recordEventFiles(dir: string, eventFiles: string[], validationEventFiles: string[]): void {
  const file = join(dir, CHECKPOINT_FILE);
  const json = readJsonFile(file, CheckpointJsonSchema, 64 << 20);
  const named = {
    ...json,
    eventFiles,
    ...(validationEventFiles.length > 0 && { validationEventFiles }),
  };
  writeFileAtomic(file, JSON.stringify(named));
}

export function readCheckpoint(dir: string): Checkpoint {
  const file = join(dir, CHECKPOINT_FILE);
  if (!existsSync(file))
    throw new UserError(`--resume ${dir}: no ${CHECKPOINT_FILE} there (was it trained with checkpoints?)`);
  const json = readJsonFile(file, CheckpointJsonSchema, 64 << 20);
  const binFile = join(dir, json.bin);
  if (!existsSync(binFile)) throw new UserError(`${binFile}: missing (named by ${CHECKPOINT_FILE})`);
  const n = json.parameters;
  const expected = n * 4 * (1 + json.optimizer.slots);
  const bytes = readRegularFile(binFile, { maxBytes: expected, why: `the size ${CHECKPOINT_FILE} describes` });
  if (bytes.length !== expected)
    throw new UserError(`${binFile}: ${bytes.length} bytes, expected ${expected} (as ${CHECKPOINT_FILE} describes)`);
  if (json.sha256 !== undefined && sha256(bytes) !== json.sha256)
    throw new UserError(
      `${binFile}: its SHA-256 is not the one ${CHECKPOINT_FILE} records (a .bin of another checkpoint?); refusing to resume from it`,
    );
  const all = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
  const bad = firstNonFinite(all);
  if (bad >= 0) {
    const what = bad < n ? `weight ${bad}` : `optimizer slot ${Math.floor(bad / n) - 1}, value ${bad % n}`;
    throw new UserError(
      `${binFile}: ${what} is ${all[bad]}; a checkpoint must hold finite numbers (did the run diverge?)`,
    );
  }
  return {
    config: json.config,
    step: json.step,
    data: json.data,
    ...(json.seconds !== undefined && { seconds: json.seconds }),
    ...(json.eventFiles && { eventFiles: json.eventFiles }),
    ...(json.validationEventFiles && { validationEventFiles: json.validationEventFiles }),
    ...(json.validation && { validation: json.validation }),
    weights: all.subarray(0, n),
    optimizer: {
      name: json.optimizer.name,
      step: json.optimizer.step,
      slots: Array.from({ length: json.optimizer.slots }, (_, i) => all.subarray(n * (i + 1), n * (i + 2))),
    },
  };
}
