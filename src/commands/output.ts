import { MultiBar, Presets } from 'cli-progress';

/**
 * Where a command's words go: with --json, stdout carries only JSON lines and
 * human text goes to stderr; otherwise human text goes to stdout.
 */
export class Output {
  private bar: MultiBar | undefined;
  private barItem: ReturnType<MultiBar['create']> | undefined;

  constructor(readonly json: boolean) {}

  private get humanStream(): NodeJS.WriteStream {
    return this.json ? process.stderr : process.stdout;
  }

  say(line: string): void {
    if (this.bar) this.bar.log(line + '\n');
    else this.humanStream.write(line + '\n');
  }

  emit(event: object): void {
    if (this.json) process.stdout.write(JSON.stringify(event) + '\n');
  }

  /** A progress bar with ETA on stderr when it is a TTY; nothing otherwise. */
  startProgress(total: number, start = 0): void {
    if (!process.stderr.isTTY) return;
    this.bar = new MultiBar(
      { stream: process.stderr, format: 'step {value}/{total} [{bar}] {percentage}% ETA {eta_formatted}', hideCursor: true, clearOnComplete: true },
      Presets.shades_classic,
    );
    this.barItem = this.bar.create(total, start);
  }

  progress(value: number): void {
    this.barItem?.update(value);
  }

  stopProgress(): void {
    this.bar?.stop();
    this.bar = undefined;
    this.barItem = undefined;
  }
}
