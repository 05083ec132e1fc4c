/**
 * The `serve` page in real headless Chromium: it loads cleanly, its predict()
 * agrees with the CLI on real MNIST test images, and digits drawn with
 * synthetic mouse and touch strokes are recognised.
 */
import { strict as assert } from 'node:assert';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { PNG } from 'pngjs';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'puppeteer-core';
import { useBackend } from '../../src/backends';
import { predictProbabilities } from '../../src/eval/probabilities';
import { loadModel } from '../../src/models/io';
import { mnistify } from '../../src/preprocess/mnistify';
import { chromiumMissing, launchChromium, watchPage } from '../helpers/chromium';
import { runCli } from '../helpers/cli';
import { digitAt, mnistDataDir, mnistTestSet } from '../../scripts/digits';
import { labelsIdx, tempDir } from '../helpers/fixtures';
import { Served, startServe } from '../helpers/serve';

/** Screenshots are kept here (not committed); MNIST_DEEP_UPDATE_DOCS=1 also refreshes the README's. */
const ARTIFACTS = resolve(__dirname, '../../../test-artifacts');
const DOCS_SHOT = resolve(__dirname, '../../../docs/serve.png');

/** Strokes in pad coordinates from 0 to 1: each digit is one or more polylines. */
const ellipse = (cx: number, cy: number, rx: number, ry: number, n = 28) =>
  Array.from(
    { length: n + 1 },
    (_, i) =>
      [cx + rx * Math.sin((2 * Math.PI * i) / n), cy - ry * Math.cos((2 * Math.PI * i) / n)] as [number, number],
  );
const DRAWN: Array<{ digit: number; strokes: Array<Array<[number, number]>> }> = [
  {
    digit: 1,
    strokes: [
      [
        [0.5, 0.15],
        [0.53, 0.85],
      ],
    ],
  },
  { digit: 0, strokes: [ellipse(0.5, 0.5, 0.22, 0.33, 16)] },
  {
    digit: 7,
    strokes: [
      [
        [0.28, 0.2],
        [0.72, 0.2],
        [0.45, 0.85],
      ],
    ],
  },
];

const skip = chromiumMissing();

describe('serve: the page in Chromium', { skip }, () => {
  const tmp = tempDir();
  // Relative to the server's working folder, so the page (and the README's screenshot) shows no machine's path.
  const modelArg = join('models', 'softmax');
  const modelDir = join(tmp.dir, modelArg);
  let served: Served;
  let chromium: { browser: Browser; close: () => Promise<void> };
  let page: Page;
  let problems: string[];
  let backend: string;

  before(async () => {
    const train = await runCli([
      'train',
      '--model',
      'softmax',
      '--steps',
      '300',
      '--data-dir',
      mnistDataDir(),
      '--save-dir',
      modelDir,
    ]);
    assert.equal(train.code, 0, train.stderr);
    served = await startServe(['--model-dir', modelArg], { cwd: tmp.dir });
    chromium = await launchChromium();
    page = await chromium.browser.newPage();
    problems = watchPage(page);
    await page.setViewport({ width: 1000, height: 560 });
    await page.goto(served.url);
    backend = ((await page.evaluate('window.mnistDeep.ready')) as { backend: string }).backend;
  });
  after(async () => {
    await chromium?.close();
    await served?.stop();
    tmp.cleanup();
  });

  const text = (selector: string) => page.$eval(selector, (e) => e.textContent ?? '');

  it('loads with no console errors and shows the model, its accuracy and the TF.js backend', async () => {
    const meta = JSON.parse(readFileSync(join(modelDir, 'metadata.json'), 'utf8'));
    assert.ok(['webgl', 'wasm', 'cpu'].includes(backend), backend);
    assert.match(await text('#backend'), new RegExp(`TF\\.js 4\\.22\\.0, backend ${backend}`));
    assert.equal(await text('#title'), 'Draw a digit');
    const info = await text('#model-info');
    assert.ok(
      info.includes(`softmax · MNIST · test accuracy ${(meta.testAccuracy * 100).toFixed(2)}% · 300 steps`),
      info,
    );
    // train always writes report.html beside the model, so the page links it.
    assert.ok(existsSync(join(modelDir, 'report.html')), 'train wrote report.html');
    assert.equal(await page.$eval('#report', (e) => (e as unknown as { hidden: boolean }).hidden), false);
    assert.deepEqual(problems, []);
  });

  it('predict() agrees with the CLI on real MNIST test images: same classes, probabilities within 1e-3', async (t) => {
    const n = 200;
    const test = mnistTestSet();
    const images = Array.from({ length: n }, (_, i) => Array.from(digitAt(test.images, i), (v) => v / 255));
    const browserProbs = (await page.evaluate(async (all: number[][]) => {
      const api = (globalThis as unknown as { mnistDeep: { predict(p: number[]): Promise<number[]> } }).mnistDeep;
      const out: number[][] = [];
      for (const px of all) out.push(await api.predict(px));
      return out;
    }, images)) as number[][];

    // The CLI's own code path in Node (predict's): the saved model loaded by loadModel, softmax of its logits.
    await useBackend('wasm');
    const flat = await predictProbabilities(await loadModel(modelDir), Float32Array.from(images.flat()), n);
    const nodeProbs = Array.from({ length: n }, (_, i) => Array.from(flat.subarray(i * 10, (i + 1) * 10)));
    const argmax = (p: number[]) => p.indexOf(Math.max(...p));
    let maxDiff = 0;
    let right = 0;
    for (let i = 0; i < n; i++) {
      assert.equal(browserProbs[i].length, 10);
      assert.equal(argmax(browserProbs[i]), argmax(nodeProbs[i]), `image ${i}`);
      for (let c = 0; c < 10; c++) maxDiff = Math.max(maxDiff, Math.abs(browserProbs[i][c] - nodeProbs[i][c]));
      if (argmax(browserProbs[i]) === test.labels.labels[i]) right++;
    }
    t.diagnostic(`page backend ${backend}; largest probability difference from Node's ${maxDiff.toExponential(2)}`);
    assert.ok(maxDiff < 1e-3, `largest difference ${maxDiff}`);

    // And `mnist-deep eval` on exactly these images reports the accuracy the page gives.
    const data = join(tmp.dir, 'first');
    mkdirSync(data);
    const header = Buffer.alloc(16);
    header.writeUInt32BE(2051, 0);
    header.writeUInt32BE(n, 4);
    header.writeUInt32BE(28, 8);
    header.writeUInt32BE(28, 12);
    const idxImages = Buffer.concat([header, Buffer.from(test.images.pixels.subarray(0, n * 784))]);
    const idxLabels = labelsIdx(Array.from(test.labels.labels.subarray(0, n)));
    for (const kind of ['train', 't10k']) {
      writeFileSync(join(data, `${kind}-images-idx3-ubyte`), idxImages);
      writeFileSync(join(data, `${kind}-labels-idx1-ubyte`), idxLabels);
    }
    const ev = await runCli(['eval', '--model-dir', modelDir, '--data-dir', data, '--json']);
    assert.equal(ev.code, 0, ev.stderr);
    assert.equal(JSON.parse(ev.stdout).testAccuracy, right / n);
    assert.ok(right / n > 0.8, `accuracy ${right / n}`);
    assert.deepEqual(problems, []);
  });

  /** Draws strokes with the mouse, then waits for the page to finish classifying. */
  async function draw(
    p: Page,
    strokes: Array<Array<[number, number]>>,
    via: 'mouse' | 'touch' = 'mouse',
  ): Promise<void> {
    const box = await (await p.$('#pad'))?.boundingBox();
    assert.ok(box);
    const at = ([x, y]: [number, number]) => [box.x + x * box.width, box.y + y * box.height] as const;
    for (const stroke of strokes) {
      const [x0, y0] = at(stroke[0]);
      if (via === 'mouse') {
        await p.mouse.move(x0, y0);
        await p.mouse.down();
        for (const point of stroke.slice(1)) await p.mouse.move(...at(point), { steps: 4 });
        await p.mouse.up();
      } else {
        await p.touchscreen.touchStart(x0, y0);
        let [px, py] = [x0, y0];
        for (const point of stroke.slice(1)) {
          const [x, y] = at(point);
          for (let s = 1; s <= 4; s++) await p.touchscreen.touchMove(px + ((x - px) * s) / 4, py + ((y - py) * s) / 4);
          [px, py] = [x, y];
        }
        await p.touchscreen.touchEnd();
      }
    }
    await p.waitForFunction("document.body.dataset.busy === 'false'");
  }

  /** The pad's RGBA pixels and the 28x28 input the page shows (a page-side expression: this file has no DOM types). */
  type Pixels = { width: number; height: number; data: number[] };
  const canvases = () =>
    page.evaluate(`(() => {
      const read = (id) => {
        const c = document.getElementById(id);
        return { width: c.width, height: c.height, data: Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data) };
      };
      return { pad: read('pad'), input: read('input') };
    })()`) as Promise<{ pad: Pixels; input: Pixels }>;

  it('recognises digits drawn with mouse strokes; shows the input Node preprocessing gives; mnist-deep predict on the drawing agrees', async () => {
    for (const { digit, strokes } of DRAWN) {
      await page.click('#clear');
      await draw(page, strokes);
      const top = await text('#top');
      assert.match(top, new RegExp(`^${digit} \\(\\d+\\.\\d%\\)$`), `drew ${digit}, page says ${top}`);
      // The input shown is what src/preprocess/mnistify.ts gives in Node for the same drawing.
      const { pad, input } = await canvases();
      const node = mnistify(
        { width: pad.width, height: pad.height, data: Uint8Array.from(pad.data) },
        { polarity: 'light-on-dark' },
      ).pixels;
      let worst = 0;
      for (let i = 0; i < 784; i++) worst = Math.max(worst, Math.abs(input.data[i * 4] - Math.round(node[i] * 255)));
      assert.ok(worst <= 1, `drawn ${digit}: shown input differs from Node's by ${worst}/255`);
      assert.equal((await page.$$('#bars li')).length, 5);
    }
    // The last drawing saved as a PNG: `mnist-deep predict` on it says what the page says.
    const { pad } = await canvases();
    const png = new PNG({ width: pad.width, height: pad.height });
    png.data = Buffer.from(pad.data);
    const file = join(tmp.dir, 'drawn.png');
    writeFileSync(file, PNG.sync.write(png));
    const cli = await runCli([
      'predict',
      file,
      '--model-dir',
      modelDir,
      '--polarity',
      'light-on-dark',
      '--top',
      '10',
      '--json',
    ]);
    assert.equal(cli.code, 0, cli.stderr);
    const cliPredictions = (JSON.parse(cli.stdout) as { predictions: Array<{ class: number; probability: number }> })
      .predictions;
    const pageProbs = (await page.evaluate(`(async () => {
      const c = document.getElementById('pad');
      const image = c.getContext('2d').getImageData(0, 0, c.width, c.height);
      return window.mnistDeep.predict(window.mnistDeepPreprocess.mnistify(image, { polarity: 'light-on-dark' }).pixels);
    })()`)) as number[];
    assert.equal(cliPredictions[0].class, DRAWN[DRAWN.length - 1].digit);
    for (const p of cliPredictions)
      assert.ok(
        Math.abs(p.probability - pageProbs[p.class]) < 1e-3,
        `class ${p.class}: CLI ${p.probability}, page ${pageProbs[p.class]}`,
      );

    if (!existsSync(ARTIFACTS)) mkdirSync(ARTIFACTS, { recursive: true });
    const shot = await page.screenshot({ type: 'png' });
    writeFileSync(join(ARTIFACTS, 'serve.png'), shot);
    if (process.env.MNIST_DEEP_UPDATE_DOCS === '1') writeFileSync(DOCS_SHOT, shot);
    await page.click('#clear');
    assert.equal(await text('#top'), '–');
    assert.deepEqual(problems, []);
  });

  it('touch strokes draw too', async () => {
    const touch = await chromium.browser.newPage();
    const touchProblems = watchPage(touch);
    await touch.setViewport({ width: 1000, height: 560, hasTouch: true, isMobile: false });
    await touch.goto(served.url);
    await touch.evaluate('window.mnistDeep.ready');
    await draw(touch, DRAWN[0].strokes, 'touch');
    assert.match(await touch.$eval('#top', (e) => e.textContent ?? ''), /^1 \(/);
    assert.deepEqual(touchProblems, []);
    await touch.close();
  });

  it("the training report, linked from the page, opens under the server's sandbox without errors", async () => {
    const report = await chromium.browser.newPage();
    const reportProblems = watchPage(report);
    const href = await page.$eval('#report', (e) => (e as unknown as { href: string }).href);
    assert.equal(href, `${served.url}model/report.html`);
    await report.goto(href);
    assert.ok((await report.$$('svg')).length > 0, 'the report has its plots');
    assert.deepEqual(reportProblems, []);
    await report.close();
  });

  it('predict() refuses anything but 784 numbers in [0, 1]', async () => {
    for (const bad of ['[1, 2, 3]', 'new Array(784).fill(2)', 'new Array(784).fill(NaN)', 'null']) {
      const message = await page.evaluate(`window.mnistDeep.predict(${bad}).then(() => 'resolved', (e) => e.message)`);
      assert.match(String(message), /^predict: /, bad);
    }
  });

  it("TF.js' other backends work in the page too: wasm (its files, CSP and threads) and cpu", async () => {
    const other = await chromium.browser.newPage();
    const otherProblems = watchPage(other);
    await other.goto(served.url);
    await other.evaluate('window.mnistDeep.ready');
    const test = mnistTestSet();
    const images = Array.from({ length: 20 }, (_, i) => Array.from(digitAt(test.images, i), (v) => v / 255));
    await useBackend('wasm');
    const node = await predictProbabilities(await loadModel(modelDir), Float32Array.from(images.flat()), images.length);
    for (const name of ['wasm', 'cpu']) {
      const probs = (await other.evaluate(
        `tf.setBackend(${JSON.stringify(name)}).then(async (ok) => {
          if (!ok || tf.getBackend() !== ${JSON.stringify(name)}) throw new Error('setBackend failed');
          const all = ${JSON.stringify(images)};
          const out = [];
          for (const px of all) out.push(await window.mnistDeep.predict(px));
          return out;
        })`,
      )) as number[][];
      probs.forEach((p, i) =>
        p.forEach((v, c) => assert.ok(Math.abs(v - node[i * 10 + c]) < 1e-3, `${name}, image ${i}, class ${c}`)),
      );
    }
    assert.deepEqual(otherProblems, []);
    await other.close();
  });

  it('a Fashion-MNIST model: the page says so and shows class names', async () => {
    // The run's metadata is in model.json (userDefinedMetadata) and in metadata.json; relabel both.
    const files = ['model.json', 'metadata.json'].map((f) => join(modelDir, f));
    const originals = files.map((f) => readFileSync(f, 'utf8'));
    const relabel = (json: { userDefinedMetadata?: object; dataset?: string }) =>
      json.userDefinedMetadata
        ? { ...json, userDefinedMetadata: { ...json.userDefinedMetadata, dataset: 'fashion-mnist' } }
        : { ...json, dataset: 'fashion-mnist' };
    files.forEach((f, i) => writeFileSync(f, JSON.stringify(relabel(JSON.parse(originals[i])))));
    try {
      await page.reload();
      await page.evaluate('window.mnistDeep.ready');
      assert.equal(await text('#title'), 'Draw a piece of clothing');
      assert.match(await text('#model-info'), /Fashion-MNIST/);
      await draw(page, DRAWN[0].strokes);
      const labels = await page.$$eval('#bars li > span:first-child', (els) => els.map((e) => e.textContent));
      assert.equal(labels.length, 5);
      for (const l of labels)
        assert.ok(
          [
            'T-shirt/top',
            'Trouser',
            'Pullover',
            'Dress',
            'Coat',
            'Sandal',
            'Shirt',
            'Sneaker',
            'Bag',
            'Ankle boot',
          ].includes(l ?? ''),
          String(l),
        );
      assert.deepEqual(problems, []);
    } finally {
      files.forEach((f, i) => writeFileSync(f, originals[i]));
    }
  });
});
