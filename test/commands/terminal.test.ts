/** What a person sees at a real terminal: the CLI in a pseudo-terminal (util-linux `script`). */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { hasScript, runInPty } from '../helpers/pty';
import { tempDir, writeDataset } from '../helpers/fixtures';

const tmp = tempDir();
const data = join(tmp.dir, 'data');
before(() => writeDataset(data, 400, 100));
after(tmp.cleanup);

const skip = hasScript ? false : 'util-linux `script` is not installed (apt-get install bsdutils)';
const HIDE = '\x1b[?25l';
const SHOW = '\x1b[?25h';
/**
 * The CNN on `auto`: tensorflow where the native backend is set up, several times faster than
 * wasm; what the terminal shows is the same on either. Cases about the bar alone train the softmax
 * model (`SOFTMAX`), which starts in half the time.
 */
const train = (save: string, steps: number, ...more: string[]) => [
  'train',
  '--model',
  'cnn',
  '--data-dir',
  data,
  '--validation-size',
  '60',
  '--batch-size',
  '10',
  '--steps',
  String(steps),
  '--log-every',
  '5',
  '--eval-batch-size',
  '20',
  '--threads',
  '2',
  '--save-dir',
  join(tmp.dir, save),
  ...more,
];
const SOFTMAX = ['--model', 'softmax'];
/** The cursor is visible at the end: no hide after the last show. */
const cursorRestored = (out: string) => out.lastIndexOf(SHOW) > out.lastIndexOf(HIDE);
/**
 * After the bar's last drawing its line is erased from the start: by the exit hook (`\r\e[K`) when
 * the second press lands during the step, by cli-progress's stop (`\e[1G\e[2K`) when the step had
 * ended and the run was writing its checkpoint.
 */
const barErased = (out: string) => /(\r\x1b\[K|\x1b\[1G\x1b\[2K)(?![\s\S]*steps\/s)/.test(out);
/**
 * The lines a terminal shows at the end, from what cli-progress and the status line send: `\r`
 * and `ESC[nG` move to a column, `ESC[K` erases to the end of the line and `ESC[2K` all of it,
 * `ESC 7` / `ESC 8` save and restore the cursor (row and column); other codes draw nothing.
 */
function screenLines(out: string): string[] {
  const rows: string[] = [''];
  let [row, col] = [0, 0];
  let saved = [0, 0];
  for (const [token] of out.matchAll(/\x1b\[[0-9;?]*[A-Za-z]|\x1b[78]|[^\x1b]/g)) {
    const csi = /^\x1b\[([0-9;?]*)([A-Za-z])$/.exec(token);
    if (token === '\n') rows[++row] ??= '';
    else if (token === '\r') col = 0;
    else if (token === '\x1b7') saved = [row, col];
    else if (token === '\x1b8') [row, col] = saved;
    else if (csi?.[2] === 'G') col = Number(csi[1] || 1) - 1;
    else if (csi?.[2] === 'K') rows[row] = csi[1] === '2' ? '' : rows[row].slice(0, col);
    else if (!csi) {
      rows[row] = rows[row].padEnd(col).slice(0, col) + token + rows[row].slice(col + 1);
      col++;
    }
  }
  return rows.map((l) => l.trimEnd()).filter((l) => l !== '');
}

describe('in a terminal', { skip }, () => {
  it('shows the step bar with ETA, step lines, the evaluation status and the results, and restores the cursor', async () => {
    const run = runInPty(train('full', 40));
    const { code, output } = await run.done;
    assert.equal(code, 0, output);
    assert.match(output, /step \d+\/40 \[=*>? *\] +\d+% {2}[\d.]+ steps\/s {2}ETA \d+s/);
    assert.match(output, /evaluating validation set \d+\/60 images/);
    assert.match(output, /evaluating test set \d+\/100 images/);
    assert.ok(output.includes(HIDE), 'the cursor is hidden while the bar is shown');
    assert.ok(cursorRestored(output), 'cursor shown again at the end');
    // What stays on screen: the header, step lines and results, no half-drawn bar.
    const screen = screenLines(output);
    assert.match(
      screen[0],
      /^training cnn \(seed recipe\) on mnist \(340 train \/ 60 validation \/ 100 test\) from \S+$/,
    );
    assert.match(
      screen[1],
      /^ {2}with adam 0\.0001, batch 10, 40 steps, backend (tensorflow \(graph engine\)|wasm), 2 threads$/,
    );
    // An epoch of 340 images in batches of 10, rounded to the log interval: a validation at step 35.
    assert.deepEqual(
      screen.slice(2, 11).map((l) => /^step (\d+), (training|validation) accuracy/.exec(l)?.slice(1).join(' ')),
      ['0 training', '5 training', '10 training', '15 training', '20 training', '25 training', '30 training'].concat([
        '35 validation',
        '35 training',
      ]),
    );
    assert.match(screen[9], /^step 35, validation accuracy \d\.\d{4} \(loss \d+\.\d{4}\)$/);
    assert.match(screen[11], /^validation accuracy \d\.\d{4}$/);
    assert.match(screen[12], /^test accuracy \d\.\d{4} \(100 images\)$/);
    assert.match(screen[14], /^saved /);
    assert.equal(screen.length, 15, screen.join('\n'));
    for (const line of screen) assert.ok(line.length <= 120, `wider than 120 columns: ${line}`);
  });

  it('keeps step lines on stdout when it is redirected, and the bar on the terminal', async () => {
    const log = join(tmp.dir, 'stdout.txt');
    const { code, output } = await runInPty(train('redirected', 12, ...SOFTMAX), { shellTail: `> '${log}'` }).done;
    assert.equal(code, 0, output);
    const saved = readFileSync(log, 'utf8');
    assert.match(saved, /^step 0, training accuracy .*\nstep 5, training accuracy .*\nstep 10, training accuracy /m);
    assert.match(saved, /^test accuracy \d\.\d{4} \(100 images\)$/m);
    assert.doesNotMatch(saved, /\x1b/, 'no ANSI codes in the log');
    assert.match(output, /step \d+\/12 \[/);
    assert.doesNotMatch(output, /training accuracy/);
  });

  it('Ctrl-C: says at once that it stops after this step, checkpoints, restores the cursor', async () => {
    const run = runInPty(train('ctrl-c', 1_000_000, ...SOFTMAX));
    await run.waitFor(/step 5, training accuracy/);
    run.type('\x03');
    const { code, output } = await run.done;
    assert.equal(code, 130, output);
    assert.match(
      output,
      /Ctrl-C: stopping after this step and saving a checkpoint \(press Ctrl-C again to quit at once\)/,
    );
    assert.match(
      output,
      /interrupted at step \d+ of 1000000; checkpoint saved in .*ctrl-c\r?\nresume with: npx mnist-deep train --resume /,
    );
    assert.ok(cursorRestored(output), 'cursor shown again');
  });

  it('a second Ctrl-C quits at once and still restores the cursor and clears the bar', async () => {
    // wasm on one thread, batches of 100: a step lasts long enough for both presses to land within it,
    // or within the checkpoint written after it.
    const run = runInPty(
      train(
        'twice',
        2000,
        '--batch-size',
        '100',
        '--checkpoint-every',
        '1',
        '--backend',
        'wasm',
        '--threads',
        '1',
        '--log-every',
        '1',
      ),
    );
    await run.waitFor(/step 1, training accuracy/);
    run.type('\x03');
    // The second press once the first one has been taken (its notice is on the screen).
    await run.waitFor(/Ctrl-C: stopping after this step/);
    run.type('\x03');
    const { code, output } = await run.done;
    assert.equal(code, 130, output);
    assert.doesNotMatch(output, /interrupted at step/, 'quit without waiting for the step');
    assert.ok(cursorRestored(output), 'cursor shown again');
    assert.ok(barErased(output), `ends with the bar erased: ${JSON.stringify(output.slice(-80))}`);
    assert.match(screenLines(output).pop() ?? '', /^Ctrl-C: stopping after this step/);
  });

  it('NO_COLOR (or CI): no bar and no ANSI code at all', async () => {
    for (const env of [{ NO_COLOR: '1' }, { CI: 'true' }]) {
      const { code, output } = await runInPty(train('plain', 12, '--overwrite', ...SOFTMAX), { env }).done;
      assert.equal(code, 0, output);
      assert.doesNotMatch(output, /\x1b/, JSON.stringify(env));
      assert.match(output, /step 10, training accuracy/);
      assert.doesNotMatch(output, /step \d+\/12|evaluating/);
    }
  });
});
