/**
 * A resumed run trims back only the event files it wrote (its checkpoint names them): another
 * run's file in the same folder keeps every byte, a file it cannot read past is left whole with
 * one line said, and a log folder deleted since is made again.
 */
import { strict as assert } from 'node:assert';
import { appendFileSync, cpSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { encodeEvent } from '../../src/tensorboard/proto';
import { eventFiles, readEventFile, scalarSeries } from '../../src/tensorboard/reader';
import { scalar } from '../../src/tensorboard/summaries';
import { frameRecord } from '../../src/tensorboard/tfrecord';
import { EVENT_FILE_NAME_PATTERN, EventFileWriter, eventFileName, hostInFileName } from '../../src/tensorboard/writer';
import { readCheckpoint } from '../../src/train/checkpoint';
import { CHECKPOINT_FILE } from '../../src/run-files';
import { spawnCli } from '../helpers/cli';
import { runInProcess } from '../helpers/in-process';
import { tempDir, writeDataset } from '../helpers/fixtures';

const tmp = tempDir();
after(tmp.cleanup);
const data = join(tmp.dir, 'data');
before(() => writeDataset(data, 300, 60));

/** A finished 20-step softmax run logging every 2 steps to `logdir`. */
async function trainRun(
  name: string,
  logdir = join(tmp.dir, 'runs', name),
  more: string[] = [],
): Promise<{ save: string; logdir: string }> {
  const save = join(tmp.dir, name);
  const r = await runInProcess(
    ['train', '--model', 'softmax', '--steps', '20', '--checkpoint-every', '10', '--log-every', '2', ...more].concat([
      '--data-dir',
      data,
      '--validation-size',
      '60',
      '--save-dir',
      save,
      '--logdir',
      logdir,
    ]),
    { cwd: tmp.dir },
  );
  assert.equal(r.code, 0, r.stderr);
  return { save, logdir };
}

/** Scalars at `steps` (training's, or `tag`), appended as a run killed after its last checkpoint leaves them. */
const laterSteps = (steps: number[], tag = 'train/loss') =>
  Buffer.concat(
    steps.map((step) => frameRecord(encodeEvent({ wallTime: 1, step, summary: { value: [scalar(tag, 1)] } }))),
  );

const resume = (save: string, steps: number) =>
  runInProcess(['train', '--resume', save, '--steps', String(steps)], { cwd: tmp.dir });

const lossSteps = (file: string) =>
  (scalarSeries(readEventFile(file).events).get('train/loss') ?? []).map((p) => p.step);

describe('resume trims only its own event files', () => {
  it('the checkpoint names the files the run wrote', async () => {
    const { save, logdir } = await trainRun('named');
    assert.deepEqual(
      readCheckpoint(save).eventFiles,
      eventFiles(logdir).map((f) => basename(f)),
    );
  });

  it("another run's file keeps every byte; the run's own loses the steps it trains again", async () => {
    const { save, logdir } = await trainRun('shared');
    const [own] = eventFiles(logdir);
    appendFileSync(own, laterSteps([22, 24]));
    // Another writer's file in the same folder (another run, or a live one), begun a second later.
    const other = EventFileWriter.create(logdir, Date.now() + 1000);
    for (let step = 0; step <= 40; step += 5) other.append({ wallTime: 2, step, summary: { value: [scalar('x', 1)] } });
    other.close();
    const before = readFileSync(other.file);
    const r = await resume(save, 30);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(readFileSync(other.file), before, "the other run's file is untouched");
    assert.deepEqual(lossSteps(own), [0, 2, 4, 6, 8, 10, 12, 14, 16, 18], 'steps 22 and 24 trimmed');
    assert.ok(readCheckpoint(save).eventFiles?.includes(basename(own)));
    assert.ok(!readCheckpoint(save).eventFiles?.includes(basename(other.file)));
  });

  // 240 training images in batches of 100: the run validates every 2 steps (an epoch, rounded to the log interval).
  it("the validation run's own file loses the validations the run makes again", async () => {
    const { save, logdir } = await trainRun('validated');
    const folder = join(logdir, 'validation');
    const [own] = eventFiles(folder);
    assert.deepEqual(readCheckpoint(save).validationEventFiles, [basename(own)]);
    appendFileSync(own, laterSteps([22, 24], 'accuracy'));
    const r = await resume(save, 30);
    assert.equal(r.code, 0, r.stderr);
    const steps = eventFiles(folder).flatMap((f) =>
      (scalarSeries(readEventFile(f).events).get('accuracy') ?? []).map((p) => p.step),
    );
    assert.deepEqual(
      steps.sort((a, b) => a - b),
      Array.from({ length: 15 }, (_, i) => 2 * (i + 1)),
      'each validation once',
    );
    assert.equal(readCheckpoint(save).validationEventFiles?.length, 2);
  });

  it('the validation file is named from the first checkpoint on, also when no validation came before it', async () => {
    // Checkpoints at 10 and 20, a validation every 25: a run killed after validating at 25 leaves it in a file.
    const { save, logdir } = await trainRun('late', undefined, ['--validate-every', '25']);
    const folder = join(logdir, 'validation');
    const [own] = eventFiles(folder);
    assert.deepEqual(readCheckpoint(save).validationEventFiles, [basename(own)]);
    appendFileSync(own, laterSteps([25], 'accuracy'));
    const r = await resume(save, 50);
    assert.equal(r.code, 0, r.stderr);
    const steps = eventFiles(folder).flatMap((f) =>
      (scalarSeries(readEventFile(f).events).get('accuracy') ?? []).map((p) => p.step),
    );
    assert.deepEqual(steps, [25, 50], 'each validation once');
  });

  it('a resumed part killed before its first checkpoint is trimmed on the next resume', async () => {
    const { save, logdir } = await trainRun('killed');
    // The part trains far past step 30 without a checkpoint (its only one would be at 100,000), then is killed.
    const part = spawnCli(['train', '--resume', save, '--steps', '200000', '--checkpoint-every', '100000'], {
      cwd: tmp.dir,
    });
    await part.waitFor(/step 40,/);
    part.child.kill('SIGKILL');
    await part.done;
    assert.equal(readCheckpoint(save).step, 20);
    assert.equal(readCheckpoint(save).eventFiles?.length, 2, "the part's file is named before it trains");
    const r = await resume(save, 30);
    assert.equal(r.code, 0, r.stderr);
    const steps = eventFiles(logdir).flatMap(lossSteps);
    assert.deepEqual(
      steps.sort((a, b) => a - b),
      Array.from({ length: 15 }, (_, i) => 2 * i),
      'each step once',
    );
  });

  it('a validation folder that is a file is refused before training, in one line', async () => {
    const { save, logdir } = await trainRun('blocked');
    const folder = join(logdir, 'validation');
    rmSync(folder, { recursive: true });
    writeFileSync(folder, 'not a folder');
    const before = readFileSync(eventFiles(logdir)[0]);
    const r = await resume(save, 30);
    assert.equal(r.code, 1);
    assert.match(r.stderr.trim(), /^mnist-deep: error: --logdir .*validation: exists and is not a folder$/);
    assert.equal(eventFiles(logdir).length, 1, 'no event file written');
    assert.deepEqual(readFileSync(eventFiles(logdir)[0]), before);
    assert.equal(readCheckpoint(save).step, 20);
  });

  it('a file with a bad record is left whole, and the person is told in one line', async () => {
    const { save, logdir } = await trainRun('flipped');
    const [own] = eventFiles(logdir);
    appendFileSync(own, laterSteps([22, 24]));
    const bytes = readFileSync(own);
    bytes[200] ^= 0xff; // inside an early record: everything after it cannot be read past
    writeFileSync(own, bytes);
    const r = await resume(save, 30);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(readFileSync(own), bytes, 'no byte dropped');
    const lines = r.stderr.split('\n').filter((l) => l.includes(basename(own)));
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0], /^mnist-deep: warning: .*CRC does not match at byte \d+; left as it is/);
  });

  it('a log folder deleted since the checkpoint is made again', async () => {
    const { save, logdir } = await trainRun('deleted');
    rmSync(logdir, { recursive: true });
    const r = await resume(save, 30);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(eventFiles(logdir).length, 1);
    assert.deepEqual(lossSteps(eventFiles(logdir)[0]), [20, 22, 24, 26, 28]);
  });

  it("a copy of a run folder, resumed, leaves the original run's file as it is", async () => {
    const { save, logdir } = await trainRun('original');
    const copy = join(tmp.dir, 'copy');
    cpSync(save, copy, { recursive: true });
    const [own] = eventFiles(logdir);
    appendFileSync(own, laterSteps([22, 24])); // the original trained on after the copy was made
    const bytes = readFileSync(own);
    const r = await resume(copy, 30);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(readFileSync(own), bytes, "the original's steps 22 and 24 kept");
    assert.match(r.stderr, /written for another run folder \(a copy of this one, or another run\); left as it is/);
  });

  it("a copy put in the original's place (the original kept elsewhere) leaves its file as it is", async () => {
    const { save, logdir } = await trainRun('swapped');
    const copy = join(tmp.dir, 'swapped-copy');
    cpSync(save, copy, { recursive: true });
    const [own] = eventFiles(logdir);
    appendFileSync(own, laterSteps([22, 24]));
    const bytes = readFileSync(own);
    renameSync(save, join(tmp.dir, 'swapped-kept'));
    renameSync(copy, save);
    const r = await resume(save, 30);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(readFileSync(own), bytes, "the kept original's steps 22 and 24 kept");
  });

  it('a run folder moved whole is still the run: its own file is trimmed', async () => {
    const { save, logdir } = await trainRun('moved');
    const moved = join(tmp.dir, 'moved-here');
    renameSync(save, moved);
    const [own] = eventFiles(logdir);
    appendFileSync(own, laterSteps([22, 24]));
    const r = await resume(moved, 30);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(lossSteps(own), [0, 2, 4, 6, 8, 10, 12, 14, 16, 18], 'steps 22 and 24 trimmed');
  });

  it("a checkpoint that names another run's file does not get it trimmed", async () => {
    const shared = join(tmp.dir, 'runs', 'two-runs');
    const a = await trainRun('run-a', shared);
    const b = await trainRun('run-b', shared);
    const [bFile] = readCheckpoint(b.save).eventFiles ?? [];
    appendFileSync(join(shared, bFile), laterSteps([22, 24]));
    const bytes = readFileSync(join(shared, bFile));
    const json = JSON.parse(readFileSync(join(a.save, CHECKPOINT_FILE), 'utf8')) as { eventFiles: string[] };
    json.eventFiles.push(bFile);
    writeFileSync(join(a.save, CHECKPOINT_FILE), JSON.stringify(json));
    const r = await resume(a.save, 30);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(readFileSync(join(shared, bFile)), bytes, "run b's file keeps every byte");
  });
});

describe('event file names', () => {
  it('keep a host name with a slash or control bytes inside the folder', () => {
    for (const host of ['h/../../x', 'a\\b', 'h\u001b[31m\nX', '..']) {
      const name = `events.out.tfevents.1234.${hostInFileName(host)}`;
      assert.match(name, EVENT_FILE_NAME_PATTERN, JSON.stringify(host));
      assert.doesNotMatch(name, /[/\\]/);
    }
    assert.match(eventFileName(1234), EVENT_FILE_NAME_PATTERN);
  });
});
