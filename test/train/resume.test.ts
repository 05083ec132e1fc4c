/**
 * --resume's rules, in-process on real checkpoint files: an option given again with the run's
 * own value is accepted, also where the checkpoint keeps it in another form (the schedule's
 * options, the defaults it leaves out); a changed one is refused, saying the run's value or that
 * it had none; a run that stopped early is finished, and more steps train it on.
 */
import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { UserError } from '../../src/errors';
import { writeCheckpoint } from '../../src/train/checkpoint';
import { type TrainOptions, resolveConfig } from '../../src/train/config';
import { type RunOptions, openRun } from '../../src/train/resume';
import { fixtureDatasets, tempDir } from '../helpers/fixtures';

const tmp = tempDir();
after(tmp.cleanup);
const fixture = fixtureDatasets(tmp.dir, 60, 10, 0, 1);
before(() => fixture.write());

const SOFTMAX_WEIGHTS = 784 * 10 + 10;

/** A save dir holding a checkpoint at `step` of a softmax run with these options. */
function checkpointed(name: string, opts: TrainOptions, step = 5, extra: Partial<{ plannedSteps: number }> = {}) {
  const dir = join(tmp.dir, name);
  const config = { ...resolveConfig({ model: 'softmax', steps: 20, saveDir: dir, ...opts }), ...extra };
  writeCheckpoint(dir, {
    config,
    step,
    data: fixture.read().train.getState(),
    weights: new Float32Array(SOFTMAX_WEIGHTS),
    optimizer: { name: 'sgd', step, slots: [] },
  });
  return dir;
}

/** The hint of the error openRun gives for `train --resume dir`. */
function hintOf(dir: string): string {
  try {
    openRun({ resume: dir, given: [] }).save.release();
    return 'accepted';
  } catch (err) {
    return err instanceof UserError ? (err.hint ?? 'no hint') : 'not a UserError';
  }
}

/** openRun as `train --resume dir` with `given` options, released at once; the error's message when it refuses. */
function resume(dir: string, given: Partial<RunOptions>): { steps?: number; plannedSteps?: number; error?: string } {
  try {
    const { save, cfg } = openRun({ ...given, resume: dir, given: Object.keys(given) });
    save.release();
    return { steps: cfg.steps, plannedSteps: cfg.plannedSteps };
  } catch (err) {
    if (!(err instanceof UserError)) throw err;
    return { error: err.message };
  }
}

describe('--resume', () => {
  it("accepts the schedule's options and the defaults as the run had them", () => {
    const dir = checkpointed('cosine', { learningRate: 1e-3, lrSchedule: 'cosine', lrFinal: 2e-5, warmupSteps: 4 });
    const same = { lrSchedule: 'cosine', lrFinal: 2e-5, warmupSteps: 4, learningRate: 1e-3, keep: 'last' } as const;
    assert.deepEqual(resume(dir, { ...same, recipe: 'seed' }), { steps: 20, plannedSteps: undefined });
    const constant = checkpointed('constant', {});
    assert.deepEqual(resume(constant, { lrSchedule: 'constant' }), { steps: 20, plannedSteps: undefined });
  });

  it("refuses a changed option, naming the run's value, or that it had none", () => {
    const dir = checkpointed('step', { lrSchedule: 'step', lrStepEvery: 5 });
    const refused = (given: Partial<RunOptions>) => resume(dir, given).error ?? 'accepted';
    assert.match(
      refused({ lrSchedule: 'cosine' }),
      /--lr-schedule cannot be changed \(the run has --lr-schedule step\)$/,
    );
    assert.match(refused({ lrStepEvery: 6 }), /\(the run has --lr-step-every 5\)$/);
    assert.match(refused({ lrFinal: 0.5 }), /\(the run has --lr-final 0\.005\)$/);
    assert.match(refused({ warmupSteps: 1 }), /\(the run has no --warmup-steps\)$/);
    assert.match(refused({ earlyStop: 3 }), /\(the run has no --early-stop\)$/);
    assert.match(refused({ keep: 'best' }), /\(the run has --keep last\)$/);
    // Only the end rate is compared up to rounding, and it is shown as given.
    const seeded = checkpointed('seeded', {
      seed: 1_000_000_000,
      learningRate: 0.19,
      lrSchedule: 'cosine',
      lrFinal: 0.05,
    });
    assert.match(resume(seeded, { seed: 1_000_000_001 }).error ?? 'accepted', /\(the run has --seed 1000000000\)$/);
    assert.match(resume(seeded, { lrFinal: 0.06 }).error ?? 'accepted', /\(the run has --lr-final 0\.05\)$/);
    assert.equal(resume(seeded, { lrFinal: 0.05 }).error, undefined);
  });

  it('says a run that stopped early is finished, and trains it on when given more steps', () => {
    const dir = checkpointed('early', { steps: 5, earlyStop: 2, validateEvery: 5 }, 5, { plannedSteps: 20 });
    for (const f of ['model.json', 'weights.bin']) writeFileSync(join(dir, f), '{}');
    const meta = { model: 'softmax', dataset: 'mnist', steps: 5, testAccuracy: 0.5 };
    writeFileSync(join(dir, 'metadata.json'), JSON.stringify(meta));
    // The checkpoint's config.steps is where it stopped (5); plannedSteps the 20 asked for.
    const cfg = resume(dir, {});
    assert.match(cfg.error ?? '', /stopped early at step 5 of 20 \(--early-stop 2, model and results saved\)$/);
    assert.match(hintOf(dir), /--resume .*early --steps 20$/, 'the steps it was asked for are offered');
    assert.deepEqual(resume(dir, { steps: 40 }), { steps: 40, plannedSteps: undefined });
  });
});
