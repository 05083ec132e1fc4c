import { strict as assert } from 'node:assert';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readEventDir, scalarSeries } from '../../src/tensorboard/reader';
import { jsonLines } from '../helpers/cli';
import { runInProcess } from '../helpers/in-process';
import { tempDir, writeDataset } from '../helpers/fixtures';

const tmp = tempDir();
const data = join(tmp.dir, 'data');
before(() => writeDataset(data, 500, 150));
after(tmp.cleanup);

const train = (save: string, ...extra: string[]) =>
  runInProcess(
    [
      'train',
      '--model',
      'softmax',
      '--data-dir',
      data,
      '--validation-size',
      '100',
      '--batch-size',
      '20',
      '--log-every',
      '5',
      '--backend',
      'wasm',
      '--save-dir',
      save,
      '--json',
      ...extra,
    ],
    { cwd: tmp.dir },
  );

const readJson = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
const stepLog = (dir: string) =>
  readFileSync(join(dir, 'steps.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, number>);

describe('train --validate-every, --keep best, --early-stop', () => {
  it('validations as lines, JSON events, steps.jsonl, a TensorBoard validation run and report.html; the kept model scores on the validation split exactly what was recorded', async () => {
    const save = join(tmp.dir, 'best');
    const logdir = join(tmp.dir, 'runs', 'best');
    const r = await train(
      save,
      '--steps',
      '40',
      '--learning-rate',
      '4',
      '--validate-every',
      '10',
      '--keep',
      'best',
      '--logdir',
      logdir,
    );
    assert.equal(r.code, 0, r.stderr);
    const validations = jsonLines(r.stdout).filter((e) => e.event === 'validation');
    assert.deepEqual(
      validations.map((v) => v.step),
      [10, 20, 30, 40],
    );
    for (const v of validations) {
      assert.ok(v.validationAccuracy >= 0 && v.validationAccuracy <= 1);
      assert.ok(Number.isFinite(v.validationLoss) && v.validationLoss > 0);
    }
    assert.match(r.stderr, /^step 10, validation accuracy \d\.\d{4} \(loss \d+\.\d{4}\)$/m);
    const logged = stepLog(save).filter((l) => 'validationLoss' in l);
    assert.deepEqual(
      logged.map((l) => [l.step, l.validationAccuracy, l.validationLoss]),
      validations.map((v) => [v.step, v.validationAccuracy, v.validationLoss]),
    );
    // The first best, as --keep best keeps it (a later equal accuracy is no improvement).
    const best = validations.reduce((b, v) => (v.validationAccuracy > b.validationAccuracy ? v : b));
    const meta = readJson(join(save, 'metadata.json'));
    assert.deepEqual([meta.keptStep, meta.keptValidationAccuracy], [best.step, best.validationAccuracy]);
    const result = jsonLines(r.stdout).pop();
    assert.deepEqual(result?.kept, { step: best.step, validationAccuracy: best.validationAccuracy });
    assert.equal(result?.validationAccuracy, best.validationAccuracy);

    // TensorBoard: a validation run inside the run's folder; accuracy and loss under the same tags in both.
    const trainTags = scalarSeries(readEventDir(logdir));
    const validationTags = scalarSeries(readEventDir(join(logdir, 'validation')));
    assert.deepEqual(
      validationTags.get('accuracy')?.map((p) => p.step),
      [10, 20, 30, 40],
    );
    assert.ok(Math.abs((validationTags.get('loss')?.[0].value ?? NaN) - validations[0].validationLoss) < 1e-6);
    assert.deepEqual(
      trainTags.get('accuracy')?.map((p) => p.step),
      [0, 5, 10, 15, 20, 25, 30, 35],
    );
    assert.ok(readFileSync(join(save, 'report.html'), 'utf8').includes('validation set'));

    const e = await runInProcess(
      ['eval', '--model-dir', save, '--data-dir', data, '--split', 'validation', '--backend', 'wasm', '--json'],
      { cwd: tmp.dir },
    );
    assert.equal(e.code, 0, e.stderr);
    const scored = jsonLines(e.stdout).pop();
    assert.equal(scored?.validationAccuracy, best.validationAccuracy);
    assert.equal(scored?.keptStep, best.step);
    const text = await runInProcess(
      ['eval', '--model-dir', save, '--data-dir', data, '--split', 'validation', '--backend', 'wasm'],
      {
        cwd: tmp.dir,
      },
    );
    assert.match(text.stdout, new RegExp(`the weights of step ${best.step}, the best validation accuracy`));
  });

  it('--early-stop ends a run that stopped improving, finishes it normally, and --resume then has nothing to do', async () => {
    const save = join(tmp.dir, 'early');
    const r = await train(
      save,
      '--steps',
      '400',
      '--learning-rate',
      '4',
      '--validate-every',
      '5',
      '--early-stop',
      '2',
      '--checkpoint-every',
      '50',
    );
    assert.equal(r.code, 0, r.stderr);
    const events = jsonLines(r.stdout);
    const stopped = events.find((e) => e.event === 'stoppedEarly');
    assert.ok(stopped, 'stopped early');
    const validations = events.filter((e) => e.event === 'validation');
    assert.equal(validations[validations.length - 1].step, stopped.step);
    assert.ok(stopped.step < 400);
    assert.equal(stopped.sinceBest, 2);
    assert.match(
      r.stderr,
      new RegExp(`stopped early at step ${stopped.step}: validation accuracy has not improved for 2 validations`),
    );
    assert.equal(events.pop()?.event, 'result');
    assert.ok(existsSync(join(save, 'metadata.json')));
    // The steps trained, the step it stopped at, and the steps asked for (the hyper-parameter).
    const meta = readJson(join(save, 'metadata.json'));
    assert.equal(meta.steps, stopped.step);
    assert.equal(meta.stoppedEarlyAt, stopped.step);
    assert.equal((meta.hyperParameters as { steps: number }).steps, 400);
    const cp = readJson(join(save, 'checkpoint.json'));
    assert.deepEqual((cp.validation as { sinceBest: number }).sinceBest, 2);

    const again = await runInProcess(['train', '--resume', save, '--data-dir', data], { cwd: tmp.dir });
    assert.equal(again.code, 1);
    assert.match(
      again.stderr,
      new RegExp(`stopped early at step ${stopped.step} of 400 \\(--early-stop 2, model and results saved\\)`),
    );
  });

  it('--resume goes on with the best so far: the kept model is the best over both parts', async () => {
    const save = join(tmp.dir, 'resumed');
    const first = await train(
      save,
      '--steps',
      '20',
      '--learning-rate',
      '4',
      '--validate-every',
      '5',
      '--keep',
      'best',
      '--checkpoint-every',
      '10',
    );
    assert.equal(first.code, 0, first.stderr);
    const cp = readJson(join(save, 'checkpoint.json'));
    assert.ok(cp.validation, 'the checkpoint keeps the validations seen');
    const second = await runInProcess(['train', '--resume', save, '--data-dir', data, '--steps', '40', '--json'], {
      cwd: tmp.dir,
    });
    assert.equal(second.code, 0, second.stderr);
    const all = stepLog(save).filter((l) => 'validationLoss' in l);
    assert.deepEqual(
      all.map((l) => l.step),
      [5, 10, 15, 20, 25, 30, 35, 40],
    );
    const best = all.reduce((b, v) => (v.validationAccuracy > b.validationAccuracy ? v : b));
    const meta = readJson(join(save, 'metadata.json'));
    assert.deepEqual([meta.keptStep, meta.keptValidationAccuracy], [best.step, best.validationAccuracy]);
  });

  it('bad combinations exit 2 before any training, one line each', async () => {
    const cases: [string[], RegExp][] = [
      [['--validate-every', '10', '--validation-size', '0'], /--validate-every 10: there is no validation split/],
      [
        ['--keep', 'best', '--validation-size', '0'],
        /--keep best: needs validations during training, and --validation-size 0 turns them off/,
      ],
      [
        ['--early-stop', '3', '--validate-every', '0'],
        /--early-stop 3: needs validations during training, and --validate-every 0 turns them off/,
      ],
      [
        ['--lr-schedule', 'exponential', '--warmup-steps', '5'],
        /--warmup-steps: the exponential learning-rate schedule does not use it/,
      ],
    ];
    for (const [args, message] of cases) {
      const save = join(tmp.dir, 'bad');
      const r = await runInProcess(['train', '--model', 'softmax', '--data-dir', data, '--save-dir', save, ...args], {
        cwd: tmp.dir,
      });
      assert.equal(r.code, 2, args.join(' '));
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trim().split('\n')[0].startsWith('mnist-deep: error: '), true);
      assert.ok(!existsSync(join(save, 'steps.jsonl')), 'nothing trained');
    }
  });
});
