/** One owner per save dir, no run replacing another's files, the save dir tried before training: through the real CLI. */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { spawnCli } from '../helpers/cli';
import { runInProcess } from '../helpers/in-process';
import { tempDir, writeDataset } from '../helpers/fixtures';

const tmp = tempDir();
const data = join(tmp.dir, 'data');
before(() => writeDataset(data, 300, 60));
after(tmp.cleanup);

const softmax = ['train', '--model', 'softmax', '--data-dir', data, '--validation-size', '60', '--steps', '20'];
const oneLine = (stderr: string) =>
  stderr
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('mnist-deep: error: '));

/** A PID that no process has any more. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(r.stdout.toString());
}

describe('one owner per save dir', () => {
  it('refuses a second run while the first holds the lock, naming its owner; the lock goes with the run', async () => {
    const save = join(tmp.dir, 'busy');
    const first = spawnCli(
      [...softmax, '--steps', '1000000', '--log-every', '1', '--checkpoint-every', '1', '--json', '--save-dir', save],
      { cwd: tmp.dir },
    );
    await first.waitFor(/"step":2,/);
    const lock = JSON.parse(readFileSync(join(save, 'mnist-deep.lock'), 'utf8'));
    assert.equal(lock.pid, first.child.pid);
    assert.equal(lock.host, hostname());
    for (const args of [
      [...softmax, '--save-dir', save],
      [...softmax, '--save-dir', save, '--overwrite'],
      ['train', '--resume', save],
    ]) {
      const second = await runInProcess(args, { cwd: tmp.dir });
      assert.equal(second.code, 1, second.stderr);
      assert.match(
        oneLine(second.stderr)[0],
        new RegExp(`in use by another run, process ${first.child.pid} on ${hostname()} \\(\`mnist-deep train`),
      );
    }
    first.child.kill('SIGTERM');
    const r = await first.done;
    assert.equal(r.code, 143, r.stderr);
    const step = /interrupted at step (\d+)/.exec(r.stderr)?.[1];
    assert.deepEqual(
      readdirSync(save)
        .sort()
        .filter((f) => f !== 'steps.jsonl'),
      [`checkpoint-${step}.bin`, 'checkpoint.json'],
    );
  });

  it('takes over the lock of a run that died, and says so', async () => {
    const save = join(tmp.dir, 'stale');
    mkdirSync(save);
    const pid = deadPid();
    writeFileSync(
      join(save, 'mnist-deep.lock'),
      JSON.stringify({ pid, host: hostname(), startedAt: '2026-01-01T00:00:00.000Z', command: 'mnist-deep train' }),
    );
    writeFileSync(join(save, `weights.bin.${pid}.abc123.tmp`), 'half-written');
    const r = await runInProcess([...softmax, '--save-dir', save], { cwd: tmp.dir });
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stderr,
      new RegExp(`note: took over .*mnist-deep\\.lock from process ${pid} on .*, which is no longer running`),
    );
    assert.match(r.stderr, /note: removed 1 temporary file\(s\) left in .* by an earlier run that died/);
    assert.deepEqual(readdirSync(save).sort(), [
      'metadata.json',
      'model.json',
      'report.html',
      'steps.jsonl',
      'weights.bin',
    ]);
  });

  it('refuses a lock held on another host (it cannot tell whether that run is alive)', async () => {
    const save = join(tmp.dir, 'remote');
    mkdirSync(save);
    writeFileSync(
      join(save, 'mnist-deep.lock'),
      JSON.stringify({ pid: 1, host: 'elsewhere', startedAt: '2026-01-01T00:00:00.000Z', command: 'mnist-deep train' }),
    );
    const r = await runInProcess([...softmax, '--save-dir', save], { cwd: tmp.dir });
    assert.equal(r.code, 1);
    assert.match(
      oneLine(r.stderr)[0],
      /in use by process 1 on elsewhere .*; if that run is gone, delete .*mnist-deep\.lock/,
    );
  });
});

describe("a fresh run never replaces another run's files", () => {
  it('refuses a save dir holding a finished run unless --overwrite is given', async () => {
    const save = join(tmp.dir, 'done');
    assert.equal((await runInProcess([...softmax, '--save-dir', save], { cwd: tmp.dir })).code, 0);
    const weights = readFileSync(join(save, 'weights.bin'));
    const again = await runInProcess([...softmax, '--seed', '3', '--save-dir', save], { cwd: tmp.dir });
    assert.equal(again.code, 1);
    assert.match(
      oneLine(again.stderr)[0],
      /--save-dir .*done already holds another run \(metadata\.json, model\.json, weights\.bin\); add --overwrite to replace it/,
    );
    assert.deepEqual(readFileSync(join(save, 'weights.bin')), weights);
    const over = await runInProcess([...softmax, '--seed', '3', '--save-dir', save, '--overwrite'], { cwd: tmp.dir });
    assert.equal(over.code, 0, over.stderr);
    assert.match(
      over.stderr,
      /note: --overwrite: removed the previous run's metadata\.json, model\.json, weights\.bin/,
    );
    assert.ok(existsSync(join(save, 'metadata.json')));
  });

  it('points at --resume for an interrupted run in the save dir', async () => {
    const save = join(tmp.dir, 'cut');
    const run = spawnCli([...softmax, '--steps', '1000000', '--log-every', '1', '--json', '--save-dir', save], {
      cwd: tmp.dir,
    });
    await run.waitFor(/"step":1,/);
    run.child.kill('SIGINT');
    assert.equal((await run.done).code, 130);
    const r = await runInProcess([...softmax, '--save-dir', save], { cwd: tmp.dir });
    assert.equal(r.code, 1);
    assert.match(
      oneLine(r.stderr)[0],
      /already holds another run \(checkpoint-\d+\.bin, checkpoint\.json\); continue it with `npx mnist-deep train --resume .*cut`, or add --overwrite/,
    );
  });

  it('refuses empty folder names instead of falling back to a default', async () => {
    for (const opt of ['--resume', '--save-dir', '--data-dir']) {
      const r = await runInProcess(['train', opt, ''], { cwd: tmp.dir });
      assert.equal(r.code, 2, opt);
      assert.match(
        r.stderr,
        new RegExp(`^mnist-deep: error: ${opt} '': must not be empty \\(an unset shell variable\\?\\)`),
      );
    }
    assert.equal(existsSync(join(tmp.dir, 'models')), false);
  });
});

describe('the save dir is tried before training', () => {
  it('refuses a name too long to create, before any training, leaving nothing', async () => {
    const r = await runInProcess([...softmax, '--save-dir', join(tmp.dir, 'x'.repeat(300), 'y')], { cwd: tmp.dir });
    assert.equal(r.code, 1);
    assert.match(oneLine(r.stderr)[0], /--save-dir .*x{300}\/y: cannot create it: name too long/);
    assert.doesNotMatch(r.stdout + r.stderr, /training softmax/);
  });

  it('refuses a folder without room for the model and its checkpoints', async (t) => {
    const mnt = join(tmp.dir, 'small');
    mkdirSync(mnt);
    const mount = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', mnt]);
    if (mount.status !== 0) {
      t.skip('cannot mount a small tmpfs here (needs root)');
      return;
    }
    try {
      const r = await runInProcess(['train', '--data-dir', data, '--save-dir', join(mnt, 'cnn'), '--steps', '1'], {
        cwd: tmp.dir,
      });
      assert.equal(r.code, 1);
      assert.match(
        oneLine(r.stderr)[0],
        /--save-dir .*small\/cnn: only [\d.]+ MiB free there, this run needs about \d+ MiB/,
      );
      assert.deepEqual(readdirSync(mnt), []);
      // The small softmax fits.
      const ok = await runInProcess([...softmax, '--save-dir', join(mnt, 'softmax')], { cwd: tmp.dir });
      assert.equal(ok.code, 0, ok.stderr);
    } finally {
      spawnSync('umount', [mnt]);
    }
  });
});
