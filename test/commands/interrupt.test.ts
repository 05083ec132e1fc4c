/** Ctrl-C, checkpoints and --resume, through the real CLI in child processes. */
import { strict as assert } from 'node:assert';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readCheckpoint } from '../../src/train/checkpoint';
import { jsonLines, jsonResult, runCli, spawnCli } from '../helpers/cli';
import { imagesIdx, tempDir, writeDataset } from '../helpers/fixtures';
import { startServer } from '../helpers/http';

const tmp = tempDir();
const data = join(tmp.dir, 'data');
before(() => writeDataset(data, 300, 60));
after(tmp.cleanup);

const common = [
  '--data-dir',
  data,
  '--validation-size',
  '60',
  '--batch-size',
  '10',
  '--threads',
  '2',
  '--log-every',
  '1',
  '--json',
];
const STEPS = 80;
const stepLosses = (stdout: string) =>
  jsonLines(stdout)
    .filter((e) => e.event === 'step')
    .map((e) => [e.step, e.loss] as [number, number]);

describe('interruption and resume', () => {
  it('Ctrl-C checkpoints, exits 130, and --resume continues on the uninterrupted loss curve', async () => {
    // Enough steps that the run cannot finish before the signal lands.
    const whole = await runCli(['train', ...common, '--steps', String(STEPS), '--save-dir', join(tmp.dir, 'whole')], {
      cwd: tmp.dir,
    });
    assert.equal(whole.code, 0, whole.stderr);
    const expected = stepLosses(whole.stdout);
    assert.equal(expected.length, STEPS);

    const save = join(tmp.dir, 'cut');
    const run = spawnCli(
      ['train', ...common, '--steps', String(STEPS), '--checkpoint-every', '5', '--save-dir', save],
      { cwd: tmp.dir },
    );
    await run.waitFor(/"step":7,/);
    run.child.kill('SIGINT');
    const first = await run.done;
    assert.equal(first.code, 130, first.stderr);
    assert.match(first.stderr, new RegExp(`interrupted at step \\d+ of ${STEPS}; checkpoint saved`));
    assert.match(first.stderr, /resume with: (npx )?mnist-deep train --resume /);
    const stoppedAt = readCheckpoint(save).step;
    assert.ok(stoppedAt >= 8 && stoppedAt < STEPS, `stopped at ${stoppedAt}`);
    // The checkpoint, and the step log (report.html's curves) as far as the run got.
    assert.deepEqual(readdirSync(save).sort(), ['checkpoint-' + stoppedAt + '.bin', 'checkpoint.json', 'steps.jsonl']);

    // Checkpoints (39 MB each for the CNN) only where the run ends: they do not change the losses.
    const rest = await runCli(
      ['train', '--resume', save, '--log-every', '1', '--checkpoint-every', String(STEPS), '--json'],
      { cwd: tmp.dir },
    );
    assert.equal(rest.code, 0, rest.stderr);
    const result = jsonResult(rest.stdout);
    assert.equal(result.steps, STEPS);
    const resumed = [...stepLosses(first.stdout).filter(([s]) => s < stoppedAt), ...stepLosses(rest.stdout)];
    assert.deepEqual(
      resumed.map(([s]) => s),
      expected.map(([s]) => s),
    );
    resumed.forEach(([s, l], i) =>
      assert.ok(
        Math.abs(l - expected[i][1]) <= 1e-5 * Math.abs(expected[i][1]),
        `step ${s}: ${l} vs ${expected[i][1]}`,
      ),
    );
  });

  it('a second Ctrl-C exits at once and leaves the last checkpoint usable', async () => {
    const save = join(tmp.dir, 'twice');
    const run = spawnCli(['train', ...common, '--steps', '500', '--checkpoint-every', '1', '--save-dir', save], {
      cwd: tmp.dir,
    });
    await run.waitFor(/"step":3,/);
    run.child.kill('SIGINT');
    run.child.kill('SIGINT');
    const r = await run.done;
    assert.equal(r.code, 130);
    const cp = readCheckpoint(save);
    assert.ok(cp.step >= 1);
    const files = readdirSync(save).filter((f) => f.endsWith('.bin'));
    assert.ok(files.length <= 2, files.join(' '));
    const resumed = await runCli(
      ['train', '--resume', save, '--steps', String(cp.step + 2), '--checkpoint-every', '100', '--json'],
      {
        cwd: tmp.dir,
      },
    );
    assert.equal(resumed.code, 0, resumed.stderr);
  });

  it('SIGTERM checkpoints too, and exits 143', async () => {
    const save = join(tmp.dir, 'term');
    const run = spawnCli(['train', ...common, '--steps', '500', '--save-dir', save], { cwd: tmp.dir });
    await run.waitFor(/"step":2,/);
    run.child.kill('SIGTERM');
    const r = await run.done;
    assert.equal(r.code, 143, r.stderr);
    assert.match(r.stderr, /interrupted at step \d+ of 500/);
    assert.ok(readCheckpoint(save).step >= 3);
  });

  it('refuses to change fixed settings on resume', async () => {
    const save = join(tmp.dir, 'cut');
    const r = await runCli(['train', '--resume', save, '--learning-rate', '0.1'], { cwd: tmp.dir });
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /--resume takes its settings from the checkpoint; --learning-rate cannot be changed \(the run has --learning-rate 0\.0001\)/,
    );
    const missing = await runCli(['train', '--resume', data], { cwd: tmp.dir });
    assert.match(missing.stderr, /no checkpoint\.json there/);
  });

  it("accepts options equal to the checkpoint's, and says how to train a finished run further", async () => {
    const save = join(tmp.dir, 'cut');
    const same = [
      '--batch-size',
      '10',
      '--validation-size',
      '60',
      '--data-dir',
      data,
      '--model',
      'cnn',
      '--seed',
      '0',
      '--save-dir',
      save,
    ];
    const finished = await runCli(['train', '--resume', save, ...same], { cwd: tmp.dir, env: { npm_command: 'exec' } });
    assert.equal(finished.code, 1, finished.stderr);
    assert.deepEqual(finished.stderr.trim().split('\n'), [
      `mnist-deep: error: the run in cut is finished (step ${STEPS} of ${STEPS}, model and results saved)`,
      `mnist-deep: hint: to train further, give a larger total: npx mnist-deep train --resume cut --steps ${2 * STEPS}`,
    ]);
    const fewer = await runCli(['train', '--resume', save, '--steps', '50'], { cwd: tmp.dir });
    assert.match(
      fewer.stderr,
      new RegExp(`^mnist-deep: error: --steps 50: the run in cut is already at step ${STEPS}\n`),
    );
  });

  it('Ctrl-C during a download leaves no partial file', async () => {
    const body = imagesIdx(2000);
    const srv = await startServer({
      '/slow/': (_req, res) => {
        res.setHeader('content-length', body.length);
        res.write(body.subarray(0, 4096)); // then hold the connection open
      },
    });
    try {
      const dir = join(tmp.dir, 'dl');
      const run = spawnCli(['download', '--data-dir', dir, '--mirror', `${srv.base}/slow/`], { cwd: tmp.dir });
      const t0 = Date.now();
      while (!(existsSync(dir) && readdirSync(dir).some((f) => f.endsWith('.tmp')))) {
        assert.ok(Date.now() - t0 < 20_000, 'no temporary file appeared');
        await new Promise((r) => setTimeout(r, 20));
      }
      run.child.kill('SIGINT');
      const r = await run.done;
      assert.equal(r.code, 130);
      assert.deepEqual(existsSync(dir) ? readdirSync(dir) : [], []);
    } finally {
      await srv.close();
    }
  });
});
