/**
 * The data as the tutorial's `read_data_sets` gives it: pixels scaled to
 * [0, 1], one-hot labels, the validation set cut from the start of the
 * training images, and batches in an order reshuffled every epoch. The order
 * and position are a few numbers, so a checkpoint saves them and a resumed
 * run sees the batches the uninterrupted one would have.
 */
import { UserError } from '../errors';
import { DatasetName } from './datasets';
import { RawDataset } from './files';
import { Rng } from './rng';
import { IMAGE_SIZE, NUM_CLASSES } from './shapes';

export interface Batch {
  /** batch x 784 pixels in [0, 1]. */
  xs: Float32Array;
  /** batch x 10 one-hot labels. */
  ys: Float32Array;
  labels: Uint8Array;
  size: number;
}

/** Saved position of a split's batch stream (for checkpoints). */
export interface DataState {
  order: number[];
  indexInEpoch: number;
  epochsCompleted: number;
  rngState: number;
}

/** Pixels as float32 in [0, 1]. */
export function scalePixels(pixels: Uint8Array): Float32Array {
  const out = new Float32Array(pixels.length);
  for (let i = 0; i < pixels.length; i++) out[i] = pixels[i] / 255;
  return out;
}

export function oneHot(labels: Uint8Array): Float32Array {
  const out = new Float32Array(labels.length * NUM_CLASSES);
  labels.forEach((l, i) => (out[i * NUM_CLASSES + l] = 1));
  return out;
}

/**
 * One split (train, validation or test), like TF's `DataSet`: `nextBatch`
 * reshuffles at each epoch and, when a batch crosses the end of an epoch,
 * takes the rest of it and fills up from the start of the reshuffled next one.
 * Its images are floats in [0, 1], or the file's bytes, scaled as each batch is
 * taken: the training splits keep floats (scaling every batch in JavaScript
 * slowed the softmax model's steps by a third), the test split keeps bytes
 * (evaluated once, it then takes a quarter of the memory).
 */
export class DataSplit {
  readonly count: number;
  private order: Uint32Array;
  private indexInEpoch = 0;
  private epochsCompleted = 0;
  private readonly rng: Rng;

  constructor(
    readonly images: Float32Array | Uint8Array,
    readonly labels: Uint8Array,
    seed = 0,
  ) {
    this.count = labels.length;
    if (images.length !== this.count * IMAGE_SIZE) throw new Error('images and labels differ in count');
    this.order = Uint32Array.from({ length: this.count }, (_, i) => i);
    this.rng = new Rng(seed);
  }

  get epochs(): number {
    return this.epochsCompleted;
  }

  /** Rows [start, end) in file order, as views (no copy) where the images are floats. */
  slice(start: number, end: number): Batch {
    const labels = this.labels.subarray(start, end);
    const rows = this.images.subarray(start * IMAGE_SIZE, end * IMAGE_SIZE);
    return {
      xs: rows instanceof Float32Array ? rows : scalePixels(rows),
      ys: oneHot(labels),
      labels,
      size: end - start,
    };
  }

  nextBatch(size: number): Batch {
    if (!Number.isInteger(size) || size <= 0 || size > this.count) {
      throw new UserError(`batch size ${size} must be a whole number from 1 to ${this.count}`);
    }
    if (this.epochsCompleted === 0 && this.indexInEpoch === 0) this.rng.shuffle(this.order);
    const picked = new Uint32Array(size);
    const start = this.indexInEpoch;
    if (start + size > this.count) {
      const rest = this.count - start;
      picked.set(this.order.subarray(start, this.count));
      this.epochsCompleted++;
      this.rng.shuffle(this.order);
      this.indexInEpoch = size - rest;
      picked.set(this.order.subarray(0, this.indexInEpoch), rest);
    } else {
      this.indexInEpoch += size;
      picked.set(this.order.subarray(start, this.indexInEpoch));
    }
    return this.gather(picked);
  }

  private gather(indices: Uint32Array): Batch {
    const n = indices.length;
    const xs = new Float32Array(n * IMAGE_SIZE);
    const labels = new Uint8Array(n);
    const bytes = this.images instanceof Uint8Array;
    for (let i = 0; i < n; i++) {
      const row = indices[i];
      const from = this.images.subarray(row * IMAGE_SIZE, (row + 1) * IMAGE_SIZE);
      if (bytes) for (let p = 0; p < IMAGE_SIZE; p++) xs[i * IMAGE_SIZE + p] = from[p] / 255;
      else xs.set(from, i * IMAGE_SIZE);
      labels[i] = this.labels[row];
    }
    return { xs, ys: oneHot(labels), labels, size: n };
  }

  getState(): DataState {
    return {
      order: Array.from(this.order),
      indexInEpoch: this.indexInEpoch,
      epochsCompleted: this.epochsCompleted,
      rngState: this.rng.state,
    };
  }

  setState(state: DataState): void {
    if (state.order.length !== this.count)
      throw new UserError(`data order in checkpoint has ${state.order.length} entries, data set has ${this.count}`);
    this.order = Uint32Array.from(state.order);
    this.indexInEpoch = state.indexInEpoch;
    this.epochsCompleted = state.epochsCompleted;
    this.rng.state = state.rngState;
  }
}

export interface Datasets {
  name: DatasetName;
  dir: string;
  train: DataSplit;
  validation: DataSplit;
  test: DataSplit;
}

/** Only the test split (what `eval` needs), its pixels kept as bytes: the training files are never read. */
export function testSplit(raw: RawDataset): DataSplit {
  // An accuracy over no images would print as 0.0000 (or NaN): there is nothing to evaluate.
  if (raw.test.labels.count === 0)
    throw new UserError(`${raw.files.testLabels}: the test set holds no images; nothing to evaluate`);
  return new DataSplit(raw.test.images.pixels, raw.test.labels.labels);
}

/**
 * TF's `read_data_sets`: the first `validationSize` training images become the
 * validation set, the rest the training set (both given by the run's settings).
 */
export function makeDatasets(raw: RawDataset, validationSize: number, seed: number): Datasets {
  // Both splits' files read (and any damage in them reported) before a setting is checked against them.
  if (!raw.train || !raw.test) throw new Error('a data set without its splits');
  const total = raw.train.labels.count;
  if (!Number.isInteger(validationSize) || validationSize < 0 || validationSize >= total) {
    throw new UserError(
      `--validation-size ${validationSize} must be a whole number from 0 to ${total - 1} (the training set has ${total} images)`,
    );
  }
  const pixels = scalePixels(raw.train.images.pixels);
  const labels = raw.train.labels.labels;
  const cut = validationSize * IMAGE_SIZE;
  return {
    name: raw.name,
    dir: raw.dir,
    train: new DataSplit(pixels.subarray(cut), labels.subarray(validationSize), seed),
    validation: new DataSplit(pixels.subarray(0, cut), labels.subarray(0, validationSize), seed),
    test: testSplit(raw),
  };
}
