import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { LearningRateSchedule, describeSchedule, learningRateAt, makeSchedule } from '../../src/optim';

/** TensorFlow's numbers, written by scripts/lr-schedules.py (see there for the mapping to TF's classes). */
interface Fixture {
  tensorflow: string;
  cases: {
    name: string;
    learningRate: number;
    schedule: LearningRateSchedule;
    tf: string;
    steps: number[];
    rates: number[];
  }[];
}
const FIXTURE: Fixture = JSON.parse(
  readFileSync(resolve(__dirname, '../../../test/fixtures/lr-schedules.json'), 'utf8'),
) as Fixture;

/**
 * TF computes in float32, we in double: a rate may differ by float32's rounding of
 * the steps between (measured: under one unit in the last place of the initial rate).
 */
const ULPS = 1;
const float32Ulp = (x: number) => Math.abs(x) * 2 ** -23;

describe(`learning-rate schedules against TensorFlow ${FIXTURE.tensorflow}`, () => {
  for (const c of FIXTURE.cases) {
    it(`${c.name}: ${c.tf}`, () => {
      assert.ok(c.steps.length > 10 && c.steps.length === c.rates.length);
      c.steps.forEach((step, i) => {
        const ours = learningRateAt({ learningRate: c.learningRate, decay: c.schedule }, step);
        const tf = c.rates[i];
        assert.ok(
          Math.abs(ours - tf) <= ULPS * float32Ulp(c.learningRate),
          `step ${step}: ${ours} vs TensorFlow's ${tf}`,
        );
      });
    });
  }

  it('the options make the schedules of the fixture', () => {
    for (const c of FIXTURE.cases) {
      const s = c.schedule;
      const made = makeSchedule(
        {
          schedule: s.kind,
          lrFinal: s.finalFraction * c.learningRate,
          ...(s.warmupSteps !== undefined && { warmupSteps: s.warmupSteps }),
          ...(s.stepEvery !== undefined && { lrStepEvery: s.stepEvery }),
        },
        c.learningRate,
        s.steps,
      );
      assert.equal(made.error, undefined);
      assert.deepEqual({ ...made.schedule, finalFraction: 0 }, { ...s, finalFraction: 0 });
      assert.ok(Math.abs((made.schedule?.finalFraction ?? NaN) - s.finalFraction) < 1e-12);
    }
  });
});

describe('schedule options', () => {
  const make = (c: Parameters<typeof makeSchedule>[0], lr = 1e-3, steps = 100) => makeSchedule(c, lr, steps);

  it('constant is no schedule; the defaults are TF alpha 0 for cosine, 1% for step and exponential', () => {
    assert.deepEqual(make({ schedule: 'constant' }), {});
    assert.deepEqual(make({ schedule: 'cosine' }).schedule, { kind: 'cosine', steps: 100, finalFraction: 0 });
    assert.deepEqual(make({ schedule: 'exponential' }).schedule, {
      kind: 'exponential',
      steps: 100,
      finalFraction: 0.01,
    });
    assert.deepEqual(make({ schedule: 'cosine' }, 1e-3, 100).schedule?.finalFraction, 0);
    assert.equal(makeSchedule({ schedule: 'cosine' }, 1e-3, 100, 0.02).schedule?.finalFraction, 0.02);
  });

  it('an option the schedule does not use, or one out of range, is refused naming it', () => {
    const cases: [Parameters<typeof makeSchedule>[0], RegExp][] = [
      [{ schedule: 'constant', lrFinal: 1e-5 }, /^--lr-final: the constant learning-rate schedule does not use it$/],
      [{ schedule: 'cosine', lrStepEvery: 10 }, /^--lr-step-every: the cosine/],
      [{ schedule: 'exponential', warmupSteps: 10 }, /^--warmup-steps: the exponential/],
      [{ schedule: 'step', warmupSteps: 10, lrStepEvery: 10 }, /^--warmup-steps: the step/],
      [{ schedule: 'step' }, /^--lr-schedule step: needs --lr-step-every/],
      [{ schedule: 'step', lrStepEvery: 100 }, /^--lr-step-every 100: must be fewer than the run's 100 steps/],
      [{ schedule: 'cosine', warmupSteps: 100 }, /^--warmup-steps 100: must be fewer/],
      [{ schedule: 'cosine', lrFinal: 0.1 }, /^--lr-final 0.1: must not be above the learning rate 0.001$/],
      [{ schedule: 'exponential', lrFinal: 0 }, /^--lr-final 0: an exponential decay never reaches 0/],
    ];
    for (const [choice, error] of cases) assert.match(make(choice).error ?? '', error, JSON.stringify(choice));
  });

  it('each schedule in words', () => {
    assert.equal(describeSchedule({ kind: 'cosine', steps: 3000, finalFraction: 0.02 }), 'cosine-decayed to 2%');
    assert.equal(
      describeSchedule({ kind: 'cosine', steps: 3000, finalFraction: 0, warmupSteps: 100 }),
      'cosine-decayed to 0%, after 100 warmup steps',
    );
    assert.equal(
      describeSchedule({ kind: 'step', steps: 3000, finalFraction: 0.01, stepEvery: 1000 }),
      'step-decayed to 1% (a drop every 1000 steps)',
    );
    assert.equal(
      describeSchedule({ kind: 'exponential', steps: 30, finalFraction: 0.5 }),
      'exponentially decayed to 50%',
    );
  });
});
