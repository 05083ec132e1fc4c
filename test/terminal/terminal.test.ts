import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { RateEstimator, formatDuration } from '../../src/terminal/eta';
import { bar, progressLine } from '../../src/terminal/progress';
import { isFancy } from '../../src/terminal/status';

describe('ETA', () => {
  it('uses only the work done since it started (a resumed run counts from its first step)', () => {
    const r = new RateEstimator(15000, 0);
    r.update(15010, 1000); // 10 steps in 1 s
    assert.equal(r.rate, 10);
    assert.equal(r.secondsLeft(5000 - 10), 499);
  });

  it('smooths noisy steps instead of jumping with each one', () => {
    const r = new RateEstimator(0, 0, 10, 0.5);
    let t = 0;
    let done = 0;
    const etas: number[] = [];
    for (let i = 0; i < 40; i++) {
      t += i % 2 ? 400 : 1600; // alternately fast and slow: 1 step per 0.4 s or 1.6 s
      done += 1;
      r.update(done, t);
      if (i > 4) etas.push(r.secondsLeft(1000 - done) as number);
    }
    const spread = Math.max(...etas) / Math.min(...etas);
    assert.ok(spread < 1.4, `ETA varies by ${spread}x`);
    // The true mean is 1 step/s.
    assert.ok(Math.abs((r.rate as number) - 1) < 0.3, String(r.rate));
  });

  it('has no estimate before a first sample', () => {
    const r = new RateEstimator(0, 0);
    r.update(1, 100);
    assert.equal(r.secondsLeft(10), undefined);
  });

  it('formats durations coarser as they grow', () => {
    assert.deepEqual([0, 7.4, 59.6, 185, 3599, 3600, 7620].map(formatDuration), [
      '0s',
      '7s',
      '1m00s',
      '3m05s',
      '59m59s',
      '1h00m',
      '2h07m',
    ]);
  });
});

describe('progress lines', () => {
  it('draws a bar that fills with the fraction done', () => {
    assert.equal(bar(0, 10), '[>         ]');
    assert.equal(bar(0.5, 10), '[=====>    ]');
    assert.equal(bar(1, 10), '[==========]');
  });

  it('fits the terminal width, dropping the bar when too narrow', () => {
    for (const columns of [120, 80, 60]) {
      const line = progressLine('step', 1234, 20000, '5.1 steps/s  ETA 1h01m', columns);
      assert.ok(line.length < columns, `${line.length} >= ${columns}`);
      assert.match(line, /^step 1234\/20000 \[=*>? *\] {3}6% {2}5\.1 steps\/s {2}ETA 1h01m$/);
    }
    assert.equal(progressLine('step', 1234, 20000, 'ETA 1h01m', 30), 'step 1234/20000   6%  ETA 1h01m');
  });
});

describe('terminal capabilities', () => {
  it('draws only on a TTY without NO_COLOR, CI or TERM=dumb', () => {
    assert.equal(isFancy({ isTTY: true }, {}), true);
    assert.equal(isFancy({ isTTY: false }, {}), false);
    assert.equal(isFancy({}, {}), false);
    assert.equal(isFancy({ isTTY: true }, { NO_COLOR: '1' }), false);
    assert.equal(isFancy({ isTTY: true }, { NO_COLOR: '' }), true);
    assert.equal(isFancy({ isTTY: true }, { CI: 'true' }), false);
    assert.equal(isFancy({ isTTY: true }, { CI: 'false' }), true);
    assert.equal(isFancy({ isTTY: true }, { TERM: 'dumb' }), false);
  });
});
