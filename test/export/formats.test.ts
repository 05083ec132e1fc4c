/**
 * Each exported format run in its own runtime on the same test images as eval: ONNX Runtime
 * (onnxruntime-node) and the SavedModel (tf.node.loadSavedModel) in this process; onnx's full
 * checker, ONNX Runtime, Keras 3 (on TensorFlow), tf.saved_model.load, saved_model_cli and the
 * TFLite converter and interpreter in Python (one process per model). Every image gets eval's
 * class, with probabilities within 1e-5, so the accuracy is eval's. A softmax and a CNN trained briefly on a generated data set (150 test
 * images); the full MNIST test set was checked by hand (docs/export.md).
 */
import type * as tfjs from '@tensorflow/tfjs';
import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { useBackend } from '../../src/backends';
import { scalePixels, testSplit } from '../../src/data/batches';
import { loadRawDataset } from '../../src/data/files';
import { NUM_CLASSES } from '../../src/data/shapes';
import { predictProbabilities } from '../../src/eval/probabilities';
import { DEFAULT_TARGETS, ExportFormat } from '../../src/export';
import { openModel } from '../../src/models/open';
import { graphAddonPath } from '../../src/native/layout';
import { jsonResult } from '../helpers/cli';
import { exportPythonMissing, runExportPython } from '../helpers/export-python';
import { runInProcess } from '../helpers/in-process';
import { tempDir, writeDataset } from '../helpers/fixtures';

/**
 * What this test uses of @tensorflow/tfjs-node, typed here: the package is optional (the native
 * setup installs it after the build), so the build cannot take its types from it.
 */
interface TfjsNode {
  node: {
    loadSavedModel(path: string): Promise<{
      inputs: { name: string }[];
      outputs: { name: string }[];
      predict(x: tfjs.Tensor): tfjs.Tensor | tfjs.Tensor[];
      dispose(): void;
    }>;
  };
  tensor2d: typeof tfjs.tensor2d;
  dispose: typeof tfjs.dispose;
}

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

/** The SavedModel needs the native setup (the graph addon and tfjs-node built by `native`). */
const nativeMissing = graphAddonPath() ? false : 'the native backend is not set up (npx mnist-deep native)';

async function train(model: string): Promise<Reference> {
  const dir = join(tmp.dir, model);
  const args = ['train', '--model', model, ...TRAIN[model], '--data-dir', data, '--validation-size', '100'];
  const t = await runInProcess([...args, '--save-dir', dir, '--json'], { cwd: tmp.dir });
  assert.equal(t.code, 0, t.stderr);
  const e = await runInProcess(['eval', '--model-dir', dir, '--data-dir', data, '--backend', 'cpu', '--json']);
  assert.equal(e.code, 0, e.stderr);
  const test = testSplit(loadRawDataset('mnist', { dataDir: data, cwd: tmp.dir, systemRoot: join(tmp.dir, 'none') }));
  await useBackend('cpu');
  const images = test.images instanceof Float32Array ? test.images : scalePixels(test.images);
  const probs = await predictProbabilities(await openModel(dir), images, test.count);
  return {
    dir,
    accuracy: jsonResult(e.stdout).testAccuracy as number,
    images,
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

async function exportTo(ref: Reference, format: ExportFormat): Promise<string> {
  const r = await runInProcess(['export', '--format', format, '--model-dir', ref.dir, '--overwrite', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const line = jsonResult(r.stdout);
  assert.equal(line.format, format);
  assert.equal(line.path, join(ref.dir, DEFAULT_TARGETS[format]));
  assert.equal(typeof line.bytes, 'number');
  return line.path as string;
}

const PYTHON_CHECK = `
import json, subprocess, sys
import numpy as np, onnx, onnxruntime as ort, keras
folder, images, n, with_saved_model = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4] == '1'
saved = {}
if with_saved_model:
    import tensorflow as tf
    sm = folder + '/savedmodel'
    out = tf.saved_model.load(sm).signatures['serving_default'](images=tf.constant(np.fromfile(images, dtype='<f4').reshape(n, 784)))
    lite = tf.lite.TFLiteConverter.from_saved_model(sm).convert()
    runner = tf.lite.Interpreter(model_content=lite).get_signature_runner('serving_default')
    show = subprocess.run([sys.executable, '-m', 'tensorflow.python.tools.saved_model_cli', 'show', '--all', '--dir', sm],
                          capture_output=True, text=True, check=True)
    saved = {'savedmodel': out['probabilities'].numpy().ravel().tolist(), 'classes': out['classes'].numpy().tolist(),
             'tflite': runner(images=np.fromfile(images, dtype='<f4').reshape(n, 784))['probabilities'].ravel().tolist(),
             'cli': show.stdout}
x = np.fromfile(images, dtype='<f4').reshape(n, 784)
model = onnx.load(folder + '/model.onnx')
onnx.checker.check_model(model, full_check=True)
session = ort.InferenceSession(folder + '/model.onnx', providers=['CPUExecutionProvider'])
p = session.run(['probabilities'], {'images': x})[0]
k = keras.saving.load_model(folder + '/model.keras')
q = np.asarray(k.predict(x, verbose=0))
print(json.dumps({'onnx': p.ravel().tolist(), 'keras': q.ravel().tolist(), 'inputs': [i.name for i in session.get_inputs()],
  'kerasInput': k.inputs[0].shape, 'versions': [onnx.__version__, ort.__version__, keras.__version__, keras.backend.backend()],
  **saved}))
`;

interface PythonResult {
  onnx: number[];
  keras: number[];
  inputs: string[];
  kerasInput: (number | null)[];
  versions: string[];
  /** With the SavedModel: tf.saved_model.load's outputs, TFLite's probabilities, saved_model_cli's listing. */
  savedmodel?: number[];
  classes?: number[];
  tflite?: number[];
  cli?: string;
}

/** saved_model_cli show --all: the tag set, the signature, its input and both outputs. */
function assertListing(cli: string): void {
  assert.match(cli, /MetaGraphDef with tag-set: 'serve' contains the following SignatureDefs:/);
  assert.match(cli, /signature_def\['serving_default'\]:/);
  assert.match(cli, /inputs\['images'\] tensor_info:\s+dtype: DT_FLOAT\s+shape: \(-1, 784\)\s+name: images:0/);
  assert.match(cli, /outputs\['probabilities'\] tensor_info:\s+dtype: DT_FLOAT\s+shape: \(-1, 10\)/);
  assert.match(cli, /outputs\['classes'\] tensor_info:\s+dtype: DT_INT32\s+shape: \(-1\)/);
  assert.match(cli, /Method name is: tensorflow\/serving\/predict/);
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
      'SavedModel: tf.node.loadSavedModel gives eval’s classes and probabilities',
      { skip: nativeMissing },
      async () => {
        const ref = refs[model];
        const path = await exportTo(ref, 'savedmodel');
        const tf = require('@tensorflow/tfjs-node') as TfjsNode;
        await useBackend('tensorflow');
        const saved = await tf.node.loadSavedModel(path);
        try {
          assert.deepEqual(
            saved.inputs.map((i) => i.name),
            ['images'],
          );
          const names = saved.outputs.map((o) => o.name);
          assert.deepEqual([...names].sort(), ['classes', 'probabilities']);
          const outs = saved.predict(tf.tensor2d(ref.images, [ref.labels.length, 784])) as tfjs.Tensor[];
          const probs = outs[names.indexOf('probabilities')].dataSync() as Float32Array;
          assertSameAsEval('tf.node.loadSavedModel', probs, ref);
          const classes = outs[names.indexOf('classes')].dataSync();
          ref.labels.forEach((_, i) => assert.equal(classes[i], argmax(probs, i), `image ${i}: classes is the argmax`));
          tf.dispose(outs);
        } finally {
          saved.dispose();
          await useBackend('cpu');
        }
      },
    );

    it(
      'in Python: onnx.checker (full), onnxruntime, keras.saving.load_model; tf.saved_model.load, saved_model_cli, TFLite',
      { skip: exportPythonMissing() },
      async () => {
        const ref = refs[model];
        await exportTo(ref, 'onnx');
        await exportTo(ref, 'keras');
        if (!nativeMissing) await exportTo(ref, 'savedmodel');
        const images = join(tmp.dir, `${model}-images.f32`);
        writeFileSync(images, ref.images);
        const args = [ref.dir, images, String(ref.labels.length), nativeMissing ? '0' : '1'];
        const r = runExportPython<PythonResult>(PYTHON_CHECK, args);
        assert.deepEqual(r.inputs, ['images']);
        assert.deepEqual(r.kerasInput, [null, 784]);
        assertSameAsEval('onnxruntime (Python)', r.onnx, ref);
        assertSameAsEval('keras', r.keras, ref);
        if (nativeMissing) return;
        assertSameAsEval('tf.saved_model.load', r.savedmodel ?? [], ref);
        assert.deepEqual(
          r.classes,
          Array.from(ref.labels, (_, i) => argmax(ref.probs, i)),
        );
        assertSameAsEval('TFLite interpreter', r.tflite ?? [], ref);
        assertListing(r.cli ?? '');
      },
    );
  });
}
