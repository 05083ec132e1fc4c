/** What a saved model's layers mean: a final softmax is seen, and a Conv2D TensorFlow.js cannot run is refused by name. */
import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadTf, useBackend } from '../../src/backends';
import { runServe } from '../../src/commands/serve';
import { UserError } from '../../src/errors';
import { buildModel } from '../../src/models';
import { saveModel } from '../../src/models/io';
import { endsInSoftmax, requireTfjsRunnable } from '../../src/models/runnable';
import { tempDir } from '../helpers/fixtures';

const tmp = tempDir();
after(() => tmp.cleanup());

before(async () => {
  await useBackend('cpu');
});

function strided(strides: number, dilationRate: number) {
  const tf = loadTf();
  return tf.sequential({
    layers: [
      tf.layers.reshape({ inputShape: [784], targetShape: [28, 28, 1] }),
      tf.layers.conv2d({ filters: 2, kernelSize: 3, strides, dilationRate, name: 'odd' }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 10, activation: 'softmax' }),
    ],
  });
}

describe('model meaning', () => {
  it('sees a last layer that applies softmax, and our models, which end in logits', () => {
    assert.equal(endsInSoftmax(strided(1, 1)), true);
    assert.equal(endsInSoftmax(buildModel('cnn')), false);
    assert.equal(endsInSoftmax(buildModel('softmax')), false);
  });

  it('refuses strides and dilation both above 1, by layer, and takes either alone', () => {
    assert.throws(
      () => requireTfjsRunnable(strided(2, 2), 'wasm'),
      (err: unknown) =>
        err instanceof UserError &&
        err.message.startsWith(
          'layer odd (Conv2D): strides [2,2] with dilation rate [2,2] cannot run on the wasm backend',
        ),
    );
    assert.doesNotThrow(() => requireTfjsRunnable(strided(2, 1), 'wasm'));
    assert.doesNotThrow(() => requireTfjsRunnable(strided(1, 2), 'wasm'));
  });

  it('serve refuses such a model before it listens, in one line naming the layer', async () => {
    const dir = join(tmp.dir, 'odd');
    await saveModel(strided(2, 2), dir, { model: 'cnn', dataset: 'mnist' });
    await assert.rejects(
      runServe({ modelDir: dir, port: 0 }),
      (err: unknown) =>
        err instanceof UserError && /^layer odd \(Conv2D\): .* cannot run in the drawing page/.test(err.message),
    );
  });
});
