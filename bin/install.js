#!/usr/bin/env node
'use strict';
// npm runs this after installing the package (postinstall) and, in a clone,
// after building it (prepare): it sets up the native backend and never fails
// the install (see src/commands/install.ts).
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
// In a clone (tsconfig.json is not published) dist/ is built only by `prepare`, which runs this again.
if (process.argv[2] === 'postinstall' && existsSync(join(root, 'tsconfig.json'))) process.exit(0);
const oneLine = (err) => String((err && err.message) || err).split('\n')[0];
try {
  require('../dist/src/commands/install.js')
    .runInstallSetup()
    .catch((err) => process.stderr.write(`mnist-deep: native backend not set up (${oneLine(err)})\n`));
} catch (err) {
  process.stderr.write(`mnist-deep: native backend not set up (${oneLine(err)})\n`);
}
