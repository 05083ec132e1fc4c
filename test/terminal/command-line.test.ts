import { strict as assert } from 'node:assert';
import { mkdirSync, symlinkSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { commandLine, commandName, shellWord } from '../../src/terminal/command-line';
import { BIN } from '../helpers/cli';
import { tempDir } from '../helpers/fixtures';

const tmp = tempDir();
after(tmp.cleanup);

describe('paste-able command names', () => {
  const global = join(tmp.dir, 'global-bin');
  const local = join(tmp.dir, 'project', 'node_modules', '.bin');
  for (const dir of [global, local]) {
    mkdirSync(dir, { recursive: true });
    symlinkSync(BIN, join(dir, 'mnist-deep'));
  }

  it('is the bare name when that name on PATH is this very program', () => {
    assert.equal(commandName({ PATH: `/usr/bin${delimiter}${global}` }, join(global, 'mnist-deep')), 'mnist-deep');
    assert.equal(commandName({ PATH: global }, BIN), 'mnist-deep');
  });

  it('is npx mnist-deep from npm (npx, scripts), a local install, or when not on PATH', () => {
    assert.equal(commandName({ PATH: global, npm_command: 'exec' }, BIN), 'npx mnist-deep');
    assert.equal(commandName({ PATH: local }, join(local, 'mnist-deep')), 'npx mnist-deep');
    assert.equal(commandName({ PATH: '/usr/bin' }, BIN), 'npx mnist-deep');
    assert.equal(commandName({}, undefined), 'npx mnist-deep');
  });

  it('quotes only the words that need it', () => {
    assert.deepEqual(['models/cnn', '--steps', 'my runs/it', "it's", ''].map(shellWord), [
      'models/cnn',
      '--steps',
      "'my runs/it'",
      `'it'\\''s'`,
      "''",
    ]);
    assert.match(commandLine('train', '--resume', 'a b'), /mnist-deep train --resume 'a b'$/);
  });
});
