/**
 * eval, predict and serve on a folder without a trained model: an unfinished
 * run is named with the command that finishes it, an empty or missing folder
 * gets the one "train first" hint for the model its name suggests, and trained
 * models beside it are named. In-process: the rule is one function.
 */
import { strict as assert } from 'node:assert';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { UserError } from '../../src/errors';
import { acquireLock } from '../../src/savedir/lock';
import { requireTrainedModel } from '../../src/savedir/model-folder';
import { tempDir } from '../helpers/fixtures';

const tmp = tempDir();
after(tmp.cleanup);
// Trained models are named when they sit beside the folder, inside the folder we run in.
process.chdir(tmp.dir);

function failure(dir: string): UserError {
  try {
    requireTrainedModel(dir);
  } catch (err) {
    assert.ok(err instanceof UserError);
    return err;
  }
  assert.fail(`${dir}: no error`);
}

describe('a model folder without a trained model', () => {
  const models = join(tmp.dir, 'models');
  mkdirSync(join(models, 'softmax'), { recursive: true });
  writeFileSync(join(models, 'softmax', 'model.json'), '{}');

  it('a trained model passes', () => {
    assert.doesNotThrow(() => requireTrainedModel(join(models, 'softmax')));
  });

  it('an unfinished run: its step, the resume command, and the trained models beside it', () => {
    mkdirSync(join(models, 'cnn'));
    writeFileSync(join(models, 'cnn', 'checkpoint.json'), JSON.stringify({ step: 492, config: { steps: 20000 } }));
    const err = failure(join(models, 'cnn'));
    assert.match(err.message, /cnn: holds an unfinished run \(step 492 of 20,000\), no trained model yet/);
    assert.match(err.message, /trained models here: models\/softmax$/);
    assert.match(err.hint ?? '', /^finish it with: (npx )?mnist-deep train --resume \S*models\/cnn$/);
  });

  it('nothing there: one "train first" hint, for the model the folder is named after', () => {
    const err = failure(join(models, 'softmax-2'));
    assert.match(err.message, /^--model-dir models\/softmax-2: no such folder; trained models here: models\/softmax$/);
    assert.match(err.hint ?? '', /^train one first: (npx )?mnist-deep train --model softmax --save-dir \S*softmax-2$/);
    mkdirSync(join(tmp.dir, 'empty'));
    const empty = failure(join(tmp.dir, 'empty'));
    assert.match(empty.message, /empty: no trained model there$/);
    assert.match(empty.hint ?? '', /--model cnn --save-dir/);
  });

  it('nothing trained anywhere near: the hint offers the one-minute softmax model too', () => {
    const err = failure(join(tmp.dir, 'fresh', 'models', 'cnn'));
    assert.match(
      err.hint ?? '',
      /^train one first: (npx )?mnist-deep train --model cnn --save-dir \S*cnn; or a first model in about a minute: (npx )?mnist-deep train --model softmax, then add --model-dir models\/softmax$/,
    );
    // With a trained model beside it, that model is named instead.
    assert.doesNotMatch(failure(join(models, 'cnn-2')).hint ?? '', /softmax/);
  });

  it('a run training there now: its process, step and time left, and no --resume (the run holds the folder)', () => {
    const live = join(models, 'live');
    mkdirSync(live);
    const config = { steps: 20000, batchSize: 50 };
    writeFileSync(join(live, 'checkpoint.json'), JSON.stringify({ step: 1000, config }));
    const steps = [1100, 1200].map((step) =>
      JSON.stringify({ step, loss: 0.1, trainAccuracy: 1, examplesPerSec: 1000 }),
    );
    writeFileSync(join(live, 'steps.jsonl'), steps.join('\n') + '\n');
    // This test's process holds the folder's lock, as a training run does.
    const lock = acquireLock(live, '--save-dir');
    const err = failure(live);
    assert.equal(
      err.message,
      `--model-dir models/live: a run is training there now (process ${process.pid}, step 1,200 of 20,000, done in about 15m40s), no trained model yet; trained models here: models/softmax`,
    );
    assert.doesNotMatch(err.hint ?? '', /--resume/);
    lock.release();
    // Once no process holds it, the unfinished run is offered to --resume.
    assert.match(failure(live).hint ?? '', /train --resume \S*models\/live$/);
  });
});
