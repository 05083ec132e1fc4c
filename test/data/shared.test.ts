/** The real, published MNIST files in ../shared (skipped when absent). */
import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { DATASETS } from '../../src/data/datasets';
import { checkPair, readImages, readLabels } from '../../src/data/idx';

const dir = resolve(__dirname, '../../../../shared/data/mnist');
const present = existsSync(join(dir, 't10k-images-idx3-ubyte.gz'));

describe('real MNIST files in ../shared', { skip: present ? false : `${dir} not present` }, () => {
  it('match the canonical SHA-256 table', () => {
    for (const f of DATASETS.mnist.files) {
      const path = join(dir, f.name + '.gz');
      if (!existsSync(path)) continue; // train images are not shipped there
      assert.equal(createHash('sha256').update(readFileSync(path)).digest('hex'), f.sha256, path);
    }
  });

  it('parse to 10,000 test images with matching labels', () => {
    const images = readImages(join(dir, 't10k-images-idx3-ubyte.gz'));
    const labels = readLabels(join(dir, 't10k-labels-idx1-ubyte.gz'));
    checkPair(images, labels, 'images', 'labels');
    assert.equal(images.count, 10000);
    assert.deepEqual(Array.from(labels.labels.subarray(0, 5)), [7, 2, 1, 0, 4]);
    const train = readLabels(join(dir, 'train-labels-idx1-ubyte.gz'));
    assert.equal(train.count, 60000);
    assert.deepEqual(Array.from(train.labels.subarray(0, 5)), [5, 0, 4, 1, 9]);
  });
});
