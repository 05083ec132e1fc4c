/** Small generated IDX fixtures and temporary folders for tests. */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Datasets, makeDatasets } from '../../src/data/batches';
import { loadRawDataset } from '../../src/data/files';
import { Rng } from '../../src/data/rng';

export function tempDir(prefix = 'mnist-deep-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function imagesIdx(
  count: number,
  opts: { rows?: number; cols?: number; magic?: number; seed?: number } = {},
): Buffer {
  const rows = opts.rows ?? 28;
  const cols = opts.cols ?? 28;
  const buf = Buffer.alloc(16 + count * rows * cols);
  buf.writeUInt32BE(opts.magic ?? 2051, 0);
  buf.writeUInt32BE(count, 4);
  buf.writeUInt32BE(rows, 8);
  buf.writeUInt32BE(cols, 12);
  const rng = new Rng(opts.seed ?? 1);
  for (let i = 16; i < buf.length; i++) buf[i] = rng.int(256);
  return buf;
}

export function labelsIdx(labels: number[], magic = 2049): Buffer {
  const buf = Buffer.alloc(8 + labels.length);
  buf.writeUInt32BE(magic, 0);
  buf.writeUInt32BE(labels.length, 4);
  labels.forEach((l, i) => (buf[8 + i] = l));
  return buf;
}

/**
 * Images whose class is visible: image i of label l has a bright 4x4 square
 * at a position that depends on l, plus noise. Learnable in a few steps.
 */
export function learnableSet(count: number, seed = 7): { images: Buffer; labels: Buffer; labelList: number[] } {
  const rng = new Rng(seed);
  const labelList = Array.from({ length: count }, () => rng.int(10));
  const images = imagesIdx(count, { seed });
  for (let i = 0; i < count; i++) {
    const base = 16 + i * 784;
    for (let p = 0; p < 784; p++) images[base + p] = rng.int(40);
    const l = labelList[i];
    const r0 = 2 + (l % 5) * 5;
    const c0 = 4 + Math.floor(l / 5) * 12;
    for (let r = r0; r < r0 + 4; r++) for (let c = c0; c < c0 + 4; c++) images[base + r * 28 + c] = 255;
  }
  return { images, labels: labelsIdx(labelList), labelList };
}

/** Writes a complete data set (4 files) into `dir`. */
export function writeDataset(
  dir: string,
  trainCount: number,
  testCount: number,
  opts: { gz?: boolean; seed?: number } = {},
): void {
  mkdirSync(dir, { recursive: true });
  const gz = opts.gz ?? true;
  const put = (name: string, bytes: Buffer) =>
    writeFileSync(join(dir, gz ? name + '.gz' : name), gz ? gzipSync(bytes) : bytes);
  const train = learnableSet(trainCount, opts.seed ?? 7);
  const test = learnableSet(testCount, (opts.seed ?? 7) + 1);
  put('train-images-idx3-ubyte', train.images);
  put('train-labels-idx1-ubyte', train.labels);
  put('t10k-images-idx3-ubyte', test.images);
  put('t10k-labels-idx1-ubyte', test.labels);
}

/**
 * A generated data set written under `root` (call `write` in a `before` hook),
 * and a reader that gives fresh Datasets (read_data_sets split) each time.
 */
export function fixtureDatasets(
  root: string,
  trainCount: number,
  testCount: number,
  validationSize: number,
  seed: number,
) {
  const dir = join(root, 'set');
  return {
    write: () => writeDataset(dir, trainCount, testCount),
    read: (): Datasets =>
      makeDatasets(
        loadRawDataset('mnist', { dataDir: dir, cwd: root, systemRoot: join(root, 'none') }),
        validationSize,
        seed,
      ),
  };
}

/**
 * Replaces the numbers of the checkpoint in save dir `dir` with `numbers`, and its recorded
 * SHA-256 with theirs: a checkpoint as a run that reached those numbers would have written it
 * (for the checks that come after the hash: finite numbers, divergence).
 */
export function rewriteCheckpointBin(dir: string, numbers: Float32Array): void {
  const json = JSON.parse(readFileSync(join(dir, 'checkpoint.json'), 'utf8')) as { bin: string; sha256?: string };
  const bytes = new Uint8Array(numbers.buffer, numbers.byteOffset, numbers.byteLength);
  writeFileSync(join(dir, json.bin), bytes);
  json.sha256 = createHash('sha256').update(bytes).digest('hex');
  writeFileSync(join(dir, 'checkpoint.json'), JSON.stringify(json));
}
