/**
 * `eval` reads only what it uses: the test files (kept as bytes, scaled batch by batch), never
 * the training files, which may even be unreadable.
 */
import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { useBackend } from '../../src/backends';
import { testSplit } from '../../src/data/batches';
import { ensureDataset } from '../../src/data/ensure';
import { evaluateSaved } from '../../src/saved-eval/run';
import { buildModel } from '../../src/models';
import { saveModel } from '../../src/models/io';
import { tempDir, writeDataset } from '../helpers/fixtures';

const tmp = tempDir();
const data = join(tmp.dir, 'data');
const load = (dataDir: string) => ensureDataset('mnist', { dataDir, strictDataDir: true, npmPackage: null });

before(async () => {
  writeDataset(data, 30, 25);
  // Not an IDX file at all: reading it would fail.
  writeFileSync(join(data, 'train-images-idx3-ubyte.gz'), 'not the training images');
  await useBackend('cpu');
  await saveModel(buildModel('softmax'), join(tmp.dir, 'softmax'), { model: 'softmax', dataset: 'mnist' });
});
after(() => tmp.cleanup());

describe('eval reads only the test set', () => {
  it('evaluates with an unreadable training file, which is read only when used', async () => {
    const raw = await load(data);
    const split = testSplit(raw);
    assert.ok(split.images instanceof Uint8Array, 'the test pixels stay bytes');
    const first = split.slice(0, 2).xs;
    assert.ok(first instanceof Float32Array && first.length === 2 * 784);
    assert.equal(first[100], Math.fround(raw.test.images.pixels[100] / 255));
    assert.throws(() => raw.train, /train-images-idx3-ubyte\.gz/);

    const hooks = {
      loadData: async () => load(data),
      evaluating: <T>(work: (progress: () => void) => Promise<T>) => work(() => {}),
      reportWritten: () => {},
      eventsWritten: () => {},
      warning: () => {},
    };
    const opts = { modelDir: join(tmp.dir, 'softmax'), dataDir: data, backend: 'cpu' as const, evalBatchSize: 10 };
    const { result } = await evaluateSaved(opts, hooks);
    assert.equal(result.examples, 25);
  });
});
