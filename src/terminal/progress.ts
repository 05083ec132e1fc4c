/**
 * The progress bars on the status line, drawn by cli-progress from its format tokens: training
 * steps with speed and ETA, evaluation counts, download bytes. Ours on top of it: the bar sized
 * to the terminal (dropped when too narrow, where cli-progress would cut the ETA off), times
 * written as 3m05s with "…" while unknown, and the training speed and ETA from the recent rate
 * (RecentRate), counted from the end of the first step, which carries the start-up costs
 * (compiling, loading) that no later step has.
 */
import { Format, type GenericFormatter, type Options, type SingleBar, type TimeFormatter } from 'cli-progress';
import { visible } from './escape';
import type { StatusLine } from './status';

const MIN_BAR = 10;
const MAX_BAR = 30;

/** 7s, 3m05s, 2h07m: coarser as it grows, so a long ETA does not flicker. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  const m = Math.round(s / 60);
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** cli-progress's ETA is a string ('0', 'NULL', 'INF') until it has a rate: "…" then. */
const formatTime: TimeFormatter = (t) => (typeof t === 'number' && Number.isFinite(t) ? formatDuration(t) : '…');
const timeLeft = (seconds: number | undefined) => (seconds === undefined ? '…' : formatDuration(seconds));

/**
 * cli-progress's own formatter for `format`, with `[{bar}]` as wide as the line allows
 * (10–30 columns, else left out) one column short of the terminal: a full line wraps on some.
 */
function fitted(format: string): GenericFormatter {
  const bare = format.replace(' [{bar}]', '');
  return (options, params, payload) => {
    const without = Format.Formatter({ ...options, format: bare }, params, payload);
    const room = Math.min(MAX_BAR, params.maxWidth - 1 - without.length - ' []'.length);
    const line = room >= MIN_BAR ? Format.Formatter({ ...options, format, barsize: room }, params, payload) : without;
    const text = visible(line.trimEnd());
    return text.length < params.maxWidth ? text : text.slice(0, params.maxWidth - 2) + '…';
  };
}

const BASE: Options = { formatTime, barCompleteChar: '=', barIncompleteChar: ' ', autopadding: true };

/** "step 1200/20000 [====      ]   6%  41 steps/s  ETA 7m45s" (speed and ETA from StepBar's RecentRate). */
const STEP_BAR: Options = {
  ...BASE,
  format: fitted('step {value}/{total} [{bar}] {percentage}%  {speed}ETA {left}'),
};

/** "evaluating test set 3000/10000 images [======    ]  30%". */
const COUNT_BAR: Options = { ...BASE, format: fitted('{label} {value}/{total} {unit} [{bar}] {percentage}%') };

/** 0.0 MB, 9.9 MB: downloads are a few MB each. */
function formatBytes(n: number): string {
  return `${(n / 1e6).toFixed(1)} MB`;
}

const BYTES: Options = {
  ...BASE,
  formatValue: (v, options, type) =>
    type === 'value' || type === 'total' ? formatBytes(v) : Format.ValueFormat(v, options, type),
  etaBuffer: 50,
};

/** "train-images-idx3-ubyte.gz 4.2 MB of 9.9 MB [=====     ]  42%  2.1 MB/s  ETA 3s"; without a size, the count only. */
const BYTE_BAR: Options = {
  ...BYTES,
  format: fitted('{file} {value} of {total} [{bar}] {percentage}%  {speed}ETA {eta_formatted}'),
};
const BYTE_COUNT: Options = { ...BYTES, format: fitted('{file} {value}  {speed}') };

/** "41 steps/s  " from `done` units in `seconds`; empty until there is a rate. */
function speed(done: number, seconds: number, unit: (perSecond: number) => string): string {
  if (!(seconds > 0) || done <= 0) return '';
  return `${unit(done / seconds)}  `;
}

/** 41, 4.1: whole numbers from 10 up. */
const perSecond = (unit: string) => (rate: number) => `${rate >= 10 ? Math.round(rate) : rate.toFixed(1)} ${unit}/s`;

/**
 * Units per second lately: an average of each interval's rate weighted by how recent it is (half
 * of the weight on the last `halfLife` seconds), so that a slow start or a busy minute on a
 * shared machine fades from the ETA instead of staying in it as in an average since the start.
 */
export class RecentRate {
  private last: { done: number; time: number } | undefined;
  private rate: number | undefined;

  constructor(private readonly halfLife = 15) {}

  /** `done` units by `now` (ms). Updates within the same millisecond count with the next one. */
  add(done: number, now: number): void {
    if (!this.last) {
      this.last = { done, time: now };
      return;
    }
    const seconds = (now - this.last.time) / 1000;
    if (!(seconds > 0)) return;
    const rate = (done - this.last.done) / seconds;
    const weight = 1 - 0.5 ** (seconds / this.halfLife);
    this.rate = this.rate === undefined ? rate : this.rate + weight * (rate - this.rate);
    this.last = { done, time: now };
  }

  /** Units per second; undefined until two updates lie apart in time. */
  perSecond(): number | undefined {
    return this.rate;
  }

  /** Seconds until `total` at the recent rate; undefined while unknown. */
  secondsLeft(total: number): number | undefined {
    if (!this.last || !this.rate || !(this.rate > 0)) return undefined;
    return Math.max(0, total - this.last.done) / this.rate;
  }
}

/**
 * The training bar, from `start` (a resumed run) to `total`. Speed and ETA count this process's
 * steps after the first one only, at their recent rate.
 */
export class StepBar {
  private readonly bar: SingleBar | undefined;
  private readonly rate = new RecentRate();
  private started = false;

  constructor(
    status: StatusLine,
    private readonly total: number,
    private readonly start: number,
    private readonly unit = 'steps',
  ) {
    this.bar = status.open(STEP_BAR, total, start, { speed: '', left: '…' });
  }

  update(done: number, now = Date.now()): void {
    if (!this.bar) return;
    if (!this.started && done <= this.start) return;
    this.started = true;
    this.rate.add(done, now);
    const perSec = this.rate.perSecond();
    const shown = perSec === undefined ? '' : speed(perSec, 1, perSecond(this.unit));
    this.bar.update(done, { speed: shown, left: timeLeft(this.rate.secondsLeft(this.total)) });
  }
}

/** Evaluation: "evaluating test set 3000/10000 images", opened at the first count (its total). */
export class CountBar {
  private bar: SingleBar | undefined;

  constructor(
    private readonly status: StatusLine,
    private readonly label: string,
    private readonly unit: string,
  ) {}

  update(done: number, total: number): void {
    if (this.bar) {
      this.bar.setTotal(total);
      this.bar.update(done);
    } else this.bar = this.status.open(COUNT_BAR, total, done, { label: this.label, unit: this.unit });
  }
}

/** A download's bytes; `total` undefined when the server does not say. */
export class ByteBar {
  private readonly bar: SingleBar | undefined;
  private readonly startTime = Date.now();

  constructor(status: StatusLine, file: string, total: number | undefined) {
    const payload = { file, speed: '' };
    this.bar = total === undefined ? status.open(BYTE_COUNT, 0, 0, payload) : status.open(BYTE_BAR, total, 0, payload);
  }

  update(received: number, now = Date.now()): void {
    const rate = speed(received, (now - this.startTime) / 1000, (perSec) => `${formatBytes(perSec)}/s`);
    this.bar?.update(received, { speed: rate });
  }
}
