/**
 * `npm run predict-check`: issue 12's "done when". Real MNIST test digits are drawn as ordinary
 * pictures (PNG and JPEG; 8 to 400 px tall; anywhere on a larger canvas; dark on light, light on
 * dark, in colour, on a transparent background) and classified by the real `mnist-deep predict`
 * through the CLI. Prints the accuracy on those pictures next to the same model's accuracy on the
 * same digits as MNIST stores them, and by kind of picture. Target: >= 0.95 with a CNN trained
 * 1,000 steps.
 *
 *   npm run predict-check -- [--model-dir DIR] [--count N] [--seed N] [--keep DIR]
 *
 * Without --model-dir it first trains that CNN (`train --model cnn --steps 1000`; minutes).
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { useBackend } from '../src/backends';
import { nonNegativeInt, positiveInt } from '../src/commands/options';
import { Rng } from '../src/data/rng';
import { IMAGE_SIZE } from '../src/data/shapes';
import { predictProbabilities, topClasses } from '../src/eval/probabilities';
import { loadModel } from '../src/models/io';
import { jsonLines, parseScriptArgs } from './common';
import { Rgb, RenderOptions, digitAt, jpegOf, mnistTestSet, pngOf, renderDigit } from './digits';

const BIN = resolve(__dirname, '../../bin/mnist-deep.js');
const TARGET = 0.95;

interface Args {
  modelDir?: string;
  count: number;
  seed: number;
  keep?: string;
}

function parseArgs(argv: string[]): Args {
  const program = new Command('predict-check')
    .option('--model-dir <dir>', 'the model to check (default: train a CNN for 1,000 steps first)')
    .option('--count <n>', 'pictures to draw, from the 10,000 test digits', countArg, 1000)
    .option('--seed <n>', 'seed for how the pictures are drawn', nonNegativeInt, 1)
    .option('--keep <dir>', 'write the pictures here and keep them');
  return parseScriptArgs<Args>(program, argv);
}

/** `--count`: 1 to the test set's 10,000 digits. */
function countArg(value: string): number {
  const n = positiveInt(value);
  if (n > 10_000) throw new InvalidArgumentError('must be 1-10000.');
  return n;
}

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [BIN, ...args], { maxBuffer: 256 << 20 }, (err, stdout, stderr) => {
      done({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

interface Picture {
  file: string;
  label: number;
  index: number;
  kinds: string[];
}

/** How to draw one picture: size, place, colours, format. */
function draw(rng: Rng): { options: RenderOptions; jpeg: boolean; kinds: string[] } {
  const pick = <T>(xs: readonly T[]) => xs[rng.int(xs.length)];
  // The digit (20/28 of the field) 8 to 400 px tall, on a log scale.
  const digitPx = Math.round(8 * 50 ** rng.next());
  const size = Math.max(11, Math.round((digitPx * 28) / 20));
  const width = size + rng.int(size + 40);
  const height = size + rng.int(size + 40);
  const grey = (v: number): Rgb => [v, v, v];
  const style = pick(['dark on light', 'light on dark', 'colour', 'transparent'] as const);
  const options: RenderOptions = { size, width, height, x: rng.int(width - size + 1), y: rng.int(height - size + 1) };
  if (style === 'dark on light') Object.assign(options, { ink: grey(rng.int(80)), paper: grey(190 + rng.int(66)) });
  if (style === 'light on dark') Object.assign(options, { ink: grey(190 + rng.int(66)), paper: grey(rng.int(80)) });
  if (style === 'colour') {
    const ink: Rgb = [rng.int(120), rng.int(120), 80 + rng.int(176)];
    const paper: Rgb = [200 + rng.int(56), 190 + rng.int(66), 120 + rng.int(136)];
    Object.assign(options, rng.int(2) ? { ink, paper } : { ink: paper, paper: ink });
  }
  if (style === 'transparent') Object.assign(options, { ink: grey(rng.int(2) ? 0 : 255), paperAlpha: 0 });
  // JPEG has no alpha: transparent pictures are PNGs.
  const jpeg = style !== 'transparent' && rng.int(2) === 1;
  const band = digitPx < 16 ? '8-15 px' : digitPx < 40 ? '16-39 px' : digitPx < 120 ? '40-119 px' : '120-400 px';
  return { options, jpeg, kinds: [style, jpeg ? 'JPEG' : 'PNG', band] };
}

function table(rows: Array<[string, number, number]>): string {
  const lines = rows.map(
    ([name, right, total]) => `${name.padEnd(16)} ${String(total).padStart(6)}   ${(right / total).toFixed(4)}`,
  );
  return [`${'pictures'.padEnd(16)} ${'count'.padStart(6)}   accuracy`, ...lines].join('\n');
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const work = mkdtempSync(join(tmpdir(), 'mnist-deep-predict-check-'));
  try {
    let modelDir = args.modelDir;
    if (!modelDir) {
      modelDir = join(work, 'cnn');
      console.log('training the CNN for 1,000 steps (minutes) ...');
      const t = await cli(['train', '--model', 'cnn', '--steps', '1000', '--save-dir', modelDir]);
      if (t.code !== 0) throw new Error(`train failed: ${t.stderr}`);
      console.log(
        t.stdout
          .split('\n')
          .filter((l) => /accuracy|trained/.test(l))
          .join('\n'),
      );
    }
    const dir = args.keep ?? join(work, 'pictures');
    mkdirSync(dir, { recursive: true });
    const { images, labels } = mnistTestSet();
    const rng = new Rng(args.seed);
    const pictures = new Map<string, Picture>();
    // Spread over the whole test set, not its first few hundred.
    const step = Math.floor(images.count / args.count);
    for (let k = 0; k < args.count; k++) {
      const index = k * step;
      const digit = digitAt(images, index);
      const { options, jpeg, kinds } = draw(rng);
      const image = renderDigit(digit, options);
      const file = join(dir, `${String(index).padStart(5, '0')}.${jpeg ? 'jpg' : 'png'}`);
      writeFileSync(file, jpeg ? jpegOf(image, 75 + rng.int(21)) : pngOf(image));
      pictures.set(file, { file, label: labels.labels[index], index, kinds });
    }
    const t0 = Date.now();
    const r = await cli(['predict', dir, '--model-dir', modelDir, '--json', '--top', '1']);
    const seconds = (Date.now() - t0) / 1000;
    const byKind = new Map<string, [number, number]>();
    let right = 0;
    let failed = 0;
    for (const line of jsonLines(r.stdout)) {
      const out = line as { file: string; predictions?: Array<{ class: number }>; error?: string };
      const pic = pictures.get(out.file);
      if (!pic) throw new Error(`predict named a file we did not write: ${out.file}`);
      const ok = out.predictions?.[0]?.class === pic.label;
      if (!out.predictions) failed++;
      if (ok) right++;
      for (const kind of pic.kinds) {
        const [r0, t] = byKind.get(kind) ?? [0, 0];
        byKind.set(kind, [r0 + (ok ? 1 : 0), t + 1]);
      }
    }
    // The same model on the same digits as MNIST stores them (what eval scores), for comparison.
    await useBackend('auto');
    const model = await loadModel(modelDir);
    const indices = [...pictures.values()].map((p) => p.index);
    const xs = new Float32Array(indices.length * IMAGE_SIZE);
    indices.forEach((index, k) =>
      xs.set(
        Float32Array.from(digitAt(images, index), (v) => v / 255),
        k * IMAGE_SIZE,
      ),
    );
    const probs = await predictProbabilities(model, xs, indices.length);
    const rawRight = indices.filter((index, k) => topClasses(probs, k, 1)[0].class === labels.labels[index]).length;
    const accuracy = right / pictures.size;
    console.log(
      `model ${modelDir}; ${pictures.size} real MNIST test digits (every ${step}th) drawn as pictures, seed ${args.seed}`,
    );
    console.log(
      `predict took ${seconds.toFixed(1)} s; load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    );
    console.log('');
    console.log(
      table([
        ...[...byKind.entries()]
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([k, [r0, t]]) => [k, r0, t] as [string, number, number]),
      ]),
    );
    console.log('');
    console.log(
      `the same digits as MNIST stores them (28x28, as eval sees them): accuracy ${(rawRight / indices.length).toFixed(4)}`,
    );
    console.log(
      `as pictures: accuracy ${accuracy.toFixed(4)} (${right} of ${pictures.size}; ${failed} could not be read) — target >= ${TARGET}: ${accuracy >= TARGET ? 'PASS' : 'FAIL'}`,
    );
    if (accuracy < TARGET) process.exitCode = 1;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(`predict-check: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
