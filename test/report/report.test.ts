/**
 * report.html: written by `train` into its save dir and by `eval --report`, from the step log kept
 * in the save dir; then opened in real headless Chromium from disk, as a person would.
 */
import { strict as assert } from 'node:assert';
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PNG } from 'pngjs';
import type { Browser, Page } from 'puppeteer-core';
import { renderReport } from '../../src/report/html';
import { flattenSettings, settingLabel } from '../../src/report/build';
import { appendStepLog, readStepLog, startStepLog } from '../../src/savedir/steplog';
import { STEP_LOG_FILE } from '../../src/run-files';
import { barChart, lineChart, linearTicks, logTicks } from '../../src/report/svg';
import { chromiumMissing, launchChromium, watchPage } from '../helpers/chromium';
import { runInProcess } from '../helpers/in-process';
import { mnistDataDir } from '../../scripts/digits';
import { tempDir } from '../helpers/fixtures';

/** Screenshots are kept here (not committed); MNIST_DEEP_UPDATE_DOCS=1 also refreshes the README's. */
const ARTIFACTS = resolve(__dirname, '../../../test-artifacts');
const DOCS_SHOT = resolve(__dirname, '../../../docs/report.png');

const tmp = tempDir();
after(tmp.cleanup);

describe('report pieces', () => {
  it('ticks are round numbers covering the range', () => {
    assert.deepEqual(linearTicks(0, 1), [0, 0.2, 0.4, 0.6, 0.8, 1]);
    assert.deepEqual(linearTicks(0, 1000), [0, 200, 400, 600, 800, 1000]);
    assert.deepEqual(linearTicks(0, 280), [0, 100, 200]);
    assert.deepEqual(linearTicks(0.85, 1, 3), [0.85, 0.9, 0.95, 1]);
    assert.deepEqual(logTicks(0.05, 14), [0.1, 1, 10]);
    assert.deepEqual(logTicks(0.2, 3), [0.2, 0.5, 1, 2]);
  });

  it('the step log survives a torn line and a resume drops the steps it will repeat', () => {
    const dir = join(tmp.dir, 'log');
    mkdirSync(dir);
    startStepLog(dir, 0);
    for (const step of [0, 10, 20, 30]) appendStepLog(dir, { step, loss: 1 / (step + 1), trainAccuracy: step / 40 });
    appendStepLog(dir, { step: 20, validationAccuracy: 0.5 });
    appendFileSync(join(dir, STEP_LOG_FILE), '{"step":40,"lo'); // killed mid-write
    assert.deepEqual(
      readStepLog(dir).train.map((r) => r.step),
      [0, 10, 20, 30],
    );
    // Resumed from the checkpoint at step 20: steps 20 and 30 will be trained (and logged) again.
    startStepLog(dir, 20);
    assert.deepEqual(readStepLog(dir), {
      train: [
        { step: 0, loss: 1, trainAccuracy: 0 },
        { step: 10, loss: 1 / 11, trainAccuracy: 0.25 },
      ],
      validation: [{ step: 20, validationAccuracy: 0.5 }],
    });
    startStepLog(dir, 0);
    assert.equal(readFileSync(join(dir, STEP_LOG_FILE), 'utf8'), '');
  });

  it('settings get the words a person reads, not their keys', () => {
    assert.equal(settingLabel('hyperParameters.batchSize'), 'batch size');
    assert.equal(
      settingLabel('hyperParameters.learningRateDecay.finalFraction'),
      'learning-rate decay: final fraction',
    );
    assert.equal(settingLabel('versions.tfjs'), 'TensorFlow.js version');
    assert.equal(settingLabel('someNewThing.innerKey'), 'some new thing: inner key');
  });

  it("per-class bars use the axis they are given; curves reach the run's last step", () => {
    const bars = barChart({ title: 't', labels: ['a', 'b'], values: [0.95, 1], xLabel: 'x', range: [0.9, 1] });
    const widths = [...bars.matchAll(/<rect [^>]*width="([\d.]+)"/g)].map((m) => Number(m[1]));
    assert.ok(Math.abs(widths[0] / widths[1] - 0.5) < 0.01, `0.95 on [0.9, 1] is half a bar: ${widths.join(', ')}`);
    const curve = (xMax?: number) =>
      lineChart({
        title: 't',
        xLabel: 's',
        yLabel: 'l',
        xMax,
        series: [
          {
            name: 'l',
            color: '#000',
            style: 'line',
            points: [
              [0, 1],
              [500, 0.5],
            ],
          },
        ],
      });
    assert.ok(!/class="tick">600</.test(curve()));
    assert.ok(/class="tick">600</.test(curve(600)), 'a 600-step run logged to step 500 has its axis to 600');
  });

  it('settings are flattened, and every text is escaped', () => {
    assert.deepEqual(
      flattenSettings({ model: 'cnn', hyperParameters: { learningRate: 0.0001, batchSize: 50 }, seconds: 12.3456789 }),
      [
        ['model', 'cnn'],
        ['hyperParameters.learningRate', '0.0001'],
        ['hyperParameters.batchSize', '50'],
        ['seconds', '12.3457'],
      ],
    );
    const html = renderReport({
      title: '<script>alert(1)</script>',
      settings: [['a"b', '<img src=x>']],
      curve: { train: [], validation: [] },
      classNames: ['<b>', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
      test: {
        accuracy: 0.5,
        examples: 2,
        confusion: Array.from({ length: 10 }, () => new Array(10).fill(0)),
        perClass: new Array(10).fill(NaN),
      },
      wrong: [],
      wrongCount: 0,
    });
    assert.doesNotMatch(html, /<script|<img src=x|<b>/);
    assert.match(html, /&lt;script&gt;/);
    assert.match(html, /No step log/);
  });
});

describe('report from real runs', () => {
  const save = join(tmp.dir, 'softmax');
  const evalReport = join(tmp.dir, 'eval-report.html');

  before(async () => {
    const r = await runInProcess(
      [
        'train',
        '--model',
        'softmax',
        '--steps',
        '300',
        '--log-every',
        '20',
        '--data-dir',
        mnistDataDir(),
        '--save-dir',
        save,
      ],
      { cwd: tmp.dir },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /saved .* \(model\.json, weights\.bin, metadata\.json, report\.html\)/);
  });

  it('train writes report.html and steps.jsonl into the save dir', () => {
    const log = readStepLog(save);
    assert.deepEqual(
      log.train.map((r) => r.step),
      Array.from({ length: 15 }, (_, i) => i * 20),
    );
    assert.equal(log.validation.length, 1);
    assert.equal(log.validation[0].step, 300);
    const html = readFileSync(join(save, 'report.html'), 'utf8');
    assert.equal((html.match(/<svg /g) ?? []).length, 4);
    assert.equal((html.match(/<img src="data:image\/png;base64,/g) ?? []).length, 32);
    assert.doesNotMatch(html, /https?:\/\/(?!www\.w3\.org\/2000\/svg)/, 'no network address in the page');
    const meta = JSON.parse(readFileSync(join(save, 'metadata.json'), 'utf8'));
    assert.ok(html.includes(`<strong id="test-accuracy">${meta.testAccuracy.toFixed(4)}</strong>`));
    for (const setting of ['model', 'softmax', 'learning rate', 'TensorFlow.js version', 'steps trained'])
      assert.ok(html.includes(`<td>${setting}</td>`), setting);
  });

  it('eval --report writes one for a saved model, and refuses a folder as the file', async () => {
    const r = await runInProcess(['eval', '--model-dir', save, '--data-dir', mnistDataDir(), '--report', evalReport], {
      cwd: tmp.dir,
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /report written to .*eval-report\.html/);
    const html = readFileSync(evalReport, 'utf8');
    assert.equal((html.match(/<svg /g) ?? []).length, 4, 'the step log next to the model gives the curves');
    assert.ok(html.includes('<td>report: evaluated on backend</td>'));
    const bad = await runInProcess(['eval', '--model-dir', save, '--report', tmp.dir], { cwd: tmp.dir });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /mnist-deep: error: --report .*: is a folder/);
  });

  it('a resumed run continues the curve: each step once, the validation measured at each end', async () => {
    const dir = join(tmp.dir, 'resumed');
    const common = ['--log-every', '10', '--data-dir', mnistDataDir()];
    const first = await runInProcess(
      ['train', '--model', 'softmax', '--steps', '40', '--checkpoint-every', '20', '--save-dir', dir, ...common],
      { cwd: tmp.dir },
    );
    assert.equal(first.code, 0, first.stderr);
    const second = await runInProcess(['train', '--resume', dir, '--steps', '60', '--log-every', '10'], {
      cwd: tmp.dir,
    });
    assert.equal(second.code, 0, second.stderr);
    const log = readStepLog(dir);
    assert.deepEqual(
      log.train.map((r) => r.step),
      [0, 10, 20, 30, 40, 50],
    );
    assert.deepEqual(
      log.validation.map((r) => r.step),
      [40, 60],
    );
    const lines = readFileSync(join(dir, STEP_LOG_FILE), 'utf8').trim().split('\n');
    assert.equal(lines.length, 8, 'no step logged twice');
  });

  const skip = chromiumMissing();
  describe('in Chromium', { skip }, () => {
    let chromium: { browser: Browser; close: () => Promise<void> };
    let page: Page;
    let problems: string[];
    const requests: string[] = [];

    before(async () => {
      chromium = await launchChromium();
      page = await chromium.browser.newPage();
      problems = watchPage(page);
      page.on('request', (r) => requests.push(r.url()));
      await page.setViewport({ width: 1240, height: 900 });
      await page.goto('file://' + join(save, 'report.html'), { waitUntil: 'load' });
    });
    after(async () => chromium?.close());

    it('loads from disk with no console errors and no network request', () => {
      assert.deepEqual(problems, []);
      const other = requests.filter((u) => !u.startsWith('file://') && !u.startsWith('data:'));
      assert.deepEqual(other, []);
    });

    it('the four charts are drawn and not blank', async () => {
      const charts = await page.$$('svg.chart');
      assert.equal(charts.length, 4);
      for (const chart of charts) {
        const box = await chart.boundingBox();
        assert.ok(box && box.width > 200 && box.height > 150, `chart box ${JSON.stringify(box)}`);
        const shot = PNG.sync.read(Buffer.from(await chart.screenshot({ type: 'png' })));
        const colours = new Set<number>();
        let inked = 0;
        for (let i = 0; i < shot.data.length; i += 4) {
          const [r, g, b] = [shot.data[i], shot.data[i + 1], shot.data[i + 2]];
          colours.add((r << 16) | (g << 8) | b);
          if (r + g + b < 600) inked++;
        }
        assert.ok(inked / (shot.width * shot.height) > 0.01, `chart has ${inked} inked pixels`);
        assert.ok(colours.size > 8, `chart has ${colours.size} colours`);
      }
      // Data, not just axes: the loss and accuracy lines, 10 bars, 100 heat-map cells.
      assert.equal(await page.$$eval('path.series', (p) => p.length), 2);
      assert.equal(await page.$$eval('rect.bar', (r) => r.length), 10);
      assert.equal(await page.$$eval('rect.cell', (r) => r.length), 100);
    });

    it('the 32 wrong digits are real pictures', async () => {
      // In the page (a string: this project compiles without DOM types): each image's own pixels.
      const stats = (await page.evaluate(`[...document.querySelectorAll('figure img')].map((img) => {
        const canvas = document.createElement('canvas');
        canvas.width = canvas.height = 28;
        const ctx = canvas.getContext('2d');
        ctx.drawImage(img, 0, 0);
        const d = ctx.getImageData(0, 0, 28, 28).data;
        let bright = 0;
        for (let i = 0; i < d.length; i += 4) if (d[i] > 128) bright++;
        return { complete: img.complete, width: img.naturalWidth, bright, shown: img.getBoundingClientRect().width };
      })`)) as Array<{ complete: boolean; width: number; bright: number; shown: number }>;
      assert.equal(stats.length, 32);
      for (const s of stats) {
        assert.ok(s.complete && s.width === 28, JSON.stringify(s));
        assert.ok(s.bright > 20 && s.bright < 500, `a digit has ${s.bright} bright pixels of 784`);
        assert.ok(s.shown >= 80);
      }
    });

    it('keeps a screenshot', async () => {
      if (!existsSync(ARTIFACTS)) mkdirSync(ARTIFACTS, { recursive: true });
      const shot = Buffer.from(await page.screenshot({ type: 'png', fullPage: true }));
      writeFileSync(join(ARTIFACTS, 'report.png'), shot);
      if (process.env.MNIST_DEEP_UPDATE_DOCS === '1') writeFileSync(DOCS_SHOT, shot);
      assert.ok(PNG.sync.read(shot).height > 1000);
    });
  });
});
