/** The status line and its cli-progress bars, drawn on a stand-in terminal that records every byte. */
import { strict as assert } from 'node:assert';
import { describe, it, type TestContext } from 'node:test';
import { ByteBar, CountBar, StepBar, formatDuration } from '../../src/terminal/progress';
import { StatusLine, isFancy } from '../../src/terminal/status';

/** A terminal of `columns` columns (isTTY) that keeps what is written to it. */
class FakeTerminal {
  readonly isTTY = true;
  written = '';
  constructor(readonly columns: number) {}
  write(s: string): boolean {
    this.written += s;
    return true;
  }
  asStream(): NodeJS.WriteStream {
    return this as unknown as NodeJS.WriteStream;
  }
  /** The text of the last bar drawn: cli-progress starts each at column 1 (ESC[1G) and clears to its right. */
  lastBar(): string {
    const draws = this.written.split('\x1b[1G').filter((d) => /^[^\x1b]/.test(d));
    return (draws.pop() ?? '').replace(/\x1b.*$/s, '');
  }
}

/** A status line on a fake terminal, its bar stopped when the test ends (a live bar's timer would keep the process up). */
function statusOn(t: TestContext, columns = 120, enabled = true): { term: FakeTerminal; status: StatusLine } {
  const term = new FakeTerminal(columns);
  const status = new StatusLine(term.asStream(), enabled);
  t.after(() => status.clear());
  return { term, status };
}

/** Date.now, which cli-progress's ETA reads, as a clock the test moves. */
function clock(t: TestContext, start = 0): { now: number } {
  const time = { now: start };
  t.mock.method(Date, 'now', () => time.now);
  return time;
}

/** A bar at step 1234 of 20000 that resumed from 1200, 3.3 steps/s after its first step. */
function stepBarAt(t: TestContext, columns: number, time: { now: number }): { term: FakeTerminal; status: StatusLine } {
  const { term, status } = statusOn(t, columns);
  time.now = 0;
  const bar = new StepBar(status, 20000, 1200);
  time.now = 5000;
  bar.update(1201);
  time.now += 10000;
  bar.update(1234);
  return { term, status };
}

describe('durations', () => {
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

describe('the step bar', () => {
  it('counts speed and ETA from the end of the first step (start-up costs left out), resumed runs from their start', (t) => {
    const { term, status } = statusOn(t);
    const time = clock(t);
    const bar = new StepBar(status, 20000, 15000);
    assert.match(term.lastBar(), /^step 15000\/20000 \[=+ +\] {2}75% {2}ETA …$/);
    time.now = 30_000; // the first step: 30 s of compiling and loading
    bar.update(15001);
    assert.match(term.lastBar(), /^step 15001\/20000 .* {2}ETA …$/);
    for (let done = 15002; done <= 15021; done++) {
      time.now += 100; // then 10 steps/s
      bar.update(done);
    }
    status.print(term.asStream(), 'step 15021, training accuracy 0.98');
    // 4979 steps left at 10 steps/s; counting the first step it would say 21 steps in 32 s.
    assert.match(term.lastBar(), /^step 15021\/20000 \[=+ +\] {2}75% {2}10 steps\/s {2}ETA 8m18s$/);
    status.clear();
  });

  it('fits the terminal width, dropping the bar when too narrow', (t) => {
    const time = clock(t);
    for (const columns of [120, 80, 60]) {
      const { term, status } = stepBarAt(t, columns, time);
      const line = term.lastBar();
      assert.ok(line.length < columns, `${line.length} >= ${columns}`);
      assert.match(line, /^step 1234\/20000 \[=* *\] {3}6% {2}3\.3 steps\/s {2}ETA 1h35m$/);
      status.clear();
    }
    const { term, status } = stepBarAt(t, 50, time);
    assert.equal(term.lastBar(), 'step 1234/20000   6%  3.3 steps/s  ETA 1h35m');
    status.clear();
  });
});

describe('the status line', () => {
  it('erases the bar for a printed line and redraws it at once; clear() erases it on its own line and shows the cursor', (t) => {
    const { term, status } = stepBarAt(t, 120, clock(t));
    assert.ok(term.written.includes('\x1b[?25l'), 'cursor hidden');
    term.written = '';
    status.print(term.asStream(), 'step 1234, training accuracy 0.98');
    assert.match(term.written, /^\r\x1b\[K(step 1234, training accuracy 0\.98)\n\x1b\[1Gstep 1234\/20000 \[/);
    term.written = '';
    status.clear();
    // Cursor saved here, so cli-progress's restore stays on the bar's line, which it clears.
    assert.ok(term.written.startsWith('\x1b7'), JSON.stringify(term.written));
    assert.ok(term.written.endsWith('\x1b8\x1b[1G\x1b[2K'), JSON.stringify(term.written));
    assert.ok(term.written.includes('\x1b[?25h'), 'cursor shown');
    term.written = '';
    status.print(term.asStream(), 'validation accuracy 0.99');
    assert.equal(term.written, 'validation accuracy 0.99\n', 'nothing to erase once cleared');
  });

  it('draws nothing at all when disabled (not a terminal, NO_COLOR, CI)', (t) => {
    clock(t);
    const { term, status } = statusOn(t, 120, false);
    new StepBar(status, 100, 0).update(5);
    new CountBar(status, 'evaluating test set', 'images').update(10, 100);
    status.print(term.asStream(), 'step 5');
    assert.equal(term.written, 'step 5\n');
  });

  it('counts evaluation and download progress, file names shown escaped', (t) => {
    const time = clock(t);
    const { term, status } = statusOn(t);
    new CountBar(status, 'evaluating test set', 'images').update(3000, 10000);
    assert.match(term.lastBar(), /^evaluating test set 3000\/10000 images \[=+ +\] {2}30%$/);
    const bytes = new ByteBar(status, 'train\x1b[2J.gz', 9_900_000);
    time.now = 2000;
    bytes.update(4_200_000);
    assert.match(term.lastBar(), /^train\\e\[2J\.gz 4\.2 MB of 9\.9 MB \[=+ +\] {2}42% {2}2\.1 MB\/s {2}ETA \d+s$/);
    const unsized = new ByteBar(status, 'mirror.gz', undefined);
    time.now = 4000;
    unsized.update(1_000_000);
    assert.equal(term.lastBar(), 'mirror.gz 1.0 MB  0.5 MB/s');
    status.clear();
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
