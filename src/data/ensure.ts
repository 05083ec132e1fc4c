/**
 * The one entry to a data set for the commands: use it where it is found,
 * else download what is missing. A folder the user named must hold it,
 * because training silently on other data than the one asked for is worse
 * than an error.
 */
import { existsSync, readdirSync, rmdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../errors';
import { commandLine } from '../terminal/command-line';
import { DATASETS, DatasetName } from './datasets';
import { FetchOptions, MirrorFailure, fetchFromMirrors } from './download';
import { LocateOptions, RawDataset, downloadDir, findAll, findFile, locate, readDataset, readLocated } from './files';

export interface EnsureOptions extends LocateOptions, FetchOptions {
  /** Replaces the data set's mirrors (tests point these at a local server). */
  mirrors?: readonly string[];
  log?: (line: string) => void;
  /**
   * A `--data-dir` the user named must hold the whole set: for train and eval a
   * folder without it (a typo) is an error, not a place to download to.
   */
  strictDataDir?: boolean;
}

/** Why `dir` (the user's --data-dir) does not hold the set, and what to do. */
function incompleteDataDir(name: DatasetName, dir: string, given: string): UserError {
  const where = `--data-dir ${given}`;
  if (!existsSync(dir)) return new UserError(`${where}: no such folder`);
  if (!statSync(dir).isDirectory()) return new UserError(`${where}: not a folder`);
  const missing = DATASETS[name].files.filter((f) => !findFile(dir, f.name)).map((f) => f.name);
  return new UserError(
    `${where}: the ${name} files ${missing.join(', ')} are not there (.gz or raw); ` +
      `download them with \`${commandLine('download', '--dataset', name, '--data-dir', given)}\``,
  );
}

/**
 * Makes sure the four files of a data set are present and valid: uses the first
 * complete directory found, otherwise downloads the missing files (verified by
 * SHA-256) into the download directory.
 */
export async function ensureDataset(
  name: DatasetName,
  opts: EnsureOptions,
): Promise<RawDataset & { downloaded: string[] }> {
  const found = locate(name, opts);
  // Not spread: the splits are read when first used (see readDataset).
  if (found) return Object.assign(readLocated(name, found), { downloaded: [] });
  if (opts.dataDir && opts.strictDataDir) throw incompleteDataDir(name, downloadDir(name, opts), opts.dataDir);

  const spec = DATASETS[name];
  const dir = downloadDir(name, opts);
  const mirrors = opts.mirrors ?? spec.mirrors;
  const downloaded: string[] = [];
  const dirExisted = existsSync(dir);
  for (const f of spec.files) {
    if (findFile(dir, f.name)) continue;
    const fileName = f.name + '.gz';
    opts.log?.(`downloading ${fileName}`);
    const failures: MirrorFailure[] = [];
    try {
      const mirror = await fetchFromMirrors(mirrors, fileName, join(dir, fileName), f.sha256, {
        ...opts,
        maxBytes: f.bytes,
        onMirrorFailed: (m: MirrorFailure) => {
          failures.push(m);
          opts.log?.(`  ${m.mirror}: ${m.reason}`);
        },
      });
      downloaded.push(mirror + fileName);
    } catch (err) {
      // Leave no trace of a failed download: not even the folder we made for it.
      if (!dirExisted && existsSync(dir) && readdirSync(dir).length === 0) rmdirSync(dir);
      if (!(err instanceof UserError)) throw err;
      // The reasons were logged line by line as each mirror failed; the error does not repeat them.
      const why = opts.log ? 'see above' : failures.map((m) => `${m.mirror}: ${m.reason}`).join('; ');
      throw new UserError(
        `${name}: could not download ${fileName} from ${failures.length === 1 ? 'its mirror' : `any of ${failures.length} mirrors`} (${why})`,
        {
          hint: `to install by hand, place ${spec.files.map((x) => x.name + '.gz').join(', ')} in ${dir} (or give their folder with --data-dir)`,
        },
      );
    }
  }
  const files = findAll(spec, dir);
  if (!files) throw new UserError(`${dir}: files still missing after download`);
  return Object.assign(readDataset(name, dir, files, 'download'), { downloaded });
}
