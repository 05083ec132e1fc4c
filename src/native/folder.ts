/**
 * TensorFlow's libraries from an installed package folder
 * (…/site-packages/tensorflow): its version from the dist-info pip put beside
 * it, its two libraries copied and the headers the binding needs.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { UserError, errorMessage } from '../errors';
import { resolveInside } from '../fs/paths';
import { readTextFile } from '../fs/read';
import { Say } from './command';
import { MAX_HEADER_BYTES, headerClosure, metadataVersion, writeHeaders } from './headers';
import { LIBRARIES, Manifest } from './layout';
import { MB, linkLibraryNames } from './wheel';

/** An installed package's version, from the `tensorflow*.dist-info/METADATA` pip put beside it. */
export function folderVersion(dir: string): string {
  const parent = dirname(resolve(dir));
  const infos = existsSync(parent)
    ? readdirSync(parent).filter((f) => /^tensorflow(?:[_-]cpu)?-[\d.]+\.dist-info$/.test(f))
    : [];
  for (const info of infos) {
    const version = metadataVersion(readTextFile(join(parent, info, 'METADATA'), MAX_HEADER_BYTES));
    if (version) return version;
  }
  throw new UserError(
    `--tensorflow-dir ${dir}: no tensorflow*.dist-info beside it to tell TensorFlow's version; give it with --tf-version`,
  );
}

/** An installed TensorFlow package folder (…/site-packages/tensorflow): copy its two libraries and the headers needed. */
export function copyFromFolder(dir: string, out: string, version: string, say: Say): Manifest {
  const missing = LIBRARIES.filter((l) => !existsSync(join(dir, l)));
  if (missing.length)
    throw new UserError(
      `--tensorflow-dir ${dir}: ${missing.join(', ')} not found there (give the installed tensorflow package folder)`,
    );
  mkdirSync(join(out, 'lib'), { recursive: true });
  let bytes = 0;
  for (const l of LIBRARIES) {
    say(`copying ${l} (${MB(statSync(join(dir, l)).size)})…`);
    copyFileSync(join(dir, l), join(out, 'lib', l));
    bytes += statSync(join(dir, l)).size;
  }
  const inc = join(dir, 'include');
  try {
    bytes += writeHeaders(
      headerClosure((h) => {
        const file = resolveInside(inc, h, h, 'its include folder');
        return existsSync(file) ? readTextFile(file, MAX_HEADER_BYTES) : undefined;
      }),
      out,
    );
  } catch (err) {
    throw new UserError(`--tensorflow-dir ${dir}: ${errorMessage(err)}`);
  }
  linkLibraryNames(join(out, 'lib'));
  return { tensorflow: version, source: dir, bytes, createdAt: new Date().toISOString() };
}
