/**
 * Each exported format run in its own runtime on the same test images as eval: ONNX Runtime
 * (onnxruntime-node) in this process; onnx's full checker, ONNX Runtime and Keras 3 (on
 * TensorFlow) in Python. Every image gets eval's class, with probabilities within 1e-5, so the
 * accuracy is eval's. A softmax and a CNN trained briefly on a generated data set (150 test
 * images); the full MNIST test set was checked by hand (docs/export.md).
 */
import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { useBackend } from '../../src/backends';
import { testSplit } from '../../src/data/dataset';
import { loadRawDataset } from '../../src/data/files';
import { NUM_CLASSES } from '../../src/data/shapes';
import { predictProbabilities } from '../../src/eval/probabilities';
import { openModel } from '../../src/models/open';
import { jsonResult } from '../helpers/cli';
import { exportPythonMissing, runExportPython } from '../helpers/export-python';
import { runInProcess } from '../helpers/in-process';
import { tempDir, writeDataset } from '../helpers/fixtures';

const tmp = tempDir();
const data = join(tmp.dir, 'data');
const TEST_IMAGES = 150;
after(tmp.cleanup);

const TRAIN: Record<string, string[]> = {
  softmax: ['--steps', '40'],
  cnn: ['--steps', '5', '--batch-size', '20'],
};

/** What eval says of a model folder, and the test images and eval's probabilities for them. */
interface Reference {
  dir: string;
  accuracy: number;
  images: Float32Array;
  labels: Uint8Array;
  probs: Float32Array;
}
const refs: Record<string, Reference> = {};

async function train(model: string): Promise<Reference> {
  const dir = join(tmp.dir, model);
  const args = ['train', '--model', model, ...TRAIN[model], '--data-dir', data, '--validation-size', '100'];
  const t = await runInProcess([...args, '--save-dir', dir, '--json'], { cwd: tmp.dir });
  assert.equal(t.code, 0, t.stderr);
  const e = await runInProcess(['eval', '--model-dir', dir, '--data-dir', data, '--backend', 'cpu', '--json']);
  assert.equal(e.code, 0, e.stderr);
  const test = testSplit(loadRawDataset('mnist', { dataDir: data, cwd: tmp.dir, systemRoot: join(tmp.dir, 'none') }));
  await useBackend('cpu');
  const probs = await predictProbabilities(await openModel(dir), test.images, test.count);
  return {
    dir,
    accuracy: jsonResult(e.stdout).testAccuracy as number,
    images: test.images,
    labels: test.labels,
    probs,
  };
}

before(async () => {
  writeDataset(data, 500, TEST_IMAGES);
  for (const model of Object.keys(TRAIN)) refs[model] = await train(model);
});

const argmax = (p: ArrayLike<number>, i: number) => {
  let best = 0;
  for (let c = 1; c < NUM_CLASSES; c++) if (p[i * NUM_CLASSES + c] > p[i * NUM_CLASSES + best]) best = c;
  return best;
};

/** Every image: eval's class, probabilities within 1e-5; and so eval's accuracy. */
function assertSameAsEval(what: string, got: ArrayLike<number>, ref: Reference): void {
  assert.equal(got.length, ref.probs.length, `${what}: ${got.length} probabilities`);
  let worst = 0;
  let right = 0;
  for (let i = 0; i < ref.labels.length; i++) {
    assert.equal(argmax(got, i), argmax(ref.probs, i), `${what}: image ${i}'s class`);
    if (argmax(got, i) === ref.labels[i]) right++;
    for (let c = 0; c < NUM_CLASSES; c++)
      worst = Math.max(worst, Math.abs(got[i * NUM_CLASSES + c] - ref.probs[i * NUM_CLASSES + c]));
  }
  assert.ok(worst <= 1e-5, `${what}: probabilities differ by up to ${worst}`);
  assert.equal(right / ref.labels.length, ref.accuracy, `${what}: accuracy`);
}

async function exportTo(ref: Reference, format: string): Promise<string> {
  const r = await runInProcess(['export', '--format', format, '--model-dir', ref.dir, '--overwrite', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const line = jsonResult(r.stdout);
  assert.equal(line.format, format);
  assert.equal(line.path, join(ref.dir, `model.${format}`));
  assert.equal(typeof line.bytes, 'number');
  return line.path as string;
}

const PYTHON_CHECK = `
import json, sys
import numpy as np, onnx, onnxruntime as ort, keras
folder, images, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
x = np.fromfile(images, dtype='<f4').reshape(n, 784)
model = onnx.load(folder + '/model.onnx')
onnx.checker.check_model(model, full_check=True)
session = ort.InferenceSession(folder + '/model.onnx', providers=['CPUExecutionProvider'])
p = session.run(['probabilities'], {'images': x})[0]
k = keras.saving.load_model(folder + '/model.keras')
q = np.asarray(k.predict(x, verbose=0))
print(json.dumps({'onnx': p.ravel().tolist(), 'keras': q.ravel().tolist(), 'inputs': [i.name for i in session.get_inputs()],
  'kerasInput': k.inputs[0].shape, 'versions': [onnx.__version__, ort.__version__, keras.__version__, keras.backend.backend()]}))
`;

interface PythonResult {
  onnx: number[];
  keras: number[];
  inputs: string[];
  kerasInput: (number | null)[];
  versions: string[];
}

for (const model of Object.keys(TRAIN)) {
  describe(`export ${model}`, () => {
    it('ONNX: ONNX Runtime (onnxruntime-node) gives eval’s classes and probabilities', async () => {
      const ref = refs[model];
      const session = await ort.InferenceSession.create(await exportTo(ref, 'onnx'));
      try {
        assert.deepEqual(session.inputNames, ['images']);
        assert.deepEqual(session.outputNames, ['probabilities']);
        const x = new ort.Tensor('float32', ref.images, [ref.labels.length, 784]);
        const out = await session.run({ images: x });
        assertSameAsEval('onnxruntime-node', out.probabilities.data as Float32Array, ref);
      } finally {
        await session.release();
      }
    });

    it(
      'ONNX and Keras 3 in Python: onnx.checker (full), onnxruntime, keras.saving.load_model',
      { skip: exportPythonMissing() },
      async () => {
        const ref = refs[model];
        await exportTo(ref, 'onnx');
        await exportTo(ref, 'keras');
        const images = join(tmp.dir, `${model}-images.f32`);
        writeFileSync(images, ref.images);
        const r = runExportPython<PythonResult>(PYTHON_CHECK, [ref.dir, images, String(ref.labels.length)]);
        assert.deepEqual(r.inputs, ['images']);
        assert.deepEqual(r.kerasInput, [null, 784]);
        assertSameAsEval('onnxruntime (Python)', r.onnx, ref);
        assertSameAsEval('keras', r.keras, ref);
      },
    );
  });
}
