import { DatasetName } from '../data/datasets';
import { ensureDataset } from '../data/ensure';
import { RawDataset, locateOptionsFromEnv } from '../data/files';
import { statusLine } from '../terminal/status';
import { byteProgress } from './progress';

/** The data set for train/eval: found where the user put it, else downloaded (progress on stderr). */
export function commandDataset(name: DatasetName, dataDir?: string): Promise<RawDataset> {
  return ensureDataset(name, { ...locateOptionsFromEnv(dataDir), progress: byteProgress(), log: (l) => statusLine().print(process.stderr, l) });
}
