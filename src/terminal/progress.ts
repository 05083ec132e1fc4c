/** Progress lines drawn on the status line: a step bar with ETA, and counters for other work. */
import { RateEstimator, formatDuration } from './eta';
import { StatusLine } from './status';

/** `[=====>    ]` of `width` characters inside the brackets. */
export function bar(fraction: number, width: number): string {
  const f = Math.min(1, Math.max(0, fraction));
  const full = Math.floor(f * width);
  const head = full < width ? '>' : '';
  return `[${'='.repeat(full)}${head}${' '.repeat(Math.max(0, width - full - head.length))}]`;
}

/** "label 1200/20000 [====>   ] 6% … ETA 3m05s", the bar sized to fit `columns`. */
export function progressLine(label: string, done: number, total: number, tail: string, columns: number): string {
  const pct = `${String(Math.floor((100 * done) / Math.max(total, 1))).padStart(3)}%`;
  const head = `${label} ${done}/${total}`;
  // The bar's brackets and the four spaces around it take 6 columns.
  const room = columns - 1 - head.length - pct.length - tail.length - 6;
  const width = Math.min(30, room);
  return width >= 10 ? `${head} ${bar(done / Math.max(total, 1), width)} ${pct}  ${tail}` : `${head} ${pct}  ${tail}`;
}

/** A bar of `total` units that starts at `start` (a resumed run); ETA from this process's rate only. */
export class BarProgress {
  /** Started at the first update after `start`: the first step carries start-up costs. */
  private rate: RateEstimator | undefined;

  constructor(
    private readonly status: StatusLine,
    private readonly label: string,
    private readonly total: number,
    private readonly start: number,
    private readonly unit: string,
  ) {
    this.update(start);
  }

  update(done: number): void {
    if (!this.status.enabled) return;
    if (this.rate) this.rate.update(done);
    else if (done > this.start) this.rate = new RateEstimator(done);
    const left = this.rate?.secondsLeft(this.total - done);
    const rate = this.rate?.rate;
    const speed = rate === undefined ? '' : `${rate >= 10 ? Math.round(rate) : rate.toFixed(1)} ${this.unit}/s  `;
    const tail = `${speed}ETA ${left === undefined ? '…' : formatDuration(left)}`;
    this.status.set(progressLine(this.label, done, this.total, tail, process.stderr.columns || 80));
  }
}

const SPINNER = ['|', '/', '-', '\\'];

/** "evaluating test set 3000/10000 images", with a turning mark. */
export class CountProgress {
  private turn = 0;

  constructor(
    private readonly status: StatusLine,
    private readonly label: string,
    private readonly unit: string,
  ) {}

  update(done: number, total: number): void {
    this.turn = (this.turn + 1) % SPINNER.length;
    this.status.set(`${SPINNER[this.turn]} ${this.label} ${done}/${total} ${this.unit}`, true);
  }
}

/** 0.0 MB, 9.9 MB: downloads are a few MB each. */
export function formatBytes(n: number): string {
  return `${(n / 1e6).toFixed(1)} MB`;
}
