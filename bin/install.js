#!/usr/bin/env node
'use strict';
// npm runs this after installing the package (postinstall) and, in a clone,
// after building it (prepare): it sets up the native backend and never fails
// the install (see src/commands/install.ts).
const { spawnSync } = require('node:child_process');
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const stage = process.argv[2];
// In a clone (tsconfig.json is not published) dist/ is built only by `prepare`, which runs this again.
if (stage === 'postinstall' && existsSync(join(root, 'tsconfig.json'))) process.exit(0);
if (stage === 'prepare') {
  // The first `npx mnist-deep` in a clone links the clone into npx's cache and runs `prepare` there:
  // `npm ci` has just built dist/ and set native up, so that run does nothing (a rebuild took 13-20 s).
  if (process.env.npm_command === 'exec' && existsSync(join(root, 'dist', 'src', 'cli.js'))) process.exit(0);
  const build = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status === null ? 1 : build.status);
}
const oneLine = (err) => String((err && err.message) || err).split('\n')[0];
try {
  require('../dist/src/commands/install.js')
    .runInstallSetup()
    .catch((err) => process.stderr.write(`mnist-deep: native backend not set up (${oneLine(err)})\n`));
} catch (err) {
  process.stderr.write(`mnist-deep: native backend not set up (${oneLine(err)})\n`);
}
