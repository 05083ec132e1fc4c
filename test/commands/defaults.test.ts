/**
 * One source of defaults: the options' defaults and help text come from the
 * recipe table (RECIPE_DEFAULTS, SETTING_DEFAULTS), so what `train --help`
 * says and what a run without options gets are the same values.
 */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { buildProgram } from '../../src/cli';
import { RECIPE_DEFAULTS, defaultSaveDir, resolveConfig } from '../../src/train/config';

const command = (name: string) => {
  const cmd = buildProgram().commands.find((c) => c.name() === name);
  assert.ok(cmd, name);
  return cmd;
};

describe('defaults: one source for options, help text and config', () => {
  it("train --help shows the recipe table's values per model and recipe", () => {
    const help = command('train').helpInformation().replace(/\s+/g, ' ');
    for (const text of [
      'training steps (default: softmax 1000, cnn 20000; fast recipe: cnn 3000)',
      'examples per step (default: softmax 100, cnn 50; fast recipe: cnn 100)',
      'optimizer (default: softmax sgd, cnn adam)',
      'learning rate (default: softmax 0.5, cnn 1e-4; fast recipe: cnn 1e-3, cosine-decayed to 2%)',
      '(default: cnn 1000, softmax 0)',
      'where to save the model (default: models/<model>)',
    ])
      assert.ok(help.includes(text), `train --help: ${text}`);
    assert.equal(RECIPE_DEFAULTS.seed.cnn.steps, 20000, 'the help text above is the table');
  });

  it("the options' parsed defaults are the config's", () => {
    const train = command('train');
    train.parseOptions([]);
    const opts = train.opts();
    const cfg = resolveConfig({});
    for (const key of ['model', 'recipe', 'dataset', 'logEvery', 'evalBatchSize', 'validationSize', 'seed', 'backend'])
      assert.equal(opts[key], cfg[key as keyof typeof cfg], `--${key}`);
    const evalOpts = command('eval');
    evalOpts.parseOptions([]);
    assert.equal(evalOpts.opts().modelDir, cfg.saveDir);
    assert.equal(evalOpts.opts().evalBatchSize, cfg.evalBatchSize);
  });
});

describe("the README's train commands", () => {
  it('each saves to its own folder, so that any two can run at once (the TensorBoard one beside the main job)', () => {
    const readme = readFileSync(resolve(__dirname, '../../../README.md'), 'utf8');
    const lines = [...readme.matchAll(/mnist-deep train (--model \w+[^`#\n]*)/g)].map(([, args]) => args.trim());
    assert.ok(lines.length >= 3, lines.join('\n'));
    const folders = lines.map((args) => {
      const model = /--model (\w+)/.exec(args)![1];
      return /--save-dir (\S+)/.exec(args)?.[1] ?? defaultSaveDir(model);
    });
    // The same command written twice (the Quick start and its figures) is one job, not two.
    const jobs = new Map(lines.map((args, i) => [args, folders[i]]));
    const seen = new Map<string, string>();
    for (const [args, folder] of jobs) {
      assert.ok(!seen.has(folder), `\`${args}\` and \`${seen.get(folder)}\` both save to ${folder}`);
      seen.set(folder, args);
    }
  });
});
