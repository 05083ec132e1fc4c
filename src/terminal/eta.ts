/**
 * Rate and time-left estimates for progress lines, over the work done in
 * this process only (a resumed run does not count the steps it resumed from):
 * the plain average for the first half-life, then an exponentially smoothed
 * rate, so the ETA neither jumps with each step's noise nor assumes finished
 * work must be redone.
 */
export class RateEstimator {
  private smoothed: number | undefined;
  private lastValue: number;
  private lastTime: number;
  private readonly startValue: number;
  private readonly startTime: number;

  /** `halfLifeSec`: how quickly older measurements fade. */
  constructor(
    start: number,
    now = performance.now(),
    private readonly halfLifeSec = 10,
    private readonly minSampleSec = 0.5,
  ) {
    this.lastValue = this.startValue = start;
    this.lastTime = this.startTime = now;
  }

  /** Records that `value` units are done at time `now` (ms). */
  update(value: number, now = performance.now()): void {
    const dt = (now - this.lastTime) / 1000;
    if (dt < this.minSampleSec) return;
    const elapsed = (now - this.startTime) / 1000;
    if (this.smoothed === undefined || elapsed <= this.halfLifeSec) {
      this.smoothed = (value - this.startValue) / elapsed;
    } else {
      const weight = 1 - Math.pow(0.5, dt / this.halfLifeSec);
      this.smoothed += weight * ((value - this.lastValue) / dt - this.smoothed);
    }
    this.lastValue = value;
    this.lastTime = now;
  }

  /** Units per second; undefined until a first sample is complete. */
  get rate(): number | undefined {
    return this.smoothed;
  }

  /** Seconds left for `remaining` units; undefined while unknown. */
  secondsLeft(remaining: number): number | undefined {
    return this.smoothed && this.smoothed > 0 ? remaining / this.smoothed : undefined;
  }
}

/** 7s, 3m05s, 2h07m: coarser as it grows, so a long ETA does not flicker. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  const m = Math.round(s / 60);
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}
