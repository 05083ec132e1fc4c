/** Every run finishable, divergence never saved, output failures handled: through the real CLI. */
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BIN, jsonResult, runCli, spawnCli } from '../helpers/cli';
import { rewriteCheckpointBin, tempDir, writeDataset } from '../helpers/fixtures';

const tmp = tempDir();
const data = join(tmp.dir, 'data');
const bigTest = join(tmp.dir, 'big');
before(() => {
  writeDataset(data, 300, 60);
  // Enough images that the closing evaluation of a CNN takes a few seconds.
  writeDataset(bigTest, 1100, 1000);
});
after(tmp.cleanup);

const softmax = ['train', '--model', 'softmax', '--data-dir', data, '--validation-size', '60'];
const errorLine = (stderr: string) =>
  stderr
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('mnist-deep: error: '));
/** Runs a hint the tool printed, as pasted: `npx mnist-deep …` is this checkout's bin. */
const pasted = (hint: string) => hint.replace(/^npx mnist-deep /, '').split(' ');

async function waitForFile(file: string, timeoutMs = 120_000): Promise<void> {
  const t0 = Date.now();
  while (!existsSync(file)) {
    assert.ok(Date.now() - t0 < timeoutMs, `${file} never appeared`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('every run can be finished', () => {
  it('a run whose model or results are missing is finished by --resume, keeping its training time', async () => {
    const save = join(tmp.dir, 'unfinished');
    const first = await runCli(
      [...softmax, '--steps', '20', '--checkpoint-every', '10', '--save-dir', save, '--json'],
      { cwd: tmp.dir },
    );
    assert.equal(first.code, 0, first.stderr);
    const model = readFileSync(join(save, 'weights.bin'));
    const seconds = () => JSON.parse(readFileSync(join(save, 'metadata.json'), 'utf8')).seconds;
    const trainedFor = seconds();
    assert.ok(trainedFor > 0);
    for (const f of ['model.json', 'weights.bin', 'metadata.json']) rmSync(join(save, f));
    const r = await runCli(['train', '--resume', save, '--json'], { cwd: tmp.dir });
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stderr,
      /finishing the run in .*unfinished: training is complete \(step 20 of 20\); saving and evaluating the model/,
    );
    const [finished, trained] = [jsonResult(r.stdout), jsonResult(first.stdout)];
    assert.equal(finished.testAccuracy, trained.testAccuracy);
    assert.deepEqual(readFileSync(join(save, 'weights.bin')), model);
    // Nothing was trained this time: the run's training time is the one its checkpoint kept, not ~0.
    assert.ok(seconds() >= trainedFor, `metadata.json says ${seconds()} s, the run trained for ${trainedFor} s`);
    assert.ok(finished.seconds >= trained.seconds);
    assert.ok(finished.examplesPerSec <= trained.examplesPerSec * 1.01);
    assert.ok(finished.examplesPerSec > 0);
    const again = await runCli(['train', '--resume', save], { cwd: tmp.dir });
    assert.equal(again.code, 1);
    assert.match(
      again.stderr,
      /hint: to train further, give a larger total: npx mnist-deep train --resume unfinished --steps 40/,
    );
    assert.match(
      errorLine(again.stderr)[0],
      /the run in unfinished is finished \(step 20 of 20, model and results saved\)/,
    );
  });

  it('Ctrl-C during the closing evaluation keeps the saved model, and the printed hint finishes the run', async () => {
    const save = join(tmp.dir, 'evalcut');
    const run = spawnCli(
      [
        'train',
        '--data-dir',
        bigTest,
        '--validation-size',
        '1000',
        '--steps',
        '2',
        '--batch-size',
        '10',
        '--backend',
        'wasm',
        '--save-dir',
        save,
      ],
      { cwd: tmp.dir },
    );
    // metadata.json without accuracies follows the model (saveModel writes it last, and from then on a
    // signal counts as during the evaluation); the evaluation of 2,000 images on wasm takes seconds.
    await waitForFile(join(save, 'metadata.json'));
    run.child.kill('SIGINT');
    const r = await run.done;
    assert.equal(r.code, 130, r.stdout + r.stderr);
    assert.match(r.stderr, /interrupted during the closing evaluation; the model is saved in /);
    const hint = /finish the run with: (.*)/.exec(r.stderr)?.[1] as string;
    assert.equal(hint, 'npx mnist-deep train --resume evalcut');
    const accuracy = () => JSON.parse(readFileSync(join(save, 'metadata.json'), 'utf8')).testAccuracy;
    assert.equal(accuracy(), undefined);
    const done = await runCli(pasted(hint), { cwd: tmp.dir });
    assert.equal(done.code, 0, done.stderr);
    assert.match(done.stdout, /test accuracy \d\.\d{4} \(1000 images\)/);
    assert.equal(typeof accuracy(), 'number');
  });

  it('SIGHUP checkpoints like SIGTERM, exits 129, and the hint resumes', async () => {
    const save = join(tmp.dir, 'hup');
    const run = spawnCli([...softmax, '--steps', '1000000', '--log-every', '1', '--json', '--save-dir', save], {
      cwd: tmp.dir,
    });
    await run.waitFor(/"step":2,/);
    run.child.kill('SIGHUP');
    const r = await run.done;
    assert.equal(r.code, 129, r.stderr);
    const hint = /resume with: (.*)/.exec(r.stderr)?.[1] as string;
    const resumed = await runCli(
      [...pasted(hint), '--steps', String(Number(/at step (\d+)/.exec(r.stderr)?.[1]) + 3)],
      { cwd: tmp.dir },
    );
    assert.equal(resumed.code, 0, resumed.stderr);
  });
});

describe('divergence is never saved as a result', () => {
  it('stops at the first non-finite loss, saves no model', async () => {
    const save = join(tmp.dir, 'diverged');
    const r = await runCli([...softmax, '--steps', '50', '--learning-rate', '1e308', '--save-dir', save], {
      cwd: tmp.dir,
    });
    assert.equal(r.code, 1);
    assert.deepEqual(errorLine(r.stderr), [
      'mnist-deep: error: training diverged at step 1: the loss is NaN (learning rate 1e+308 with sgd: try a smaller --learning-rate); no model saved; no checkpoint had been written yet',
    ]);
    assert.equal(existsSync(join(save, 'model.json')), false);
    // What it left (its step log) does not stand in the way of a new run there.
    const again = await runCli([...softmax, '--steps', '5', '--save-dir', save], { cwd: tmp.dir });
    assert.equal(again.code, 0, again.stderr);
  });

  it('keeps the last good checkpoint when a resumed run diverges', async () => {
    const save = join(tmp.dir, 'explode');
    const cut = spawnCli([...softmax, '--steps', '1000000', '--log-every', '1', '--json', '--save-dir', save], {
      cwd: tmp.dir,
    });
    await cut.waitFor(/"step":2,/);
    cut.child.kill('SIGINT');
    const step = Number(/at step (\d+)/.exec((await cut.done).stderr)?.[1]);
    const bin = join(save, `checkpoint-${step}.bin`);
    // Finite weights so large that the next logits overflow.
    const huge = new Float32Array(readFileSync(bin).length / 4).fill(3e38);
    rewriteCheckpointBin(save, huge);
    const r = await runCli(['train', '--resume', save, '--steps', String(step + 5)], { cwd: tmp.dir });
    assert.equal(r.code, 1);
    assert.match(
      errorLine(r.stderr)[0],
      new RegExp(
        `training diverged at step ${step}: the loss is (NaN|Infinity) .*; no model saved; the last good checkpoint \\(step ${step}\\) is kept in `,
      ),
    );
    assert.deepEqual(new Uint8Array(readFileSync(bin)), new Uint8Array(huge.buffer));
    assert.equal(existsSync(join(save, 'model.json')), false);
  });

  it('eval and --resume refuse weights that are not finite, naming the file', async () => {
    const save = join(tmp.dir, 'nan');
    assert.equal(
      (await runCli([...softmax, '--steps', '10', '--checkpoint-every', '5', '--save-dir', save], { cwd: tmp.dir }))
        .code,
      0,
    );
    const weights = join(save, 'weights.bin');
    const w = new Float32Array(new Uint8Array(readFileSync(weights)).buffer);
    w[7] = NaN;
    writeFileSync(weights, new Uint8Array(w.buffer));
    const e = await runCli(['eval', '--model-dir', save, '--data-dir', data], { cwd: tmp.dir });
    assert.equal(e.code, 1);
    assert.match(
      errorLine(e.stderr)[0],
      /nan\/weights\.bin: weight logits\/kernel holds NaN at index 7; a model's weights must be finite numbers/,
    );
    assert.doesNotMatch(e.stdout, /accuracy/);
    const bin = join(save, 'checkpoint-10.bin');
    const c = new Float32Array(new Uint8Array(readFileSync(bin)).buffer);
    c[3] = -Infinity;
    rewriteCheckpointBin(save, c);
    const r = await runCli(['train', '--resume', save, '--steps', '12'], { cwd: tmp.dir });
    assert.match(
      errorLine(r.stderr)[0],
      /checkpoint-10\.bin: weight 3 is -Infinity; a checkpoint must hold finite numbers/,
    );
  });
});

describe('output failures', () => {
  it('a reader that goes away stops the printing, never the run', async () => {
    const save = join(tmp.dir, 'piped');
    const child = spawn(process.execPath, [BIN, ...softmax, '--steps', '300', '--log-every', '1', '--save-dir', save], {
      cwd: tmp.dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // Like `| head -n 1`: read the first line, then close the pipe.
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    child.stdout.destroy();
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.equal(code, 0, stderr);
    assert.doesNotMatch(stderr, /mnist-deep: error|EPIPE/);
    assert.ok(existsSync(join(save, 'metadata.json')), 'the run finished and saved');
  });

  it('results that cannot be written are an error (eval --json > a full disk)', async () => {
    const save = join(tmp.dir, 'full');
    assert.equal((await runCli([...softmax, '--steps', '5', '--save-dir', save], { cwd: tmp.dir })).code, 0);
    if (!existsSync('/dev/full')) return;
    const full = openSync('/dev/full', 'w');
    try {
      const child = spawn(process.execPath, [BIN, 'eval', '--model-dir', save, '--data-dir', data, '--json'], {
        cwd: tmp.dir,
        stdio: ['ignore', full, 'pipe'],
      });
      let stderr = '';
      child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      assert.equal(code, 1);
      assert.deepEqual(errorLine(stderr), [
        'mnist-deep: error: cannot write the output to stdout: no space left on the device',
      ]);
    } finally {
      closeSync(full);
    }
  });
});
