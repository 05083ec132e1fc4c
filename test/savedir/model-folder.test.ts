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
});
