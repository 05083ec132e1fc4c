/**
 * export's bad input: one error line naming the option or file (and a hint where there is a
 * command to run), exit ≠ 0, and nothing left behind: the model folder and the target's folder
 * hold what they held before. In-process through `main`.
 */
import { strict as assert } from 'node:assert';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadTf, useBackend } from '../../src/backends';
import { buildSoftmax } from '../../src/models';
import { saveModel } from '../../src/models/io';
import { graphAddonPath } from '../../src/native/layout';
import { runInProcess } from '../helpers/in-process';
import { tempDir } from '../helpers/fixtures';

const tmp = tempDir();
const good = join(tmp.dir, 'softmax');
const meta = { model: 'softmax', dataset: 'mnist', steps: 1 };
before(async () => {
  await useBackend('cpu');
  await saveModel(buildSoftmax(), good, meta);
});
after(tmp.cleanup);

const listing = (dir: string) => readdirSync(dir).sort();

/** Runs export and checks: exit code, error lines, and that `dirs` hold what they held before. */
async function refused(
  args: string[],
  pattern: RegExp,
  dirs: string[],
  code = 1,
  env: NodeJS.ProcessEnv = {},
): Promise<string[]> {
  const before = dirs.map(listing);
  const r = await runInProcess(['export', ...args], { cwd: tmp.dir, env });
  assert.equal(r.code, code, r.stderr);
  assert.equal(r.stdout, '');
  const lines = r.stderr.trim().split('\n');
  assert.match(lines[0], /^mnist-deep: error: /);
  assert.match(lines[0], pattern);
  assert.ok(lines.length === 1 || (lines.length === 2 && lines[1].startsWith('mnist-deep: hint: ')), r.stderr);
  assert.deepEqual(dirs.map(listing), before, 'nothing written, nothing left behind');
  return lines;
}

describe('export: bad input', () => {
  it('a folder that does not exist, and one with no model', async () => {
    await refused(['--format', 'onnx', '--model-dir', join(tmp.dir, 'none')], /--model-dir .*none: no such folder/, [
      tmp.dir,
    ]);
    const empty = join(tmp.dir, 'empty');
    mkdirSync(empty);
    await refused(['--format', 'keras', '--model-dir', empty], /--model-dir empty: no trained model there/, [empty]);
  });

  it('an unfinished run: the hint names the command that finishes it', async () => {
    const run = join(tmp.dir, 'unfinished');
    mkdirSync(run);
    writeFileSync(join(run, 'checkpoint.json'), JSON.stringify({ step: 5, config: { steps: 40 } }));
    const lines = await refused(['--format', 'onnx', '--model-dir', run], /holds an unfinished run \(step 5 of 40\)/, [
      run,
    ]);
    assert.match(lines[1], /finish it with: npx mnist-deep train --resume unfinished/);
  });

  it('a model with a layer export does not know (from a newer mnist-deep) names the layer', async () => {
    const tf = loadTf();
    const odd = join(tmp.dir, 'odd');
    const model = tf.sequential({
      layers: [tf.layers.dense({ inputShape: [784], units: 10, activation: 'sigmoid', name: 'logits' })],
    });
    await saveModel(model, odd, meta);
    await refused(
      ['--format', 'onnx', '--model-dir', odd],
      /odd\/model\.json: layer "logits" \(Dense\): export does not know activation sigmoid/,
      [odd],
    );
  });

  it('--out onto an existing file is refused without --overwrite, and replaced with it', async () => {
    const out = join(tmp.dir, 'taken.onnx');
    writeFileSync(out, 'mine');
    const lines = await refused(
      ['--format', 'onnx', '--model-dir', good, '--out', out],
      /--out .*taken\.onnx: already exists/,
      [tmp.dir, good],
    );
    assert.equal(lines[1], 'mnist-deep: hint: pass --overwrite to replace it');
    assert.equal(readFileSync(out, 'utf8'), 'mine');
    const r = await runInProcess(['export', '--format', 'onnx', '--model-dir', good, '--out', out, '--overwrite']);
    assert.equal(r.code, 0, r.stderr);
    assert.notEqual(readFileSync(out, 'utf8'), 'mine');
  });

  it('--out onto a folder is refused even with --overwrite', async () => {
    const folder = join(tmp.dir, 'a-folder.keras');
    mkdirSync(folder);
    await refused(
      ['--format', 'keras', '--model-dir', good, '--out', folder, '--overwrite'],
      /--out .*a-folder\.keras: is not a regular file; refusing to replace it/,
      [tmp.dir, folder, good],
    );
  });

  it('an unwritable target: one line naming it, no temporary file left', async () => {
    const file = join(tmp.dir, 'plain-file');
    writeFileSync(file, '');
    await refused(
      ['--format', 'keras', '--model-dir', good, '--out', join(file, 'model.keras')],
      /plain-file\/model\.keras: cannot write: /,
      [tmp.dir, good],
    );
  });

  it('a missing or unknown --format is a usage error', async () => {
    await refused(['--model-dir', good], /--format/, [good], 2);
    await refused(
      ['--format', 'tflite', '--model-dir', good],
      /--format tflite: allowed choices are savedmodel, onnx, keras/,
      [good],
      2,
    );
  });

  it('SavedModel: --out onto a folder is refused without --overwrite, and with it unless export wrote it', async () => {
    const taken = join(tmp.dir, 'taken-sm');
    mkdirSync(taken);
    writeFileSync(join(taken, 'saved_model.pb'), 'mine');
    writeFileSync(join(taken, 'notes.txt'), 'mine too');
    const args = ['--format', 'savedmodel', '--model-dir', good, '--out', taken];
    const lines = await refused(args, /--out .*taken-sm: already exists/, [tmp.dir, taken, good]);
    assert.equal(lines[1], 'mnist-deep: hint: pass --overwrite to replace it');
    await refused(
      [...args, '--overwrite'],
      /--out .*taken-sm: is not a SavedModel folder written by export; refusing to replace it/,
      [tmp.dir, taken, good],
    );
    assert.equal(readFileSync(join(taken, 'notes.txt'), 'utf8'), 'mine too');
    const file = join(tmp.dir, 'a-file');
    writeFileSync(file, 'mine');
    await refused(
      ['--format', 'savedmodel', '--model-dir', good, '--out', file, '--overwrite'],
      /--out .*a-file: is not a SavedModel folder written by export/,
      [tmp.dir, good],
    );
  });

  it('SavedModel without the native setup: one line saying so', async () => {
    await refused(
      ['--format', 'savedmodel', '--model-dir', good],
      /--format savedmodel needs the native setup \(TensorFlow's C library\): MNIST_DEEP_NATIVE=0 turns it off/,
      [tmp.dir, good],
      1,
      { MNIST_DEEP_NATIVE: '0' },
    );
  });

  it(
    'SavedModel: an unwritable target leaves nothing; --overwrite replaces a folder export wrote',
    { skip: graphAddonPath() ? false : 'the native backend is not set up (npx mnist-deep native)' },
    async () => {
      const file = join(tmp.dir, 'plain-file-sm');
      writeFileSync(file, '');
      await refused(
        ['--format', 'savedmodel', '--model-dir', good, '--out', join(file, 'savedmodel')],
        /plain-file-sm\/savedmodel: cannot write: /,
        [tmp.dir, good],
      );
      const out = join(tmp.dir, 'sm');
      const run = (extra: string[] = []) =>
        runInProcess(['export', '--format', 'savedmodel', '--model-dir', good, '--out', out, '--json', ...extra]);
      const first = await run();
      assert.equal(first.code, 0, first.stderr);
      const result = JSON.parse(first.stdout) as Record<string, unknown>;
      assert.deepEqual(result, {
        format: 'savedmodel',
        path: out,
        bytes: readFileSync(join(out, 'saved_model.pb')).length,
        input: 'images',
        output: 'probabilities',
        signature: 'serving_default',
      });
      writeFileSync(join(out, 'saved_model.pb'), 'stale');
      const again = await run(['--overwrite']);
      assert.equal(again.code, 0, again.stderr);
      assert.deepEqual(listing(out), ['saved_model.pb']);
      assert.equal(readFileSync(join(out, 'saved_model.pb')).length, result.bytes);
      assert.deepEqual(
        listing(tmp.dir).filter((n) => n.endsWith('.tmp')),
        [],
      );
    },
  );

  it('--json prints one result line', async () => {
    const out = join(tmp.dir, 'json.keras');
    const r = await runInProcess(['export', '--format', 'keras', '--model-dir', good, '--out', out, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 1);
    const result = JSON.parse(lines[0]) as Record<string, unknown>;
    assert.deepEqual(Object.keys(result), ['format', 'path', 'bytes', 'input', 'output']);
    assert.equal(result.path, out);
    assert.equal(result.bytes, readFileSync(out).length);
  });
});
