import { strict as assert } from 'node:assert';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type * as tfl from '@tensorflow/tfjs';
import { loadTf, useBackend } from '../../src/backends';
import { buildCnn } from '../../src/models';
import { loadModel, readArtifacts, saveModel } from '../../src/models/io';
import { UserError } from '../../src/errors';
import { tempDir } from '../helpers/fixtures';

const tmp = tempDir();
after(tmp.cleanup);
before(async () => {
  await useBackend('wasm');
});

function predict(model: tfl.LayersModel, x: tfl.Tensor): Float32Array {
  return loadTf().tidy(() => (model.predict(x) as tfl.Tensor).dataSync() as Float32Array);
}

describe('model save/load (TF.js layers format)', () => {
  const dir = join(tmp.dir, 'cnn');
  let model: tfl.LayersModel;
  let x: tfl.Tensor;

  before(async () => {
    model = buildCnn(5);
    x = loadTf().randomUniform([4, 784], 0, 1, 'float32', 9);
    await saveModel(model, dir);
  });

  it('writes model.json and weights.bin and nothing else', () => {
    assert.deepEqual(readdirSync(dir).sort(), ['model.json', 'weights.bin']);
    const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    assert.equal(json.format, 'layers-model');
    assert.deepEqual(json.weightsManifest[0].paths, ['weights.bin']);
    assert.equal(readFileSync(join(dir, 'weights.bin')).length, 3274634 * 4);
  });

  it('round-trips to identical predictions', async () => {
    const loaded = await loadModel(dir);
    assert.deepEqual(predict(loaded, x), predict(model, x));
  });

  it('loads with plain tf.loadLayersModel from memory', async () => {
    const tf = loadTf();
    const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    const bin = readFileSync(join(dir, 'weights.bin'));
    const plain = await tf.loadLayersModel(
      tf.io.fromMemory({
        modelTopology: json.modelTopology,
        weightSpecs: json.weightsManifest[0].weights,
        weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.length),
      }),
    );
    assert.deepEqual(predict(plain, x), predict(model, x));
  });

  it("keeps run metadata in model.json's userDefinedMetadata and in metadata.json", async () => {
    const withMeta = join(tmp.dir, 'meta');
    const meta = { model: 'cnn', dataset: 'fashion-mnist', testAccuracy: 0.5 };
    await saveModel(buildCnn(6), withMeta, meta);
    assert.deepEqual(readdirSync(withMeta).sort(), ['metadata.json', 'model.json', 'weights.bin']);
    assert.deepEqual(JSON.parse(readFileSync(join(withMeta, 'model.json'), 'utf8')).userDefinedMetadata, meta);
    assert.deepEqual(JSON.parse(readFileSync(join(withMeta, 'metadata.json'), 'utf8')), meta);
    assert.deepEqual((await loadModel(withMeta)).getUserDefinedMetadata(), meta);
  });

  const broken = (name: string, edit: (d: string) => void) => {
    const d = join(tmp.dir, name);
    mkdirSync(d, { recursive: true });
    for (const f of ['model.json', 'weights.bin']) writeFileSync(join(d, f), readFileSync(join(dir, f)));
    edit(d);
    return d;
  };

  const rejects = (d: string, pattern: RegExp) =>
    assert.throws(
      () => readArtifacts(d),
      (err: unknown) => err instanceof UserError && pattern.test(err.message),
    );

  it('refuses broken model folders with a clear error', () => {
    assert.throws(() => readArtifacts(join(tmp.dir, 'nope')), /model folder not found/);
    rejects(
      broken('notjson', (d) => writeFileSync(join(d, 'model.json'), '{oops')),
      /model\.json: not valid JSON/,
    );
    rejects(
      broken('notlayers', (d) => writeFileSync(join(d, 'model.json'), '{"a":1}')),
      /not a TF\.js layers model/,
    );
    const escape = (p: string) => (d: string) => {
      const j = JSON.parse(readFileSync(join(d, 'model.json'), 'utf8'));
      j.weightsManifest[0].paths = [p];
      writeFileSync(join(d, 'model.json'), JSON.stringify(j));
    };
    rejects(broken('dotdot', escape('../cnn/weights.bin')), /leaves the model folder; refused/);
    rejects(broken('absolute', escape(join(dir, 'weights.bin'))), /leaves the model folder; refused/);
    rejects(
      broken('short', (d) => writeFileSync(join(d, 'weights.bin'), Buffer.alloc(100))),
      /weights\.bin: 100 bytes, but model\.json describes 13098536/,
    );
    rejects(
      broken('long', (d) => writeFileSync(join(d, 'weights.bin'), Buffer.alloc(13098540))),
      /13098540 bytes/,
    );
  });
});
