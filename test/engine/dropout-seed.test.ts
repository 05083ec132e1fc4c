/**
 * Dropout's masks come from (seed, step, thread) through the model's own
 * Dropout layers, not through Math.random: the masks repeat, differ from step
 * to step, and leave nothing behind (Math.random, the saved config).
 */
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { useBackend } from '../../src/backends';
import { Replica } from '../../src/engine/replica';
import { buildCnn } from '../../src/models';
import { fixtureDatasets, tempDir } from '../helpers/fixtures';
import { NARROW_CNN } from '../helpers/webgpu';

const tmp = tempDir();
after(tmp.cleanup);
const fixture = fixtureDatasets(tmp.dir, 60, 10, 0, 2);

before(async () => {
  await useBackend('wasm');
  fixture.write();
});

/** The gradients of step `step` on a fresh replica of the same narrow CNN, seed 7. */
function gradientsAt(step: number, thread = 0): Float32Array {
  const batch = fixture.read().train.nextBatch(8);
  const model = buildCnn(1, NARROW_CNN);
  try {
    const replica = new Replica(model, 'adam', 1e-3, { seed: 7, thread });
    return replica.gradients(step, batch.xs, batch.ys, batch.size).grads.slice();
  } finally {
    model.dispose();
  }
}

describe('dropout seeds', () => {
  it('the same (seed, step, thread) gives the same gradients; another step or thread, other masks', () => {
    const a = gradientsAt(3);
    assert.deepEqual(gradientsAt(3), a);
    assert.notDeepEqual(gradientsAt(4), a);
    assert.notDeepEqual(gradientsAt(3, 1), a);
  });

  it('leaves Math.random alone (temporary file names do not follow the training seed)', () => {
    const random = Math.random;
    gradientsAt(0);
    assert.equal(Math.random, random);
    assert.notEqual(Math.random(), Math.random());
  });

  it("leaves no seed in the dropout layer's config (model.json would carry it)", () => {
    const batch = fixture.read().train.nextBatch(8);
    const model = buildCnn(1, NARROW_CNN);
    try {
      new Replica(model, 'adam', 1e-3, { seed: 7, thread: 0 }).gradients(0, batch.xs, batch.ys, batch.size);
      const dropout = model.layers.find((l) => l.getClassName() === 'Dropout');
      assert.ok(dropout);
      assert.equal(dropout.getConfig().seed, undefined);
    } finally {
      model.dispose();
    }
  });
});
