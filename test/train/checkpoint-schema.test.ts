/** A checkpoint is checked field by field before anything trusts it: through the real CLI. */
import { strict as assert } from 'node:assert';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../helpers/cli';
import { tempDir, writeDataset } from '../helpers/fixtures';

const tmp = tempDir();
const data = join(tmp.dir, 'data');
const run = join(tmp.dir, 'run');
before(async () => {
  writeDataset(data, 300, 60);
  const r = await runCli(
    [
      'train',
      '--model',
      'softmax',
      '--data-dir',
      data,
      '--validation-size',
      '60',
      '--steps',
      '10',
      '--checkpoint-every',
      '5',
      '--save-dir',
      run,
    ],
    { cwd: tmp.dir },
  );
  assert.equal(r.code, 0, r.stderr);
});
after(tmp.cleanup);

/** The parts of checkpoint.json the cases change. */
interface Json {
  step?: unknown;
  eventFiles?: unknown;
  sha256?: unknown;
  format?: unknown;
  bin?: unknown;
  parameters?: unknown;
  config: Record<string, unknown>;
  data?: { order: unknown[] };
}

/** `train --resume` of a copy of the run whose checkpoint.json was changed by `edit`. */
async function resumeTampered(name: string, edit: (cp: Json) => void, alsoDo?: (dir: string) => void) {
  const dir = join(tmp.dir, name);
  cpSync(run, dir, { recursive: true });
  alsoDo?.(dir);
  const file = join(dir, 'checkpoint.json');
  const cp = JSON.parse(readFileSync(file, 'utf8')) as Json;
  edit(cp);
  writeFileSync(file, JSON.stringify(cp));
  const r = await runCli(['train', '--resume', dir, '--steps', '12'], { cwd: tmp.dir });
  assert.equal(r.code, 1, r.stderr);
  const lines = r.stderr
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('mnist-deep: error: '));
  assert.equal(lines.length, 1, r.stderr);
  return lines[0].replace(`${file}: `, 'FILE: ');
}

describe('checkpoint.json is validated', () => {
  const cases: Array<[string, (cp: Json) => void, string]> = [
    ['negative-step', (cp) => (cp.step = -1), 'field step: must be a whole number, 0 or more'],
    ['fractional-step', (cp) => (cp.step = 1.5), 'field step: must be a whole number, 0 or more'],
    ['no-step', (cp) => delete cp.step, 'field step: missing (must be a whole number, 0 or more)'],
    ['past-the-end', (cp) => (cp.step = 11), "field step: 11 is past the run's 10 steps (config.steps)"],
    [
      'learning-rate',
      (cp) => (cp.config.learningRate = 'fast'),
      'field config.learningRate: must be a number greater than 0',
    ],
    [
      'eval-batch',
      (cp) => (cp.config.evalBatchSize = 0),
      'field config.evalBatchSize: must be a whole number greater than 0',
    ],
    [
      'optimizer',
      (cp) => (cp.config.optimizer = 'rmsprop'),
      'field config.optimizer: invalid option: expected one of "adam"|"sgd"',
    ],
    [
      'order-range',
      (cp) => ((cp.data as Json['data'] & object).order[3] = 100000),
      'field data.order[3]: 100000 is out of range (the order must list each of the 240 training images once)',
    ],
    [
      'order-repeat',
      (cp) => {
        const order = (cp.data as { order: unknown[] }).order;
        order[3] = order[4];
      },
      'field data.order[4]: ',
    ],
    ['no-data', (cp) => delete cp.data, 'field data: missing'],
    [
      'format',
      (cp) => (cp.format = 'other'),
      'field format: not an mnist-deep checkpoint (format must be "mnist-deep-checkpoint-1")',
    ],
    ['bin-name', (cp) => (cp.bin = '../model.json'), 'field bin: must be a name like checkpoint-<step>.bin'],
    // Folders and names read back are input: a run records them resolved, and names only its own files.
    [
      'relative-logdir',
      (cp) => (cp.config.logdir = 'elsewhere'),
      'field config.logdir: must be an absolute path (as train records it)',
    ],
    [
      'relative-data-dir',
      (cp) => (cp.config.dataDir = '../data'),
      'field config.dataDir: must be an absolute path (as train records it)',
    ],
    [
      'event-file-outside',
      (cp) => (cp.eventFiles = ['../../victim/events.out.tfevents.1.host']),
      'field eventFiles[0]: must be an event file name',
    ],
    ['steps-huge', (cp) => (cp.config.steps = 1e300), 'field config.steps: must be a whole number greater than 0'],
    ['sha256-form', (cp) => (cp.sha256 = 'abc'), 'field sha256: must be 64 lowercase hex digits'],
  ];
  for (const [name, edit, expected] of cases) {
    it(name, async () => {
      const line = await resumeTampered(name, edit);
      assert.ok(line.startsWith(`mnist-deep: error: FILE: ${expected}`), line);
    });
  }

  it("another checkpoint's .bin of the same size, copied in, is refused by its SHA-256", async () => {
    const other = join(tmp.dir, 'other-run');
    const trained = await runCli(
      ['train', '--model', 'softmax', '--seed', '5', '--data-dir', data, '--validation-size', '60'].concat([
        '--steps',
        '10',
        '--checkpoint-every',
        '5',
        '--save-dir',
        other,
      ]),
      { cwd: tmp.dir },
    );
    assert.equal(trained.code, 0, trained.stderr);
    const line = await resumeTampered(
      'copied-bin',
      () => {},
      (dir) => cpSync(join(other, 'checkpoint-10.bin'), join(dir, 'checkpoint-10.bin')),
    );
    assert.equal(
      line,
      `mnist-deep: error: ${join(tmp.dir, 'copied-bin', 'checkpoint-10.bin')}: its SHA-256 is not the one checkpoint.json records (a .bin of another checkpoint?); refusing to resume from it`,
    );
  });

  it('a .bin of the wrong size is named, and nothing was trained', async () => {
    const line = await resumeTampered('parameters', (cp) => (cp.parameters = 5));
    assert.match(
      line,
      /checkpoint-10\.bin: \d+ bytes, more than the 20 allowed \(the size checkpoint\.json describes\)/,
    );
  });
});
