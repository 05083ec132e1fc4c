/**
 * Our event files as TensorBoard itself reads them: its Python EventAccumulator (every scalar,
 * step and tag as our reader reads them, the images decoded, the text), then the real
 * `tensorboard` server (its data server's view, a live run's points within seconds) and its
 * scalars page in Chromium. Skips, saying why, without the tensorboard package or Chromium.
 */
import { strict as assert } from 'node:assert';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PNG } from 'pngjs';
import { readEventDir, scalarSeries } from '../../src/tensorboard/reader';
import { chromiumMissing, launchChromium } from '../helpers/chromium';
import { runCli, spawnCli } from '../helpers/cli';
import { mnistDataDir } from '../../scripts/digits';
import { tempDir, writeDataset } from '../helpers/fixtures';
import { RunningTensorBoard, runPython, startTensorBoard, tensorboardMissing } from '../helpers/tensorboard';

/** The screenshot is kept here (not committed; the README's are of a longer CNN run). */
const ARTIFACTS = resolve(__dirname, '../../../test-artifacts');

const TRAIN_TAGS = ['train/loss', 'train/accuracy', 'train/learning_rate', 'train/examples_per_sec'];

/** TensorBoard's two accumulators: the classic one for scalars and images, the plugin one for text. */
const ACCUMULATE = `
import io, json, sys
from tensorboard.backend.event_processing import event_accumulator as ea
from tensorboard.backend.event_processing import plugin_event_accumulator as pea
path = sys.argv[1]
acc = ea.EventAccumulator(path, size_guidance={ea.SCALARS: 0, ea.IMAGES: 0})
acc.Reload()
out = {"scalars": {}, "images": {}, "text": {}}
for tag in acc.Tags()["scalars"]:
    out["scalars"][tag] = [[e.step, e.value] for e in acc.Scalars(tag)]
for tag in acc.Tags()["images"]:
    rows = []
    for e in acc.Images(tag):
        try:
            from PIL import Image
            picture = Image.open(io.BytesIO(e.encoded_image_string))
            picture.load()
            decoded = list(picture.size)
        except ImportError:
            decoded = None
        rows.append({"step": e.step, "width": e.width, "height": e.height, "decoded": decoded,
                     "png": e.encoded_image_string.hex()})
    out["images"][tag] = rows
plugins = pea.EventAccumulator(path, size_guidance={pea.TENSORS: 0})
plugins.Reload()
for tag in plugins.PluginTagToContent("text"):
    out["text"][tag] = [[e.step, e.tensor_proto.string_val[0].decode()] for e in plugins.Tensors(tag)]
print(json.dumps(out))
`;

interface Accumulated {
  scalars: Record<string, Array<[number, number]>>;
  images: Record<string, Array<{ step: number; width: number; height: number; decoded: number[] | null; png: string }>>;
  text: Record<string, Array<[number, string]>>;
}

/** Our reader's scalars in the accumulator's shape. */
function ourScalars(dir: string): Record<string, Array<[number, number]>> {
  const series = scalarSeries(readEventDir(dir));
  return Object.fromEntries([...series].map(([tag, points]) => [tag, points.map((p) => [p.step, p.value])]));
}

const tmp = tempDir();
after(tmp.cleanup);
const root = join(tmp.dir, 'runs');

describe('TensorBoard reads our event files', { skip: tensorboardMissing() }, () => {
  const run = join(root, 'softmax');
  // Not under root: the server's page shows the softmax run alone.
  const resumed = join(tmp.dir, 'other-runs', 'resumed');

  before(async () => {
    const trained = await runCli(
      ['train', '--model', 'softmax', '--steps', '300', '--log-every', '20', '--data-dir', mnistDataDir()].concat([
        '--save-dir',
        join(tmp.dir, 'softmax'),
        '--logdir',
        run,
      ]),
      { cwd: tmp.dir },
    );
    assert.equal(trained.code, 0, trained.stderr);
    const data = join(tmp.dir, 'fixture');
    writeDataset(data, 1000, 200);
    const save = join(tmp.dir, 'resumed');
    const first = await runCli(
      ['train', '--model', 'softmax', '--steps', '40', '--checkpoint-every', '20', '--log-every', '5'].concat([
        '--data-dir',
        data,
        '--validation-size',
        '100',
        '--save-dir',
        save,
        '--logdir',
        resumed,
      ]),
      { cwd: tmp.dir },
    );
    assert.equal(first.code, 0, first.stderr);
    const second = await runCli(['train', '--resume', save, '--steps', '60'], { cwd: tmp.dir });
    assert.equal(second.code, 0, second.stderr);
  });

  it('EventAccumulator reads every scalar, step and tag as we wrote them; the images decode; the text is ours', () => {
    const got = runPython<Accumulated>(ACCUMULATE, [run]);
    assert.deepEqual(got.scalars, ourScalars(run));
    assert.deepEqual(Object.keys(got.scalars).sort(), [...TRAIN_TAGS, 'test/accuracy', 'validation/accuracy'].sort());
    assert.equal(got.scalars['train/loss'].length, 15);
    assert.deepEqual(Object.keys(got.images).sort(), ['test/confusion_matrix', 'test/most_confidently_wrong']);
    for (const [tag, [picture]] of Object.entries(got.images)) {
      assert.equal(picture.step, 300, tag);
      const png = PNG.sync.read(Buffer.from(picture.png, 'hex'));
      assert.deepEqual([png.width, png.height], [picture.width, picture.height], tag);
      if (picture.decoded) assert.deepEqual(picture.decoded, [picture.width, picture.height], tag);
    }
    assert.deepEqual(Object.keys(got.text).sort(), ['settings', 'test/per_class_accuracy']);
    assert.equal(got.text.settings[0][0], 0);
    assert.match(got.text.settings[0][1], /\| model \| softmax \|/);
  });

  it('a resumed run reads as one curve, each step once', () => {
    const got = runPython<Accumulated>(ACCUMULATE, [resumed]);
    assert.deepEqual(got.scalars, ourScalars(resumed));
    const range = Array.from({ length: 12 }, (_, i) => i * 5);
    for (const tag of TRAIN_TAGS)
      assert.deepEqual(
        got.scalars[tag].map(([step]) => step),
        range,
        tag,
      );
    assert.deepEqual(
      got.scalars['validation/accuracy'].map(([step]) => step),
      [40, 60],
    );
  });

  // 900 training images in batches of 100 log every 5 steps: an epoch, 9 steps, validates every 10.
  it('the validations during training are a validation run whose accuracy and loss overlay the training ones, resumed as one curve', async () => {
    // What the server below serves (the accumulator script reads text too, which this run has none of).
    const validation = { scalars: ourScalars(join(resumed, 'validation')) };
    for (const tag of ['accuracy', 'loss'])
      assert.deepEqual(
        validation.scalars[tag].map(([step]) => step),
        [10, 20, 30, 40, 50, 60],
        tag,
      );
    const training = runPython<Accumulated>(ACCUMULATE, [resumed]);
    assert.deepEqual(
      training.scalars.accuracy,
      training.scalars['train/accuracy'],
      'the batch accuracy under the shared tag',
    );
    // The server: one `accuracy` chart, two runs.
    const board = await startTensorBoard(dirname(resumed));
    try {
      const r = await fetch(board.url + 'data/plugin/scalars/tags');
      const tags = (await r.json()) as Record<string, Record<string, unknown>>;
      assert.deepEqual(Object.keys(tags).sort(), ['resumed', 'resumed/validation']);
      for (const run of Object.keys(tags)) assert.ok('accuracy' in tags[run] && 'loss' in tags[run], run);
      const points = await fetch(
        board.url + 'data/plugin/scalars/scalars?run=' + encodeURIComponent('resumed/validation') + '&tag=accuracy',
      );
      assert.deepEqual(
        ((await points.json()) as Array<[number, number, number]>).map(([, step, value]) => [step, value]),
        validation.scalars.accuracy,
      );
    } finally {
      await board.stop();
    }
  });

  describe('the tensorboard server', () => {
    let board: RunningTensorBoard;
    const get = async <T>(path: string): Promise<T> => {
      const r = await fetch(board.url + path);
      assert.equal(r.status, 200, path);
      return (await r.json()) as T;
    };

    before(async () => {
      board = await startTensorBoard(root);
    });
    after(async () => board?.stop());

    it('serves our tags and points, the images and the settings text', async () => {
      const tags = await get<Record<string, Record<string, unknown>>>('data/plugin/scalars/tags');
      assert.deepEqual(Object.keys(tags.softmax).sort(), Object.keys(ourScalars(run)).sort());
      const points = await get<Array<[number, number, number]>>(
        'data/plugin/scalars/scalars?run=softmax&tag=' + encodeURIComponent('train/loss'),
      );
      assert.deepEqual(
        points.map(([, step, value]) => [step, value]),
        ourScalars(run)['train/loss'],
      );
      const images = await get<Record<string, Record<string, unknown>>>('data/plugin/images/tags');
      assert.deepEqual(Object.keys(images.softmax).sort(), ['test/confusion_matrix', 'test/most_confidently_wrong']);
      const text = await get<Record<string, string[]>>('data/plugin/text/tags');
      assert.ok(text.softmax.includes('settings'));
    });

    describe('in Chromium', { skip: chromiumMissing() }, () => {
      // Before the live run joins the server's folder.
      it('the scalars page lists our tags (screenshot kept)', async () => {
        const chromium = await launchChromium();
        try {
          const page = await chromium.browser.newPage();
          await page.setViewport({ width: 1400, height: 1250 });
          await page.goto(board.url + '#scalars', { waitUntil: 'load' });
          // Every text on the page, through the shadow roots of TensorBoard's web components.
          const texts = `(() => { const out = []; const walk = (n) => { if (n.shadowRoot) walk(n.shadowRoot);
            for (const c of n.childNodes) { if (c.nodeType === 3) out.push(c.textContent.trim()); else walk(c); } };
            walk(document.body); return out.filter(Boolean); })()`;
          const t0 = Date.now();
          let shown: string[] = [];
          while (!TRAIN_TAGS.every((t) => shown.includes(t))) {
            assert.ok(Date.now() - t0 < 60_000, `the page shows: ${shown.join(' | ').slice(0, 2000)}`);
            await new Promise((r) => setTimeout(r, 500));
            shown = (await page.evaluate(texts)) as string[];
          }
          // The other groups of tags, closed at first.
          for (const group of ['validation', 'test']) assert.ok(shown.includes(group), group);
          // The picture once the charts have their points (no request for 300 ms) and have drawn them
          // (Plottable draws on animation frames).
          await page.waitForNetworkIdle({ idleTime: 300 });
          await page.evaluate('new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))');
          const shot = Buffer.from(await page.screenshot({ type: 'png' }));
          mkdirSync(ARTIFACTS, { recursive: true });
          writeFileSync(join(ARTIFACTS, 'tensorboard.png'), shot);
        } finally {
          await chromium.close();
        }
      });
    });

    it("sees a live run's points within seconds", async () => {
      const data = join(tmp.dir, 'live-data');
      writeDataset(data, 1000, 200);
      const live = spawnCli(
        ['train', '--model', 'softmax', '--steps', '1000000', '--log-every', '50', '--data-dir', data].concat([
          '--validation-size',
          '100',
          '--save-dir',
          join(tmp.dir, 'live'),
          '--logdir',
          join(root, 'live'),
        ]),
        { cwd: tmp.dir },
      );
      try {
        await live.waitFor(/step 500,/);
        const seen = Date.now();
        let last = -1;
        while (last < 500) {
          assert.ok(Date.now() - seen < 30_000, `TensorBoard still at step ${last} 30 s after step 500 was logged`);
          await new Promise((r) => setTimeout(r, 250));
          const r = await fetch(`${board.url}data/plugin/scalars/scalars?run=live&tag=train%2Floss`);
          if (r.status === 200) last = Math.max(-1, ...((await r.json()) as Array<[number, number]>).map((p) => p[1]));
        }
        assert.equal(live.child.exitCode, null, 'seen while training still runs');
      } finally {
        live.child.kill('SIGINT');
        await live.done;
      }
    });
  });
});
