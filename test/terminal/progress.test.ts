/**
 * The training ETA follows the recent rate: a run that speeds up or slows down is estimated at its
 * new speed within a minute or so, not at its average since the start.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { RecentRate } from '../../src/terminal/progress';

/** Feeds `steps` steps at `perSecond`, one update a step, from `from` (step, ms); returns where it ended. */
function feed(rate: RecentRate, from: { step: number; ms: number }, steps: number, perSecond: number) {
  let { step, ms } = from;
  for (let i = 0; i < steps; i++) rate.add(++step, (ms += 1000 / perSecond));
  return { step, ms };
}

describe('RecentRate', () => {
  it('a slow first minute (5 steps/s), then 50 steps/s: within a minute the ETA is the fast one', () => {
    const rate = new RecentRate();
    rate.add(0, 0);
    let at = feed(rate, { step: 0, ms: 0 }, 300, 5); // 60 s slow
    at = feed(rate, at, 3000, 50); // 60 s fast
    const left = rate.secondsLeft(20_000)!;
    const recent = (20_000 - at.step) / 50;
    const sinceStart = (20_000 - at.step) / (at.step / (at.ms / 1000));
    assert.ok(Math.abs(left - recent) / recent < 0.1, `ETA ${left} s, at the recent rate ${recent} s`);
    assert.ok(sinceStart > 1.5 * recent, 'the average since the start would be far off');
    assert.ok(Math.abs(rate.perSecond()! - 50) < 5, `speed ${rate.perSecond()}`);
  });

  it('a busy minute at a third of the speed raises the ETA, and it comes back once the minute is over', () => {
    const rate = new RecentRate();
    rate.add(0, 0);
    let at = feed(rate, { step: 0, ms: 0 }, 1800, 30);
    const before = rate.secondsLeft(20_000)!;
    at = feed(rate, at, 600, 10);
    const busy = rate.secondsLeft(20_000)!;
    assert.ok(busy > 2 * before, `busy ${busy} s vs ${before} s`);
    at = feed(rate, at, 2400, 30);
    const after = rate.secondsLeft(20_000)!;
    assert.ok(Math.abs(after - (20_000 - at.step) / 30) / after < 0.1, `after ${after} s`);
  });

  it('updates within one millisecond count with the next one; unknown until time has passed', () => {
    const rate = new RecentRate();
    rate.add(0, 1000);
    rate.add(1, 1000);
    rate.add(2, 1000);
    assert.equal(rate.secondsLeft(100), undefined);
    rate.add(3, 1100); // 3 steps in 0.1 s
    assert.equal(rate.perSecond(), 30);
    assert.equal(rate.secondsLeft(33), 1);
  });
});
