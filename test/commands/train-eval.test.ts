import { strict as assert } from 'node:assert';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { jsonLines } from '../helpers/cli';
import { runInProcess } from '../helpers/in-process';
import { tempDir, writeDataset } from '../helpers/fixtures';

const tmp = tempDir();
const data = join(tmp.dir, 'data');
before(() => writeDataset(data, 500, 150));
after(tmp.cleanup);

describe('train and eval commands', () => {
  it('softmax: trains, saves, and eval reproduces the test accuracy', async () => {
    const save = join(tmp.dir, 'softmax');
    const r = await runInProcess(
      [
        'train',
        '--model',
        'softmax',
        '--data-dir',
        data,
        '--validation-size',
        '100',
        '--steps',
        '40',
        '--log-every',
        '10',
        '--save-dir',
        save,
        '--json',
      ],
      { cwd: tmp.dir },
    );
    assert.equal(r.code, 0, r.stderr);
    const events = jsonLines(r.stdout);
    const steps = events.filter((e) => e.event === 'step');
    assert.deepEqual(
      steps.map((e) => e.step),
      [0, 10, 20, 30],
    );
    for (const s of steps)
      for (const k of ['loss', 'trainAccuracy', 'examplesPerSec']) assert.equal(typeof s[k], 'number');
    const result = events[events.length - 1];
    assert.equal(result.event, 'result');
    assert.equal(result.model, 'softmax');
    assert.equal(result.steps, 40);
    assert.equal(result.saveDir, save);
    assert.ok(result.testAccuracy > 0.8, `accuracy ${result.testAccuracy}`);
    assert.match(r.stderr, /step 30, training accuracy/, 'human text on stderr with --json');

    const meta = JSON.parse(readFileSync(join(save, 'metadata.json'), 'utf8'));
    assert.equal(meta.hyperParameters.learningRate, 0.5);
    assert.equal(meta.hyperParameters.optimizer, 'sgd');
    assert.equal(meta.testAccuracy, result.testAccuracy);
    assert.equal(meta.versions.tfjs, '4.22.0');

    const e = await runInProcess(['eval', '--model-dir', save, '--data-dir', data, '--json'], { cwd: tmp.dir });
    assert.equal(e.code, 0, e.stderr);
    const ev = JSON.parse(e.stdout);
    assert.equal(ev.testAccuracy, result.testAccuracy);
    assert.equal(ev.examples, 150);
    assert.equal(ev.confusionMatrix.length, 10);
    assert.equal(ev.perClassAccuracy.length, 10);

    const text = await runInProcess(['eval', '--model-dir', save, '--data-dir', data], { cwd: tmp.dir });
    assert.match(text.stdout, new RegExp(`test accuracy ${result.testAccuracy.toFixed(4)}`));
    assert.match(text.stdout, /confusion matrix/);
  });

  it('cnn: trains a few steps on the default backend, saves, and eval scores it', async () => {
    const save = join(tmp.dir, 'cnn');
    const r = await runInProcess(
      [
        'train',
        '--data-dir',
        data,
        '--validation-size',
        '50',
        '--steps',
        '4',
        '--batch-size',
        '10',
        '--save-dir',
        save,
      ],
      { cwd: tmp.dir },
    );
    assert.equal(r.code, 0, r.stderr);
    const printed = /test accuracy (\d\.\d{4})/.exec(r.stdout)?.[1];
    assert.ok(printed, r.stdout);
    assert.match(r.stdout, /step 0, training accuracy/);
    const e = await runInProcess(['eval', '--model-dir', save, '--data-dir', data], { cwd: tmp.dir });
    assert.equal(e.code, 0, e.stderr);
    assert.match(e.stdout, new RegExp(`test accuracy ${printed}`));
  });

  it('rejects bad options with one line and no stack trace', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--model', 'resnet'], /^mnist-deep: error: --model resnet: allowed choices are softmax, cnn$/m],
      [['--steps', '0'], /^mnist-deep: error: --steps 0: must be a whole number greater than 0$/m],
      [['--steps', '2.5'], /^mnist-deep: error: --steps 2\.5: must be a whole number greater than 0$/m],
      [['--learning-rate', 'abc'], /^mnist-deep: error: --learning-rate abc: must be a number greater than 0$/m],
      [
        ['--backend', 'gpu'],
        /^mnist-deep: error: --backend gpu: allowed choices are auto, tensorflow, webgpu, wasm, cpu$/m,
      ],
      [['--optimizer', 'rmsprop'], /^mnist-deep: error: --optimizer rmsprop: allowed choices are adam, sgd$/m],
      [
        ['--data-dir', data, '--validation-size', '50', '--batch-size', '999'],
        /--batch-size 999 is larger than the training set \(450 images\)/,
      ],
      [['--data-dir', data, '--validation-size', '500'], /--validation-size 500 must be a whole number from 0 to 499/],
    ];
    for (const [args, pattern] of cases) {
      const r = await runInProcess(['train', '--save-dir', join(tmp.dir, 'unused'), ...args], { cwd: tmp.dir });
      assert.notEqual(r.code, 0, args.join(' '));
      assert.match(r.stderr, pattern);
      assert.doesNotMatch(r.stderr, /\n\s+at /);
    }
  });

  it('refuses a --save-dir that is a file before training', async () => {
    const file = join(tmp.dir, 'a-file');
    writeFileSync(file, 'x');
    const r = await runInProcess(['train', '--model', 'softmax', '--data-dir', data, '--save-dir', file], {
      cwd: tmp.dir,
    });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /--save-dir .*a-file: exists and is not a folder/);
    assert.doesNotMatch(r.stdout, /step 0/);
  });

  it('eval refuses a missing model folder', async () => {
    const r = await runInProcess(['eval', '--model-dir', join(tmp.dir, 'missing'), '--data-dir', data], {
      cwd: tmp.dir,
    });
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /--model-dir \S*missing: no such folder; trained models here: cnn, softmax\nmnist-deep: hint: train one first: .*train --model cnn --save-dir \S*missing\n$/,
    );
    assert.equal(existsSync(join(tmp.dir, 'missing')), false);
  });

  it('no validation set: says so instead of NaN; an empty test set is refused before training', async () => {
    const save = join(tmp.dir, 'no-validation');
    const r = await runInProcess(
      ['train', '--model', 'softmax', '--data-dir', data, '--validation-size', '0', '--steps', '5', '--save-dir', save],
      { cwd: tmp.dir },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^validation accuracy: none \(no validation set: --validation-size 0\)$/m);
    assert.doesNotMatch(r.stdout + r.stderr, /NaN/);
    assert.equal(JSON.parse(readFileSync(join(save, 'metadata.json'), 'utf8')).validationAccuracy, null);
    const empty = join(tmp.dir, 'empty-test');
    writeDataset(empty, 200, 0);
    const e = await runInProcess(
      [
        'train',
        '--model',
        'softmax',
        '--data-dir',
        empty,
        '--validation-size',
        '20',
        '--steps',
        '5',
        '--save-dir',
        join(tmp.dir, 'unused'),
      ],
      { cwd: tmp.dir },
    );
    assert.equal(e.code, 1, e.stderr);
    assert.match(
      e.stderr,
      /^mnist-deep: error: \S+t10k-labels-idx1-ubyte(\.gz)?: the test set holds no images; nothing to evaluate$/m,
    );
    assert.doesNotMatch(e.stdout, /step|accuracy/);
    const ev = await runInProcess(['eval', '--model-dir', save, '--data-dir', empty], { cwd: tmp.dir });
    assert.equal(ev.code, 1, ev.stderr);
    assert.match(ev.stderr, /the test set holds no images/);
    assert.doesNotMatch(ev.stdout, /0\.0000/);
  });
});
