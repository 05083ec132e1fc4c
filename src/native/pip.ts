/**
 * The pinned TensorFlow wheel fetched with pip: find a Python 3 with pip, then
 * `pip download` the wheel for linux x86-64 into a folder, with messages that
 * say what to do when offline or when pip finds nothing.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../errors';
import { Say, lastLine, run } from './command';

/** The first of python3, python that runs. */
export async function findPython(): Promise<string> {
  for (const cmd of ['python3', 'python']) {
    const r = await run(cmd, ['--version']);
    if (r && r.code === 0 && /Python 3/.test(r.output)) return cmd;
  }
  throw new UserError(
    'no Python 3 found (python3): install Python 3 with pip, or pass --wheel FILE (a tensorflow-cpu wheel downloaded elsewhere)',
  );
}

/** `python3 -m pip download` of the pinned wheel into `dir`; returns the wheel's path. */
export async function pipDownload(version: string, dir: string, say: Say, verbose: boolean): Promise<string> {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new UserError(
      `no pinned TensorFlow wheel for ${process.platform}-${process.arch}: pass --wheel FILE (a Linux tensorflow-cpu wheel for this machine) or --tensorflow-dir DIR`,
    );
  }
  const python = await findPython();
  const pip = await run(python, ['-m', 'pip', '--version']);
  if (!pip || pip.code !== 0)
    throw new UserError(
      `${python} has no pip (${lastLine(pip?.output ?? '')}): install it (e.g. apt-get install python3-pip) or pass --wheel FILE`,
    );
  const spec = `tensorflow-cpu==${version}`;
  say(`downloading ${spec} with pip (about 275 MB)…`);
  const t0 = Date.now();
  const r = await run(
    python,
    [
      '-m',
      'pip',
      'download',
      '--no-deps',
      '--only-binary=:all:',
      '--python-version',
      '3.11',
      '--platform',
      'manylinux_2_27_x86_64',
      '--disable-pip-version-check',
      '--progress-bar',
      'off',
      spec,
      '-d',
      dir,
    ],
    { echo: verbose },
  );
  const wheels = readdirSync(dir).filter((f) => f.endsWith('.whl'));
  if (!r || r.code !== 0 || wheels.length !== 1) {
    const why = lastLine(r?.output ?? '');
    if (/no matching distribution|could not find a version/i.test(r?.output ?? '')) {
      throw new UserError(
        `pip found no ${spec} wheel for linux x86-64 / Python 3.11 (${why}); check --tf-version, or pass --wheel FILE`,
      );
    }
    throw new UserError(
      `pip could not download ${spec}: ${why || 'no wheel saved'} (offline? pass --wheel FILE, a wheel downloaded elsewhere)`,
    );
  }
  say(`downloaded ${wheels[0]} in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  return join(dir, wheels[0]);
}
