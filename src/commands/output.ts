import { nativeVerboseOn, tensorflowKernels } from '../backends';
import { CountBar, StepBar } from '../terminal/progress';
import { StatusLine, statusLine } from '../terminal/status';

/** "1 thread", "2 threads". */
export const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** With --verbose, on tensorflow: which kernels TensorFlow runs (oneDNN or Eigen) and why. */
export function noteKernels(out: Output, backend: string): void {
  if (backend === 'tensorflow' && nativeVerboseOn()) out.notice(`note: tensorflow kernels: ${tensorflowKernels()}`);
}

/**
 * Where a command's words go. Step lines and results are for people and
 * scripts alike: stdout (with --json, stdout carries only JSON lines and the
 * human text goes to stderr). Notices and the transient status line (progress
 * bar, "evaluating …") go to stderr, and never tear each other (see StatusLine).
 */
export class Output {
  private bar: StepBar | undefined;

  constructor(
    readonly json: boolean,
    private readonly status: StatusLine = statusLine(),
  ) {}

  private get humanStream(): NodeJS.WriteStream {
    return this.json ? process.stderr : process.stdout;
  }

  /**
   * A line of the command's human output: stdout; with --json, stderr, and nothing at all when
   * stderr is a terminal (a person asked for JSON; logs and pipes still get the text).
   */
  say(line: string): void {
    if (this.json && process.stderr.isTTY) return;
    this.status.print(this.humanStream, line);
  }

  /** A line about the run rather than its results (Ctrl-C acknowledged, downloads): stderr. */
  notice(line: string): void {
    this.status.print(process.stderr, line);
  }

  /** A JSON event on stdout, with --json only. */
  emit(event: object): void {
    if (this.json) this.status.print(process.stdout, JSON.stringify(event));
  }

  /** A step bar with ETA on stderr when it is a terminal; nothing otherwise. */
  startProgress(total: number, start = 0): void {
    this.bar = new StepBar(this.status, total, start);
  }

  progress(value: number): void {
    this.bar?.update(value);
  }

  stopProgress(): void {
    this.bar = undefined;
    this.status.clear();
  }

  /** Runs `work`, showing "label done/total unit" on the status line meanwhile. */
  async working<T>(
    label: string,
    unit: string,
    work: (progress: (done: number, total: number) => void) => Promise<T>,
  ): Promise<T> {
    const counter = new CountBar(this.status, label, unit);
    try {
      return await work((done, total) => counter.update(done, total));
    } finally {
      this.status.clear();
    }
  }
}
