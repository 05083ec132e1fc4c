/**
 * Every printed byte escaped: one folder name carrying an OSC title sequence, BEL, a colour, CR,
 * LF and a bidi override goes through every command's output lines (results, notices, warnings,
 * errors, --json's human text), and reaches the terminal only in its escaped form.
 */
import { strict as assert } from 'node:assert';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PNG } from 'pngjs';
import { visible } from '../../src/terminal/escape';
import { CliResult, spawnCli } from '../helpers/cli';
import { runInProcess } from '../helpers/in-process';
import { tempDir, writeDataset } from '../helpers/fixtures';

const EVIL = '-owned\u001b]0;title\u0007\u001b[31m\r\nforged: \u202e-';
const SHOWN = visible(EVIL);

const tmp = tempDir();
after(tmp.cleanup);
const data = join(tmp.dir, `data${EVIL}`);
const run = join(tmp.dir, `run${EVIL}`);
const images = join(tmp.dir, `images${EVIL}`);

/** Every mention of the name is the whole escaped name: no control byte, and no line it broke in two. */
function assertEscaped(r: CliResult, what: string): void {
  const text = r.stdout + r.stderr;
  const mentions = text.split('owned').length - 1;
  assert.ok(mentions > 0, `${what}: the name was printed at all:\n${text}`);
  assert.equal(text.split(SHOWN).length - 1, mentions, `${what}: every mention escaped whole:\n${text}`);
  assert.doesNotMatch(text.replace(/\n/g, ''), /[\u0000-\u001f\u007f-\u009f\u202a-\u202e]/, what);
}

before(async () => {
  writeDataset(data, 300, 60);
  mkdirSync(images);
  const png = new PNG({ width: 28, height: 28 });
  png.data.fill(255);
  writeFileSync(join(images, `seven${EVIL}.png`), PNG.sync.write(png));
  writeFileSync(join(images, `broken${EVIL}.png`), 'not a png');
  const r = await runInProcess(
    ['train', '--model', 'softmax', '--steps', '5', '--data-dir', data, '--validation-size', '60'].concat([
      '--save-dir',
      run,
      '--logdir',
      join(tmp.dir, `logs${EVIL}`),
    ]),
    { cwd: tmp.dir },
  );
  assert.equal(r.code, 0, r.stderr);
  assertEscaped(r, 'train');
});

const cases: Array<[string, string[]]> = [
  [
    'eval (report, events in the folder model.json names)',
    ['eval', '--model-dir', run, '--data-dir', data, '--logdir', '--report', join(tmp.dir, `r${EVIL}.html`)],
  ],
  ['eval --json', ['eval', '--json', '--model-dir', run, '--data-dir', data, '--logdir']],
  ['predict (a result and a file it cannot read)', ['predict', '--model-dir', run, images]],
  ['info', ['info', '--data-dir', data]],
  ['download', ['download', '--data-dir', data]],
  ['train, resumed (a finished run)', ['train', '--resume', run]],
  ['native (an error line)', ['native', '--wheel', join(tmp.dir, `missing${EVIL}.whl`)]],
  ['serve (an error line)', ['serve', '--model-dir', join(tmp.dir, `none${EVIL}`)]],
];

describe('control bytes in names reach the terminal escaped', () => {
  for (const [what, args] of cases) {
    it(what, async () => assertEscaped(await runInProcess(args, { cwd: tmp.dir }), what));
  }

  it('serve (its opening line)', async () => {
    const server = spawnCli(['serve', '--model-dir', run, '--port', '0'], { cwd: tmp.dir });
    await server.waitFor(/serving .* at http/);
    server.child.kill('SIGINT');
    assertEscaped(await server.done, 'serve');
  });
});
