/** npm test's reporter (test/reporter.ts): spec lines and per-file progress on a terminal, TAP elsewhere. */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { tempDir } from './helpers/fixtures';
import { hasScript } from './helpers/pty';

const tmp = tempDir();
after(tmp.cleanup);
const REPORTER = join(__dirname, 'reporter.js');
const files = ['one.test.js', 'two.test.js'].map((f) => join(tmp.dir, f));
// Dawn's warning as the WebGPU tests print it (the software adapter's limits), and a line of the test's own.
writeFileSync(
  files[0],
  `process.stderr.write('Warning: maxDynamicUniformBuffersPerPipelineLayout artificially reduced from 8 to 4\\n');
   process.stderr.write('a line of the test\\n');
   require('node:test').it('adds', () => {});\n`,
);
writeFileSync(files[1], "require('node:test').it('fails', () => { throw new Error('wrong sum'); });\n");
const command = [process.execPath, '--test', `--test-reporter=${REPORTER}`, ...files];
const env = { ...process.env };
for (const k of ['CI', 'NO_COLOR', 'NODE_TEST_CONTEXT']) delete env[k];

describe('the npm test reporter', () => {
  it(
    "on a terminal: a line per finished file, the failures at the end, no passing test's line, no Dawn warning",
    { skip: !hasScript && 'util-linux `script` is not installed' },
    () => {
      const quoted = command.map((w) => `'${w}'`).join(' ');
      const run = spawnSync('script', ['-qfec', quoted, '/dev/null'], { cwd: tmp.dir, env, encoding: 'utf8' });
      const text = run.stdout.replace(/\x1b\[[0-9;]*m/g, '');
      assert.equal(run.status, 1, text);
      assert.doesNotMatch(text, /✔ adds/);
      assert.doesNotMatch(text, /maxDynamicUniformBuffersPerPipelineLayout/);
      assert.match(text, /a line of the test/);
      assert.match(text, /1\/2 files, \d+s: one\.test\.js/);
      assert.match(text, /2\/2 files, \d+s: two\.test\.js/);
      assert.match(text, /failing tests:[\s\S]*✖ fails[\s\S]*wrong sum/);
      assert.match(text, /ℹ fail 1/);
    },
  );

  it('in CI or a pipe: TAP with its plain summary', () => {
    for (const extra of [{}, { CI: 'true' }]) {
      const run = spawnSync(command[0], command.slice(1), {
        cwd: tmp.dir,
        env: { ...env, ...extra },
        encoding: 'utf8',
      });
      assert.equal(run.status, 1, run.stdout);
      assert.match(run.stdout, /^TAP version 13$/m);
      assert.match(run.stdout, /^not ok \d+ - fails$/m);
      assert.match(run.stdout, /^# pass 1\n# fail 1$/m);
      assert.doesNotMatch(run.stdout, /files, /);
    }
  });
});
