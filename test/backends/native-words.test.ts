/**
 * train's note when `auto` falls back from the native backend: why, in words about the setup the
 * user made (not the GPU package they never chose), and the one command that fixes it.
 */
import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { inWords } from '../../src/backends';
import { runCli } from '../helpers/cli';
import { tempDir, writeDataset } from '../helpers/fixtures';

const tmp = tempDir();
const data = join(tmp.dir, 'data');
before(() => writeDataset(data, 200, 50));
after(tmp.cleanup);

/** The error Node gives for `require(pkg)` when `pkg` is not installed. */
function notInstalled(pkg: string): unknown {
  try {
    require(pkg);
  } catch (err) {
    return err;
  }
  assert.fail(`${pkg} is installed`);
}

describe('why the native backend is not used, in words', () => {
  it('not installed, not set up, or a build that does not load', () => {
    const pkg = '@tensorflow/no-such-tfjs-node';
    assert.match(inWords(pkg, notInstalled(pkg)), /^its package was not installed/);
    const unbuilt = new Error(`Cannot find module '/x/lib/napi-v8/tfjs_binding.node'`);
    assert.match(inWords(pkg, unbuilt), /^it is not set up in this clone/);
    assert.equal(
      inWords(pkg, new Error('libtensorflow.so.2: cannot open shared object file\nmore')),
      'its build does not load (libtensorflow.so.2: cannot open shared object file)',
    );
  });

  it('train on wasm says why native is not used and the one command that fixes it', async () => {
    const r = await runCli(
      [
        'train',
        '--model',
        'softmax',
        '--steps',
        '2',
        '--data-dir',
        data,
        '--validation-size',
        '50',
        '--save-dir',
        join(tmp.dir, 'm'),
      ],
      { env: { MNIST_DEEP_NATIVE: '0' } },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stderr,
      /^note: training on wasm, about 5× slower than the native tensorflow backend, not used because MNIST_DEEP_NATIVE=0 turns it off; to use it: unset MNIST_DEEP_NATIVE$/m,
    );
    assert.doesNotMatch(r.stderr, /tfjs-node/);
  });
});
