import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { DataSplit, makeDatasets, oneHot, scalePixels } from '../../src/data/batches';
import { IMAGE_SIZE } from '../../src/data/shapes';
import { RawDataset } from '../../src/data/files';
import { parseImages, parseLabels } from '../../src/data/idx';
import { imagesIdx, labelsIdx } from '../helpers/fixtures';

/** A split whose image i has every pixel equal to i/255, so rows can be identified. */
function identifiable(count: number, seed = 0): DataSplit {
  const images = new Float32Array(count * IMAGE_SIZE);
  for (let i = 0; i < count; i++) images.fill(i, i * IMAGE_SIZE, (i + 1) * IMAGE_SIZE);
  const labels = Uint8Array.from({ length: count }, (_, i) => i % 10);
  return new DataSplit(images, labels, seed);
}

const rowsOf = (xs: Float32Array) => Array.from({ length: xs.length / IMAGE_SIZE }, (_, i) => xs[i * IMAGE_SIZE]);

function raw(trainCount: number, testCount: number): RawDataset {
  const trainLabels = Array.from({ length: trainCount }, (_, i) => i % 10);
  return {
    name: 'mnist',
    dir: '/nowhere',
    files: { trainImages: '', trainLabels: '', testImages: '', testLabels: '' },
    train: {
      images: parseImages(imagesIdx(trainCount, { seed: 3 }), 'ti'),
      labels: parseLabels(labelsIdx(trainLabels), 'tl'),
    },
    test: {
      images: parseImages(imagesIdx(testCount, { seed: 4 }), 'si'),
      labels: parseLabels(labelsIdx(Array(testCount).fill(1)), 'sl'),
    },
    source: 'test',
  };
}

describe('data set (read_data_sets semantics)', () => {
  it('scales pixels to [0,1] float32 and one-hot encodes labels', () => {
    assert.deepEqual(Array.from(scalePixels(Uint8Array.from([0, 255, 51]))), [0, 1, 0.2].map(Math.fround));
    assert.deepEqual(
      Array.from(oneHot(Uint8Array.from([2, 0]))),
      [0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0],
    );
  });

  it('holds out the first validationSize training images for validation', () => {
    const r = raw(30, 7);
    const d = makeDatasets(r, 12, 0);
    assert.equal(d.validation.count, 12);
    assert.equal(d.train.count, 18);
    assert.equal(d.test.count, 7);
    const px = r.train.images.pixels;
    assert.equal(d.validation.images[0], Math.fround(px[0] / 255));
    assert.equal(d.train.images[0], Math.fround(px[12 * IMAGE_SIZE] / 255));
    assert.deepEqual(Array.from(d.train.labels.subarray(0, 3)), [2, 3, 4]);
  });

  it('rejects a validation size that leaves no training data', () => {
    assert.throws(() => makeDatasets(raw(10, 2), 10, 0), /--validation-size 10 must be a whole number from 0 to 9/);
  });

  it('visits every example once per epoch, in a new order each epoch', () => {
    const s = identifiable(20, 42);
    const epoch1 = [...rowsOf(s.nextBatch(10).xs), ...rowsOf(s.nextBatch(10).xs)];
    const epoch2 = [...rowsOf(s.nextBatch(10).xs), ...rowsOf(s.nextBatch(10).xs)];
    const all = Array.from({ length: 20 }, (_, i) => i);
    assert.deepEqual(
      [...epoch1].sort((a, b) => a - b),
      all,
    );
    assert.deepEqual(
      [...epoch2].sort((a, b) => a - b),
      all,
    );
    assert.notDeepEqual(epoch1, all, 'shuffled');
    assert.notDeepEqual(epoch1, epoch2, 'reshuffled each epoch');
    assert.equal(s.epochs, 1);
  });

  it('completes a batch that crosses the epoch end from the reshuffled next epoch', () => {
    const s = identifiable(10, 1);
    const first = rowsOf(s.nextBatch(7).xs);
    const crossing = s.nextBatch(7);
    const rows = rowsOf(crossing.xs);
    const rest = Array.from({ length: 10 }, (_, i) => i).filter((i) => !first.includes(i));
    // The first 3 rows are the rest of epoch 1, in epoch 1's order.
    assert.deepEqual([...rows.slice(0, 3)].sort(), [...rest].sort());
    assert.equal(new Set(rows.slice(3)).size, 4);
    assert.equal(s.epochs, 1);
    // The next batch continues the new epoch: its 3 rows plus these make 7 distinct rows of epoch 2.
    const next = rowsOf(s.nextBatch(3).xs);
    assert.equal(new Set([...rows.slice(3), ...next]).size, 7);
    assert.deepEqual(
      Array.from(crossing.labels),
      rows.map((r) => r % 10),
    );
    assert.equal(crossing.ys[crossing.labels[0]], 1);
  });

  it('gives the same batches for the same seed and different ones for another', () => {
    const a = identifiable(50, 9);
    const b = identifiable(50, 9);
    const c = identifiable(50, 10);
    for (let i = 0; i < 8; i++) {
      const ra = rowsOf(a.nextBatch(13).xs);
      assert.deepEqual(ra, rowsOf(b.nextBatch(13).xs));
      if (i === 0) assert.notDeepEqual(ra, rowsOf(c.nextBatch(13).xs));
    }
  });

  it('restores its position exactly from a saved state', () => {
    const a = identifiable(30, 5);
    a.nextBatch(11);
    a.nextBatch(11);
    const state = JSON.parse(JSON.stringify(a.getState()));
    const b = identifiable(30, 123);
    b.setState(state);
    for (let i = 0; i < 5; i++) assert.deepEqual(rowsOf(a.nextBatch(11).xs), rowsOf(b.nextBatch(11).xs));
  });

  it('rejects batch sizes out of range', () => {
    const s = identifiable(5);
    assert.throws(() => s.nextBatch(6), /batch size 6 must be a whole number from 1 to 5/);
    assert.throws(() => s.nextBatch(0), /batch size 0/);
  });

  it('slices in file order without copying pixels', () => {
    const s = identifiable(6);
    const b = s.slice(2, 5);
    assert.deepEqual(rowsOf(b.xs), [2, 3, 4]);
    assert.equal(b.xs.buffer, s.images.buffer);
  });
});
