/**
 * The one transient status line (progress bar, "evaluating …") on stderr, and
 * permanent lines printed around it. When stderr is a terminal, a permanent
 * line clears the status line, is printed, and the status line is redrawn, so
 * both interleave cleanly even when stdout is the same terminal. With stderr
 * not a terminal, or NO_COLOR / CI set, there is no status line and no ANSI
 * code at all. The cursor, hidden while a status line is shown, is restored
 * on every exit: normal, error, process.exit() from a second Ctrl-C.
 */
import { visible } from './escape';

const CLEAR_LINE = '\r\x1b[K';
const HIDE_CURSOR = '\x1b[?25l';
const SHOW_CURSOR = '\x1b[?25h';

/** Whether `stream` may carry a status line and ANSI codes. */
export function isFancy(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  const set = (v: string | undefined) => v !== undefined && v !== '' && v !== '0' && v.toLowerCase() !== 'false';
  return Boolean(stream.isTTY) && !set(env.NO_COLOR) && !set(env.CI) && env.TERM !== 'dumb';
}

export class StatusLine {
  private text: string | undefined;
  private drawn = false;
  private cursorHidden = false;
  private lastDraw = 0;
  private exitHookInstalled = false;

  constructor(
    private readonly stream: NodeJS.WriteStream,
    readonly enabled: boolean,
    private readonly minIntervalMs = 100,
  ) {}

  /** Shows or replaces the status line; redraws at most every minIntervalMs unless `force`. */
  set(text: string, force = false): void {
    if (!this.enabled) return;
    this.text = visible(text);
    const now = Date.now();
    if (!force && this.drawn && now - this.lastDraw < this.minIntervalMs) return;
    this.lastDraw = now;
    this.draw();
  }

  /** Removes the status line and shows the cursor again. */
  clear(): void {
    this.text = undefined;
    this.erase();
    this.showCursor();
  }

  /**
   * Prints one permanent line on `out` (stdout or stderr) without tearing the
   * status line. Control characters in it are shown escaped (see escape.ts):
   * a line is exactly one line, whatever a file name inside it holds.
   */
  print(out: NodeJS.WritableStream, line: string): void {
    const shared = this.drawn && (out === this.stream || (out as NodeJS.WriteStream).isTTY === true);
    if (shared) this.erase();
    out.write(visible(line) + '\n');
    if (shared) this.draw();
  }

  private draw(): void {
    if (this.text === undefined) return;
    this.hideCursor();
    // One character short of the width: a full line would wrap on some terminals.
    const width = Math.max(10, (this.stream.columns || 80) - 1);
    const text = this.text.length > width ? this.text.slice(0, width - 1) + '…' : this.text;
    this.stream.write(CLEAR_LINE + text);
    this.drawn = true;
  }

  private erase(): void {
    if (!this.drawn) return;
    this.stream.write(CLEAR_LINE);
    this.drawn = false;
  }

  private hideCursor(): void {
    if (this.cursorHidden) return;
    this.installExitHook();
    this.stream.write(HIDE_CURSOR);
    this.cursorHidden = true;
  }

  private showCursor(): void {
    if (!this.cursorHidden) return;
    this.stream.write(SHOW_CURSOR);
    this.cursorHidden = false;
  }

  /** Whatever ends the process, the terminal is left clean (writes to a TTY are synchronous). */
  private installExitHook(): void {
    if (this.exitHookInstalled) return;
    this.exitHookInstalled = true;
    process.on('exit', () => this.clear());
    // A signal with no other handler would kill the process without 'exit'.
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
      process.on(signal, () => {
        if (process.listenerCount(signal) > 1) return;
        this.clear();
        process.exit(signal === 'SIGINT' ? 130 : signal === 'SIGTERM' ? 143 : 129);
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
