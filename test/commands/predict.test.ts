import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BIN, CliResult, cliEnv, runCli, jsonLines } from '../helpers/cli';
import { runInProcess } from '../helpers/in-process';
import { RenderOptions, digitAt, jpegOf, mnistDataDir, mnistTestSet, pngOf, renderDigit } from '../../scripts/digits';
import { tempDir } from '../helpers/fixtures';
import { isRoot, makeFifo } from '../helpers/special';

const tmp = tempDir();
const model = join(tmp.dir, 'softmax');
const digits = join(tmp.dir, 'digits');
const bad = join(tmp.dir, 'bad');
const { images, labels } = mnistTestSet();
const truth = new Map<string, number>();
/** Our own stderr lines (a native TensorFlow build may log there too). */
const ours = (stderr: string) =>
  stderr
    .split('\n')
    .filter((l) => l.startsWith('mnist-deep:'))
    .join('\n');

/** The CLI as another user (uid/gid), which runCli cannot do. */
function runCliAs(args: string[], opts: { cwd: string; uid?: number; gid?: number; env?: NodeJS.ProcessEnv }) {
  return new Promise<CliResult>((done) =>
    execFile(
      process.execPath,
      [BIN, ...args],
      { cwd: opts.cwd, uid: opts.uid, gid: opts.gid, env: cliEnv(opts.env), timeout: 120_000 },
      (err, stdout, stderr) =>
        done({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr }),
    ),
  );
}

/** 20 real test digits as pictures: sizes 12-400 px, anywhere on the canvas, both polarities, colour, transparency. */
function writeDigits(): void {
  mkdirSync(digits);
  const styles: Array<Partial<RenderOptions>> = [
    {},
    { ink: [255, 255, 255], paper: [0, 0, 0] },
    { ink: [30, 30, 140], paper: [245, 240, 225] },
    { paperAlpha: 0 },
  ];
  for (let i = 0; i < 20; i++) {
    const size = [17, 40, 120, 400][i % 4];
    const style = styles[Math.floor(i / 4) % styles.length];
    const img = renderDigit(digitAt(images, i), {
      size,
      width: size + 37 * (i % 3),
      height: size + 11 * (i % 5),
      x: 19 * (i % 3),
      y: 5 * (i % 4),
      ...style,
    });
    // JPEG has no alpha channel: transparent pictures are PNGs.
    const asJpeg = i % 2 === 1 && style.paperAlpha === undefined;
    const name = `d${String(i).padStart(2, '0')}.${asJpeg ? 'jpg' : 'png'}`;
    writeFileSync(join(digits, name), asJpeg ? jpegOf(img, 92) : pngOf(img));
    truth.set(join(digits, name), labels.labels[i]);
  }
  writeFileSync(join(digits, 'README.txt'), 'not an image, and not picked from the folder');
}

function writeBadFiles(): void {
  mkdirSync(bad);
  const good = pngOf(renderDigit(digitAt(images, 0), { size: 40, width: 40, height: 40, x: 0, y: 0 }));
  writeFileSync(join(bad, 'text.png'), 'hello');
  writeFileSync(join(bad, 'truncated.png'), good.subarray(0, good.length - 40));
  const empty = Buffer.from(good);
  empty.writeUInt32BE(0, 16);
  empty.writeUInt32BE(0, 20);
  writeFileSync(join(bad, 'empty.png'), empty);
  const huge = Buffer.from(good);
  huge.writeUInt32BE(30_000, 16);
  huge.writeUInt32BE(30_000, 20);
  writeFileSync(join(bad, 'huge.png'), huge);
  writeFileSync(join(bad, 'blank.png'), pngOf({ width: 30, height: 30, data: new Uint8Array(30 * 30 * 4).fill(255) }));
}

before(async () => {
  writeDigits();
  writeBadFiles();
  const r = await runInProcess(
    ['train', '--model', 'softmax', '--data-dir', mnistDataDir(), '--steps', '300', '--save-dir', model],
    { cwd: tmp.dir },
  );
  assert.equal(r.code, 0, r.stderr);
});
after(tmp.cleanup);

describe('predict', () => {
  it('classifies real MNIST digits drawn as PNG/JPEG pictures (a folder), one JSON line each', async () => {
    const r = await runInProcess(['predict', digits, '--model-dir', model, '--json'], { cwd: tmp.dir });
    assert.equal(r.code, 0, r.stderr);
    const lines = jsonLines(r.stdout);
    assert.deepEqual(
      lines.map((l) => l.file),
      [...truth.keys()].sort(),
    );
    let right = 0;
    for (const line of lines) {
      assert.deepEqual(Object.keys(line), ['file', 'predictions', 'polarity']);
      assert.match(line.polarity, /^(dark-on-light|light-on-dark)$/);
      assert.equal(line.predictions.length, 3);
      for (const p of line.predictions) {
        assert.deepEqual(Object.keys(p), ['class', 'label', 'probability']);
        assert.equal(p.label, String(p.class));
      }
      const probs = line.predictions.map((p: { probability: number }) => p.probability);
      assert.deepEqual(
        probs,
        [...probs].sort((a, b) => b - a),
      );
      if (line.predictions[0].class === truth.get(line.file)) right++;
    }
    // A 300-step softmax model scores ~0.9 on the test set itself.
    assert.ok(right >= 16, `${right} of 20 right`);
  });

  it('human output: the top classes and the polarity read, per file', async () => {
    const file = join(digits, 'd00.png');
    const r = await runInProcess(['predict', file, '--model-dir', model, '--top', '2'], { cwd: tmp.dir });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^${file}: 7 0\\.\\d{3} \\| \\d 0\\.\\d{3} \\(read as dark-on-light\\)\\n$`));
    assert.equal(ours(r.stderr), '');
  });

  it('each bad file gets one line, the good ones are still classified, and the exit code is 1', async () => {
    const good = join(digits, 'd03.jpg');
    const files = ['text.png', 'truncated.png', 'empty.png', 'huge.png', 'blank.png', 'missing.png'].map((f) =>
      join(bad, f),
    );
    const r = await runInProcess(['predict', files[0], good, ...files.slice(1), '--model-dir', model, '--json'], {
      cwd: tmp.dir,
    });
    assert.equal(r.code, 1);
    const lines = jsonLines(r.stdout);
    assert.equal(lines.length, 7);
    assert.equal(lines[1].file, good);
    assert.equal(lines[1].predictions[0].class, labels.labels[3]);
    const errors = Object.fromEntries(
      [lines[0], ...lines.slice(2)].map((l) => [l.file.slice(bad.length + 1), l.error]),
    );
    assert.match(errors['text.png'], /^not a PNG or JPEG image/);
    assert.match(errors['truncated.png'], /^cannot decode PNG: truncated or corrupt/);
    assert.equal(errors['empty.png'], 'the image is empty (0x0 pixels)');
    assert.match(
      errors['huge.png'],
      /^the image is 30000x30000 pixels, more than the 50 megapixels accepted; refused without decoding$/,
    );
    assert.match(errors['blank.png'], /^no digit found: the image is blank/);
    assert.equal(errors['missing.png'], 'not found');
    assert.equal(
      ours(r.stderr)
        .split('\n')
        .filter((l) => l.startsWith('mnist-deep: error: ')).length,
      6,
      r.stderr,
    );
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack traces');
  });

  it('hostile file names are printed escaped (no terminal sequence, no forged line); a FIFO is refused at once', async () => {
    const dir = join(tmp.dir, 'hostile');
    mkdirSync(dir);
    const name = 'a\x1b]0;pwned\x07\x1b[2J\nforged: 7 1.000 | 1 0.000.png';
    writeFileSync(join(dir, name), readFileSync(join(digits, 'd00.png')));
    makeFifo(join(dir, 'pipe.png'));
    const r = await runCli(['predict', dir, '--model-dir', model], { cwd: tmp.dir, timeoutMs: 60_000 });
    assert.equal(r.code, 1, r.stderr);
    assert.doesNotMatch(r.stdout + r.stderr, /\x1b|\x07/, 'no control character reaches the terminal');
    assert.doesNotMatch(r.stdout, /^forged/m, 'no forged result line');
    assert.equal(r.stdout.trim().split('\n').length, 1, r.stdout);
    assert.ok(r.stdout.includes('a\\e]0;pwned\\x07\\e[2J\\nforged: 7 1.000 | 1 0.000.png: 7 '), r.stdout);
    assert.match(ours(r.stderr), /pipe\.png: is a FIFO \(named pipe\), expected a regular file/);
    // --json carries the name as it is, JSON-escaped.
    const j = await runInProcess(['predict', join(dir, name), '--model-dir', model, '--json'], { cwd: tmp.dir });
    assert.equal(JSON.parse(j.stdout).file, join(dir, name));
  });

  it('an unreadable folder gets one line; the other arguments are still classified, exit code 1', async () => {
    const locked = join(tmp.dir, 'locked');
    mkdirSync(locked);
    writeFileSync(join(locked, 'd.png'), readFileSync(join(digits, 'd00.png')));
    chmodSync(locked, 0o000);
    // Root reads any folder: run as nobody then (the fixtures made readable to it).
    chmodSync(tmp.dir, 0o755);
    const asNobody = isRoot ? { uid: 65534, gid: 65534, env: { HOME: '/tmp' } } : {};
    const good = join(digits, 'd00.png');
    const r = await runCliAs(['predict', locked, good, '--model-dir', model, '--json'], { cwd: '/', ...asNobody });
    chmodSync(locked, 0o755);
    assert.equal(r.code, 1, r.stderr);
    const lines = jsonLines(r.stdout);
    assert.deepEqual(lines[0], { file: locked, error: 'cannot list this folder: permission denied' });
    assert.equal(lines[1].file, good);
    assert.equal(lines[1].predictions.length, 3);
    assert.match(ours(r.stderr), /^mnist-deep: error: \S+locked: cannot list this folder: permission denied$/m);
    assert.doesNotMatch(r.stderr, /EACCES|scandir/);
  });

  it('a Fashion-MNIST model: class names, and the polarity it assumed is stated', async () => {
    const fashion = join(tmp.dir, 'fashion');
    cpSync(model, fashion, { recursive: true });
    // The same weights, labelled as a Fashion-MNIST model where the run's metadata is kept.
    const meta = JSON.parse(readFileSync(join(fashion, 'metadata.json'), 'utf8'));
    writeFileSync(join(fashion, 'metadata.json'), JSON.stringify({ ...meta, dataset: 'fashion-mnist' }));
    const modelJson = JSON.parse(readFileSync(join(fashion, 'model.json'), 'utf8'));
    if (modelJson.userDefinedMetadata) modelJson.userDefinedMetadata.dataset = 'fashion-mnist';
    writeFileSync(join(fashion, 'model.json'), JSON.stringify(modelJson));
    const r = await runInProcess(['predict', join(digits, 'd02.png'), '--model-dir', fashion, '--top', '10'], {
      cwd: tmp.dir,
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^fashion-mnist model: images read as dark-on-light \(assumed; --polarity to change\)\n/);
    for (const name of ['T-shirt/top', 'Trouser', 'Ankle boot']) assert.ok(r.stdout.includes(`${name} 0.`), r.stdout);
  });

  it('bad options and model folders: one error line', async () => {
    const top = await runInProcess(['predict', digits, '--model-dir', model, '--top', '11'], { cwd: tmp.dir });
    assert.notEqual(top.code, 0);
    assert.match(top.stderr, /--top.*must be a whole number from 1 to 10/);
    const missing = await runInProcess(['predict', digits, '--model-dir', join(tmp.dir, 'nope')], { cwd: tmp.dir });
    assert.equal(missing.code, 1);
    assert.match(
      ours(missing.stderr),
      /^mnist-deep: error: --model-dir .*nope: no such folder; trained models here: fashion, softmax\nmnist-deep: hint: train one first: /,
    );
  });
});
