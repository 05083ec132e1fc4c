import { DatasetName } from '../data/datasets';
import { ensureDataset } from '../data/ensure';
import { RawDataset, locateOptionsFromEnv } from '../data/files';

/** The data set for train/eval: found where the user put it, else downloaded (progress on stderr). */
export function commandDataset(name: DatasetName, dataDir?: string): Promise<RawDataset> {
  return ensureDataset(name, { ...locateOptionsFromEnv(dataDir), log: (l) => process.stderr.write(l + '\n') });
}
