/**
 * TensorFlow's C libraries and headers into the per-user cache, from a wheel
 * (given, or fetched with pip) or an installed TensorFlow folder. Everything is
 * written to a temporary folder beside the final one and renamed into place at
 * the end, so an interrupted or failed run leaves nothing that looks usable.
 */
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../errors';
import { isInside } from '../fs/paths';
import { requireFreeSpace } from '../fs/space';
import { Say } from './command';
import { copyFromFolder, folderVersion } from './folder';
import {
  DEFAULT_TF_VERSION,
  MANIFEST_FILE,
  Manifest,
  PINNED_WHEELS,
  cacheRoot,
  librariesDir,
  readManifest,
} from './layout';
import { pipDownload } from './pip';
import { checkWheelHash, extractWheel, wheelVersion } from './wheel';

export interface LibrarySource {
  wheel?: string;
  tensorflowDir?: string;
  tfVersion?: string;
  verbose?: boolean;
}

/** About what a fresh setup needs on disk: the wheel (~280 MB) while extracting, then ~860 MB of libraries. */
export const DISK_NEEDED = 1.2e9;
/** Makes sure the libraries are in the cache; returns their folder and manifest. */
export async function ensureLibraries(
  src: LibrarySource,
  say: Say,
): Promise<{ dir: string; manifest: Manifest; fresh: boolean }> {
  if (src.wheel && src.tensorflowDir) throw new UserError('--wheel and --tensorflow-dir: give one of them');
  const version = checkVersion(
    src.tfVersion ??
      (src.wheel ? wheelVersion(src.wheel) : src.tensorflowDir ? folderVersion(src.tensorflowDir) : DEFAULT_TF_VERSION),
    src.tfVersion !== undefined ? '--tf-version' : (src.wheel ?? src.tensorflowDir ?? 'default'),
  );
  if (!src.wheel && !src.tensorflowDir && !PINNED_WHEELS[version])
    throw new UserError(
      `--tf-version ${version}: no pinned wheel for it (pinned: ${Object.keys(PINNED_WHEELS).join(', ')}); pass --wheel FILE or --tensorflow-dir DIR to use another version`,
    );
  // librariesDir(version) must lie inside the cache: it is removed and replaced below. Checked by name only
  // (the version is x.y.z): a link there (a cache moved to another disk) is used, and replacing it removes the link.
  const dir = librariesDir(version);
  if (!isInside(cacheRoot(), dir)) throw new UserError(`TensorFlow ${version}: ${dir} is outside the cache; refused`);
  const existing = readManifest(dir);
  if (existing) {
    say(`TensorFlow ${version} libraries: already in ${dir}`);
    return { dir, manifest: existing, fresh: false };
  }
  mkdirSync(cacheRoot(), { recursive: true });
  const needed = src.tensorflowDir ? DISK_NEEDED - 3e8 : DISK_NEEDED;
  requireFreeSpace(
    cacheRoot(),
    needed,
    (free) =>
      `not enough disk space in ${cacheRoot()}: the native backend needs about ${(needed / 1e9).toFixed(1)} GB, ${(free / 1e9).toFixed(1)} GB free; free some space or set XDG_CACHE_HOME to a folder on another disk`,
  );
  const work = mkdtempSync(join(cacheRoot(), `.tensorflow-${version}.partial-`));
  try {
    const staged = join(work, 'out');
    let manifest: Manifest;
    if (src.tensorflowDir) {
      manifest = copyFromFolder(src.tensorflowDir, staged, version, say);
    } else {
      const wheel = src.wheel ?? (await pipDownload(version, work, say, Boolean(src.verbose)));
      const sha256 = await checkWheelHash(wheel, say);
      manifest = await extractWheel(wheel, staged, version, sha256, say);
    }
    writeFileSync(join(staged, MANIFEST_FILE), JSON.stringify(manifest, null, 2) + '\n');
    rmSync(dir, { recursive: true, force: true });
    renameSync(staged, dir);
    return { dir, manifest, fresh: true };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** A TensorFlow version as it becomes part of a folder name: x.y.z, digits only. */
export const VERSION_PATTERN = /^\d{1,4}\.\d{1,4}\.\d{1,4}$/;

/** The one check for every version, typed or read from a wheel's or folder's metadata. */
export function checkVersion(version: string, from: string): string {
  if (!VERSION_PATTERN.test(version))
    throw new UserError(`${from}: TensorFlow version "${version}" is not of the form x.y.z (digits only)`);
  return version;
}
