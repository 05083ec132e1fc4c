/**
 * `mnist-deep download`: fetches a data set ahead of time (for offline use),
 * verified like the downloads train makes on its own.
 */
import { DatasetName } from '../data/datasets';
import { ensureDataset } from '../data/ensure';
import { locateOptionsFromEnv } from '../data/files';
import { displayPath } from '../fs/paths';
import { statusLine } from '../terminal/status';
import { byteProgress } from './progress';

export interface DownloadOptions {
  dataset: DatasetName;
  dataDir?: string;
  mirror?: string[];
}

export async function runDownload(opts: DownloadOptions): Promise<void> {
  const log = (line: string) => statusLine().print(process.stderr, line);
  const data = await ensureDataset(opts.dataset, {
    ...locateOptionsFromEnv(opts.dataDir),
    mirrors: opts.mirror?.length ? opts.mirror : undefined,
    progress: byteProgress(),
    log,
  });
  const { rows, cols } = data.train.images;
  // Files with other bytes than the canonical ones are reported by `info`, not on every run.
  const from = data.downloaded.length ? 'downloaded' : data.source;
  statusLine().print(
    process.stdout,
    `${data.name}: train ${data.train.images.count}, test ${data.test.images.count}, ${rows}x${cols}, in ${displayPath(data.dir)} (${from})`,
  );
}
