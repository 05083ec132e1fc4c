/**
 * The one transient status line on stderr (a cli-progress bar: training steps, evaluation,
 * downloads) and the permanent lines printed around it. cli-progress draws the bar, times its
 * redraws and estimates the ETA; what it cannot do is share the terminal with other output: here
 * a permanent line (on stderr, or on stdout when that is the same terminal) erases the bar, is
 * printed, and the bar is redrawn at once, so both interleave cleanly. With stderr not a
 * terminal, or NO_COLOR / CI set, there is no bar and no ANSI code at all. The cursor, hidden
 * while a bar is shown, is restored on every exit: normal, error, process.exit() from a second
 * Ctrl-C (cli-progress restores it only when its bar is stopped).
 */
import { SingleBar, type Options } from 'cli-progress';
import { visible } from './escape';
import { STOP_SIGNALS, exitCodeFor } from '../stop-signals';

const CLEAR_LINE = '\r\x1b[K';
const SHOW_CURSOR = '\x1b[?25h';
const SAVE_CURSOR = '\x1b7';

/** Whether `stream` may carry a status line and ANSI codes. */
export function isFancy(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  const set = (v: string | undefined) => v !== undefined && v !== '' && v !== '0' && v.toLowerCase() !== 'false';
  return Boolean(stream.isTTY) && !set(env.NO_COLOR) && !set(env.CI) && env.TERM !== 'dumb';
}

/** How every bar behaves; the format and value options are each bar's (progress.ts). */
const SHARED: Options = {
  hideCursor: true,
  clearOnComplete: true,
  // Redraw on each tick even when unchanged, and at once after a printed line (print()).
  forceRedraw: true,
  fps: 10,
  // true: cli-progress cuts a line at the terminal's width (ours fit already) and leaves the
  // terminal's wrapping on; false would turn it off, clipping the step lines printed meanwhile.
  linewrap: true,
  // Ctrl-C is the command's (it stops after the step); the cursor is restored here on exit.
  gracefulExit: false,
  noTTYOutput: false,
};

export class StatusLine {
  private bar: SingleBar | undefined;
  private exitHookInstalled = false;

  constructor(
    private readonly stream: NodeJS.WriteStream,
    readonly enabled: boolean,
  ) {}

  /** Starts a cli-progress bar as the status line, replacing any other; undefined when there is no status line. */
  open(options: Options, total: number, start: number, payload: object): SingleBar | undefined {
    if (!this.enabled) return undefined;
    this.clear();
    this.installExitHook();
    this.bar = new SingleBar({ ...SHARED, ...options, stream: this.stream });
    this.bar.start(total, start, payload);
    return this.bar;
  }

  /** Removes the bar and shows the cursor again. */
  clear(): void {
    const bar = this.bar;
    if (!bar) return;
    this.bar = undefined;
    // cli-progress goes back to the cursor position saved when the bar started, and lines printed
    // since have moved on: saved again here, it stays on the bar's line, which it then erases.
    this.stream.write(SAVE_CURSOR);
    bar.stop();
  }

  /**
   * Prints one permanent line on `out` (stdout or stderr) without tearing the
   * bar. Control characters in it are shown escaped (see escape.ts):
   * a line is exactly one line, whatever a file name inside it holds.
   */
  print(out: NodeJS.WritableStream, line: string): void {
    const bar = this.bar;
    const shared = bar !== undefined && (out === this.stream || (out as NodeJS.WriteStream).isTTY === true);
    if (shared) this.stream.write(CLEAR_LINE);
    out.write(visible(line) + '\n');
    if (shared) bar.render();
  }

  /** On exit the bar is erased without a last redraw (writes to a TTY are synchronous). */
  private eraseForExit(): void {
    if (!this.bar) return;
    this.bar = undefined;
    this.stream.write(CLEAR_LINE + SHOW_CURSOR);
  }

  /** Whatever ends the process, the terminal is left clean. */
  private installExitHook(): void {
    if (this.exitHookInstalled) return;
    this.exitHookInstalled = true;
    process.on('exit', () => this.eraseForExit());
    // A signal with no other handler would kill the process without 'exit'.
    for (const signal of STOP_SIGNALS) {
      process.on(signal, () => {
        if (process.listenerCount(signal) > 1) return;
        this.eraseForExit();
        process.exit(exitCodeFor(signal));
      });
    }
  }
}

let shared: StatusLine | undefined;

/** The process's status line on stderr. */
export function statusLine(): StatusLine {
  shared ??= new StatusLine(process.stderr, isFancy(process.stderr));
  return shared;
}
