/**
 * What a model folder says about its run is input: `eval --logdir` alone takes the run's log
 * folder from model.json only when it is one (an existing folder of event files), and numbers
 * such as `steps` are checked like options before they reach an event file.
 */
import { strict as assert } from 'node:assert';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runInProcess } from '../helpers/in-process';
import { tempDir, writeDataset } from '../helpers/fixtures';

const tmp = tempDir();
after(tmp.cleanup);
const data = join(tmp.dir, 'data');
const trained = join(tmp.dir, 'trained');

before(async () => {
  writeDataset(data, 300, 60);
  const r = await runInProcess(
    ['train', '--model', 'softmax', '--steps', '10', '--data-dir', data, '--validation-size', '60'].concat([
      '--save-dir',
      trained,
      '--logdir',
      join(tmp.dir, 'runs', 'trained'),
    ]),
    { cwd: tmp.dir },
  );
  assert.equal(r.code, 0, r.stderr);
});

/** A copy of the trained model whose model.json metadata `edit` changed. */
function crafted(name: string, edit: (meta: Record<string, unknown>) => void): string {
  const dir = join(tmp.dir, name);
  cpSync(trained, dir, { recursive: true });
  const file = join(dir, 'model.json');
  const json = JSON.parse(readFileSync(file, 'utf8')) as { userDefinedMetadata: Record<string, unknown> };
  edit(json.userDefinedMetadata);
  writeFileSync(file, JSON.stringify(json));
  return dir;
}

const evalArgs = (dir: string, ...more: string[]) => ['eval', '--model-dir', dir, '--data-dir', data, ...more];

describe('eval --logdir alone: the folder model.json names is checked', () => {
  it('a crafted folder outside anything is refused in one line, escaped, and not created', async () => {
    const target = join(tmp.dir, 'outside', 'a\u001b[31mb');
    const dir = crafted('crafted-outside', (m) => (m.logdir = target));
    const r = await runInProcess(evalArgs(dir, '--logdir'), { cwd: tmp.dir });
    assert.equal(r.code, 1);
    assert.equal(
      r.stderr.split('\n')[0],
      `mnist-deep: error: ${dir}: the logdir its metadata records: ${join(tmp.dir, 'outside', 'a\\e[31mb')} is not a run's log folder (no event files there)`,
    );
    assert.match(r.stderr, /\nmnist-deep: hint: name the folder to add the evaluation to: eval --logdir DIR\n$/);
    assert.equal(existsSync(join(tmp.dir, 'outside')), false, 'nothing created');
  });

  it('an existing folder without event files is not a run folder either', async () => {
    const plain = join(tmp.dir, 'plain');
    mkdirSync(plain);
    const dir = crafted('plain-folder', (m) => (m.logdir = plain));
    const r = await runInProcess(evalArgs(dir, '--logdir'), { cwd: tmp.dir });
    assert.equal(r.code, 1);
    assert.deepEqual(readdirSync(plain), []);
  });

  it('a relative folder is refused as metadata no run writes', async () => {
    const dir = crafted('relative', (m) => (m.logdir = 'runs/elsewhere'));
    const r = await runInProcess(evalArgs(dir, '--logdir'), { cwd: tmp.dir });
    assert.equal(r.code, 1);
    assert.equal(
      r.stderr,
      `mnist-deep: error: ${join(dir, 'model.json')}: field userDefinedMetadata.logdir: must be an absolute path (as train records it)\n`,
    );
  });
});

describe("model.json's numbers are checked before they reach an event file", () => {
  for (const steps of [-1, 1e300, 2.5]) {
    it(`steps ${steps}`, async () => {
      const dir = crafted(`steps-${steps}`, (m) => (m.steps = steps));
      const logdir = join(tmp.dir, `events-${steps}`);
      const r = await runInProcess(evalArgs(dir, '--logdir', logdir), { cwd: tmp.dir });
      assert.equal(r.code, 1);
      assert.equal(
        r.stderr,
        `mnist-deep: error: ${join(dir, 'model.json')}: field userDefinedMetadata.steps: must be a whole number, 0 or more\n`,
      );
      assert.equal(existsSync(logdir), false, 'no event file written');
    });
  }
});
