/**
 * Checkpoints: everything a run needs to continue exactly where it stopped.
 *
 * `checkpoint.json` (settings, step, data order) names a `checkpoint-<step>.bin`
 * (weights, then the optimizer's slots, float32). The .bin is written first and
 * the .json renamed over the old one after it, both atomically; only then is the
 * previous .bin removed. So the folder holds at most the last good checkpoint
 * plus the one being written, and a crash at any moment leaves a usable one.
 */
import { existsSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DataState } from '../data/dataset';
import { UserError, errorMessage } from '../errors';
import { writeFileAtomic } from '../fsutil';
import { TrainConfig } from './config';
import { OptimizerState } from './optimizers';

export const CHECKPOINT_FILE = 'checkpoint.json';
const FORMAT = 'mnist-deep-checkpoint-1';

export interface Checkpoint {
  config: TrainConfig;
  /** Steps done: the run continues at this step. */
  step: number;
  data: DataState;
  weights: Float32Array;
  optimizer: OptimizerState;
}

interface CheckpointJson {
  format: string;
  config: TrainConfig;
  step: number;
  data: DataState;
  optimizer: { name: OptimizerState['name']; step: number; slots: number };
  parameters: number;
  bin: string;
  savedAt: string;
}

const binName = (step: number) => `checkpoint-${step}.bin`;

export function writeCheckpoint(dir: string, cp: Checkpoint): void {
  const n = cp.weights.length;
  const slots = cp.optimizer.slots;
  const bin = new Float32Array(n * (1 + slots.length));
  bin.set(cp.weights, 0);
  slots.forEach((s, i) => bin.set(s, n * (i + 1)));
  const name = binName(cp.step);
  writeFileAtomic(join(dir, name), new Uint8Array(bin.buffer));
  const json: CheckpointJson = {
    format: FORMAT,
    config: cp.config,
    step: cp.step,
    data: cp.data,
    optimizer: { name: cp.optimizer.name, step: cp.optimizer.step, slots: slots.length },
    parameters: n,
    bin: name,
    savedAt: new Date().toISOString(),
  };
  writeFileAtomic(join(dir, CHECKPOINT_FILE), JSON.stringify(json));
  for (const f of readdirSync(dir)) {
    if (/^checkpoint-\d+\.bin$/.test(f) && f !== name) rmSync(join(dir, f), { force: true });
  }
}

export function readCheckpoint(dir: string): Checkpoint {
  const root = resolve(dir);
  if (!existsSync(root) || !statSync(root).isDirectory()) throw new UserError(`--resume ${dir}: folder not found`);
  const file = join(root, CHECKPOINT_FILE);
  if (!existsSync(file)) throw new UserError(`--resume ${dir}: no ${CHECKPOINT_FILE} there (was it trained with checkpoints?)`);
  let json: CheckpointJson;
  try {
    json = JSON.parse(readFileSync(file, 'utf8')) as CheckpointJson;
  } catch (err) {
    throw new UserError(`${file}: not valid JSON (${errorMessage(err)})`);
  }
  if (json?.format !== FORMAT || typeof json.bin !== 'string' || !/^checkpoint-\d+\.bin$/.test(json.bin)) {
    throw new UserError(`${file}: not an mnist-deep checkpoint`);
  }
  const binFile = join(root, json.bin);
  if (!existsSync(binFile)) throw new UserError(`${binFile}: missing (named by ${CHECKPOINT_FILE})`);
  const bytes = readFileSync(binFile);
  const n = json.parameters;
  const expected = n * 4 * (1 + json.optimizer.slots);
  if (bytes.length !== expected) throw new UserError(`${binFile}: ${bytes.length} bytes, expected ${expected}`);
  const all = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
  return {
    config: json.config,
    step: json.step,
    data: json.data,
    weights: all.subarray(0, n),
    optimizer: {
      name: json.optimizer.name,
      step: json.optimizer.step,
      slots: Array.from({ length: json.optimizer.slots }, (_, i) => all.subarray(n * (i + 1), n * (i + 2))),
    },
  };
}
