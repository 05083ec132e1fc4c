/**
 * `train --logdir` and `eval --logdir` through the real CLI: every scalar, step and tag read back
 * with our reader against the run's own step log and results; a resumed run (after a finish, and
 * after a crash) continues the curves with each step once; the bad cases give one line.
 */
import { strict as assert } from 'node:assert';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PNG } from 'pngjs';
import { readStepLog } from '../../src/savedir/steplog';
import { TfEvent } from '../../src/tensorboard/proto';
import { eventFiles, readEventDir, readEventFile, scalarSeries } from '../../src/tensorboard/reader';
import { readCheckpoint } from '../../src/train/checkpoint';
import { CliResult, runLimited, spawnCli } from '../helpers/cli';
import { runInProcess } from '../helpers/in-process';
import { mnistDataDir } from '../../scripts/digits';
import { tempDir, writeDataset } from '../helpers/fixtures';

const tmp = tempDir();
after(tmp.cleanup);
const fixture = join(tmp.dir, 'fixture');
before(() => writeDataset(fixture, 2000, 500));

const TRAIN_TAGS = ['train/loss', 'train/accuracy', 'train/learning_rate', 'train/examples_per_sec'];
const RESULT_TAGS = ['validation/accuracy', 'test/accuracy'];

/** Every value's tag@step, in file order. */
const tagSteps = (events: TfEvent[]) =>
  events.flatMap((e) => (e.summary?.value ?? []).map((v) => `${v.tag}@${e.step ?? 0}`));
const valueOf = (events: TfEvent[], tag: string) =>
  events.flatMap((e) => e.summary?.value ?? []).find((v) => v.tag === tag);
const steps = (dir: string, tag: string) => (scalarSeries(readEventDir(dir)).get(tag) ?? []).map((p) => p.step);
const range = (from: number, to: number, by: number) =>
  Array.from({ length: Math.ceil((to - from) / by) }, (_, i) => from + i * by);

describe('train --logdir', () => {
  const save = join(tmp.dir, 'softmax');
  const logdir = join(tmp.dir, 'runs', 'softmax-a');
  let trained: CliResult;

  before(async () => {
    trained = await runInProcess(
      ['train', '--model', 'softmax', '--steps', '300', '--log-every', '20', '--data-dir', mnistDataDir()].concat([
        '--save-dir',
        save,
        '--logdir',
        logdir,
      ]),
      { cwd: tmp.dir },
    );
    assert.equal(trained.code, 0, trained.stderr);
  });

  it('says where the events go, and how to view them', () => {
    assert.match(
      trained.stdout,
      /\n {2}TensorBoard events in runs\/softmax-a \(view with: tensorboard --logdir runs\)\n/,
    );
  });

  it('writes one event file, file_version first, every scalar as the step log has it', () => {
    const files = eventFiles(logdir);
    assert.equal(files.length, 1);
    assert.match(files[0], /\/events\.out\.tfevents\.\d{10}\.[^/]+$/);
    const { events, problem } = readEventFile(files[0]);
    assert.equal(problem, undefined);
    assert.equal(events[0].fileVersion, 'brain.Event:2');
    const series = scalarSeries(events);
    assert.deepEqual([...series.keys()], [...TRAIN_TAGS, ...RESULT_TAGS]);
    const log = readStepLog(save).train;
    assert.deepEqual(
      log.map((r) => r.step),
      range(0, 300, 20),
    );
    const f = (x: number | undefined) => Math.fround(x ?? NaN);
    assert.deepEqual(
      series.get('train/loss')?.map((p) => [p.step, p.value]),
      log.map((r) => [r.step, f(r.loss)]),
    );
    assert.deepEqual(
      series.get('train/accuracy')?.map((p) => [p.step, p.value]),
      log.map((r) => [r.step, f(r.trainAccuracy)]),
    );
    assert.deepEqual(
      series.get('train/examples_per_sec')?.map((p) => [p.step, p.value]),
      log.map((r) => [r.step, f(r.examplesPerSec)]),
    );
    assert.deepEqual(
      series.get('train/learning_rate')?.map((p) => [p.step, p.value]),
      log.map((r) => [r.step, 0.5]),
    );
    const meta = JSON.parse(readFileSync(join(save, 'metadata.json'), 'utf8'));
    assert.deepEqual(
      series.get('validation/accuracy')?.map((p) => [p.step, p.value]),
      [[300, f(meta.validationAccuracy)]],
    );
    assert.deepEqual(
      series.get('test/accuracy')?.map((p) => [p.step, p.value]),
      [[300, f(meta.testAccuracy)]],
    );
    assert.equal(meta.logdir, logdir, 'the model remembers its run');
    // Wall times: seconds, in order, around now.
    const walls = events.map((e) => e.wallTime);
    assert.deepEqual(walls, [...walls].sort());
    assert.ok(Math.abs(walls[0] - Date.now() / 1000) < 600);
  });

  it('holds the 32 most confidently wrong digits, the confusion matrix and the settings', () => {
    const events = readEventDir(logdir);
    const wrong = valueOf(events, 'test/most_confidently_wrong')?.image;
    const confusion = valueOf(events, 'test/confusion_matrix')?.image;
    assert.ok(wrong && confusion);
    const png = PNG.sync.read(Buffer.from(wrong.encodedImageString));
    assert.deepEqual([png.width, png.height], [wrong.width, wrong.height]);
    assert.deepEqual([wrong.width, wrong.height], [484, 308], '8 x 4 digits at twice their size');
    assert.equal(PNG.sync.read(Buffer.from(confusion.encodedImageString)).width, 385);
    const text = (tag: string) => Buffer.from(valueOf(events, tag)?.tensor?.stringVal?.[0] ?? []).toString();
    assert.match(text('settings'), /^\| setting \| value \|\n\| --- \| --- \|\n/);
    for (const row of ['| model | softmax |', '| steps | 300 |', '| learningRate | 0.5 |', `| logdir | ${logdir} |`])
      assert.ok(text('settings').includes(row), row);
    assert.match(text('test/per_class_accuracy'), /\| 9 \| 0\.\d{4} \|/);
    assert.deepEqual(tagSteps(events).slice(0, 1), ['settings@0']);
  });

  it('eval --logdir alone adds the evaluation to the run the model was trained in', async () => {
    const r = await runInProcess(['eval', '--model-dir', save, '--data-dir', mnistDataDir(), '--logdir'], {
      cwd: tmp.dir,
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /TensorBoard events written to runs\/softmax-a\/events\.out\.tfevents\./);
    assert.equal(eventFiles(logdir).length, 2);
    const events = readEventFile(eventFiles(logdir)[1]).events;
    assert.deepEqual(tagSteps(events), [
      'eval/mnist/settings@300',
      'eval/mnist/accuracy@300',
      'eval/mnist/most_confidently_wrong@300',
      'eval/mnist/confusion_matrix@300',
      'eval/mnist/per_class_accuracy@300',
    ]);
    const meta = JSON.parse(readFileSync(join(save, 'metadata.json'), 'utf8'));
    assert.equal(valueOf(events, 'eval/mnist/accuracy')?.simpleValue, Math.fround(meta.testAccuracy));
  });
});

describe('resuming with --logdir', () => {
  const common = ['--data-dir', fixture, '--validation-size', '200', '--log-every', '5'];

  it('a finished run trained further continues the same curves, each step once', async () => {
    const save = join(tmp.dir, 'extended');
    const logdir = join(tmp.dir, 'runs', 'extended');
    const first = await runInProcess(
      ['train', '--model', 'softmax', '--steps', '40', '--checkpoint-every', '20', ...common].concat([
        '--save-dir',
        save,
        '--logdir',
        logdir,
      ]),
      { cwd: tmp.dir },
    );
    assert.equal(first.code, 0, first.stderr);
    // No --logdir: the checkpoint knows the run's folder.
    const second = await runInProcess(['train', '--resume', save, '--steps', '60'], { cwd: tmp.dir });
    assert.equal(second.code, 0, second.stderr);
    assert.equal(eventFiles(logdir).length, 2);
    for (const tag of TRAIN_TAGS) assert.deepEqual(steps(logdir, tag), range(0, 60, 5), tag);
    assert.deepEqual(steps(logdir, 'validation/accuracy'), [40, 60]);
    assert.deepEqual(steps(logdir, 'test/accuracy'), [40, 60]);
  });

  it('a run killed past its last checkpoint drops the steps it trains again', async () => {
    const save = join(tmp.dir, 'killed');
    const logdir = join(tmp.dir, 'runs', 'killed');
    const run = spawnCli(
      ['train', '--model', 'softmax', '--steps', '3000', '--checkpoint-every', '100', ...common].concat([
        '--save-dir',
        save,
        '--logdir',
        logdir,
      ]),
      { cwd: tmp.dir },
    );
    await run.waitFor(/step 125,/);
    run.child.kill('SIGKILL');
    await run.done;
    const checkpoint = readCheckpoint(save).step;
    const before = steps(logdir, 'train/loss');
    assert.ok(before.at(-1)! > checkpoint, `logged to ${before.at(-1)}, checkpoint at ${checkpoint}`);
    const second = await runInProcess(['train', '--resume', save, '--steps', String(checkpoint + 50)], {
      cwd: tmp.dir,
    });
    assert.equal(second.code, 0, second.stderr);
    for (const tag of TRAIN_TAGS) assert.deepEqual(steps(logdir, tag), range(0, checkpoint + 50, 5), tag);
    // The dropped steps are gone from the first file itself, so every TensorBoard reader agrees.
    assert.equal(
      Math.max(
        ...scalarSeries(readEventFile(eventFiles(logdir)[0]).events)
          .get('train/loss')!
          .map((p) => p.step),
      ),
      checkpoint - 5,
    );
  });
});

describe('bad cases', () => {
  const quick = ['train', '--model', 'softmax', '--steps', '5', '--data-dir', fixture, '--validation-size', '200'];

  it('a --logdir that is a file: one line, nothing trained', async () => {
    const file = join(tmp.dir, 'not-a-folder');
    writeFileSync(file, 'x');
    const save = join(tmp.dir, 'never');
    const r = await runInProcess([...quick, '--save-dir', save, '--logdir', file], { cwd: tmp.dir });
    assert.equal(r.code, 1);
    assert.equal(r.stderr, `mnist-deep: error: --logdir ${file}: exists and is not a folder\n`);
    assert.equal(existsSync(join(save, 'model.json')), false);
  });

  it("a resumed run whose folder became a file: one line naming it as the run's", async () => {
    const save = join(tmp.dir, 'moved');
    const logdir = join(tmp.dir, 'runs', 'moved');
    const first = await runInProcess([...quick, '--checkpoint-every', '5', '--save-dir', save, '--logdir', logdir], {
      cwd: tmp.dir,
    });
    assert.equal(first.code, 0, first.stderr);
    rmSync(logdir, { recursive: true });
    writeFileSync(logdir, 'x');
    const r = await runInProcess(['train', '--resume', save, '--steps', '10'], { cwd: tmp.dir });
    assert.equal(r.code, 1);
    assert.equal(r.stderr, `mnist-deep: error: the resumed run's --logdir ${logdir}: exists and is not a folder\n`);
  });

  it('MNIST_DEEP_LOGDIR turns events on under it, and is named when it cannot be used', async () => {
    const root = join(tmp.dir, 'env-root');
    const ok = await runInProcess([...quick, '--save-dir', join(tmp.dir, 'env-ok')], {
      cwd: tmp.dir,
      env: { MNIST_DEEP_LOGDIR: root },
    });
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /TensorBoard events in env-root\/softmax-\d{8}-\d{6} /);
    const file = join(tmp.dir, 'env-file');
    writeFileSync(file, 'x');
    const bad = await runInProcess([...quick, '--save-dir', join(tmp.dir, 'env-bad')], {
      cwd: tmp.dir,
      env: { MNIST_DEEP_LOGDIR: file },
    });
    assert.equal(bad.code, 1);
    assert.match(
      bad.stderr,
      /^mnist-deep: error: MNIST_DEEP_LOGDIR=\S+: \S+\/softmax-\d{8}-\d{6}: \S+ is not a folder\n$/,
    );
  });

  it('a writer failing mid-run (the file size limit: as a full disk) is said once; training finishes', async () => {
    if (!existsSync('/bin/bash')) return;
    const save = join(tmp.dir, 'limited');
    const logdir = join(tmp.dir, 'runs', 'limited');
    // 1200 logged steps: the event file (~130 bytes a step) passes 136 KiB, the step log (~95) does not.
    const r = await runLimited(136, tmp.dir, [
      'train',
      '--model',
      'softmax',
      '--steps',
      '1200',
      '--log-every',
      '1',
      '--data-dir',
      fixture,
      '--validation-size',
      '200',
      '--save-dir',
      save,
      '--logdir',
      logdir,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stderr,
      /^mnist-deep: warning: TensorBoard events stopped: \S+: cannot write: file too large \(over the file size limit\); training goes on without them\n$/,
    );
    assert.match(r.stdout, /test accuracy \d\.\d{4} \(500 images\)/);
    assert.ok(existsSync(join(save, 'model.json')) && existsSync(join(save, 'report.html')));
    const { events, problem } = readEventFile(eventFiles(logdir)[0]);
    assert.equal(problem, undefined, 'the file ends on a whole record');
    const loss = scalarSeries(events).get('train/loss') ?? [];
    assert.ok(loss.length > 500 && loss.length < 1200, `${loss.length} steps written`);
    assert.deepEqual(
      loss.map((p) => p.step),
      range(0, loss.length, 1),
    );
  });
});
