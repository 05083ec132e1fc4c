import { DatasetName } from '../data/datasets';
import { ensureDataset } from '../data/ensure';
import { locateOptionsFromEnv } from '../data/files';
import { byteProgress } from './progress';

export interface DownloadOptions {
  dataset: DatasetName;
  dataDir?: string;
  mirror?: string[];
}

export async function runDownload(opts: DownloadOptions): Promise<void> {
  const log = (line: string) => process.stderr.write(line + '\n');
  const data = await ensureDataset(opts.dataset, {
    ...locateOptionsFromEnv(opts.dataDir),
    mirrors: opts.mirror?.length ? opts.mirror : undefined,
    progress: byteProgress(),
    log,
  });
  for (const note of data.notes) log(`note: ${note}`);
  const { rows, cols } = data.train.images;
  process.stdout.write(
    `${data.name}: train ${data.train.images.count}, test ${data.test.images.count}, ${rows}x${cols} — ${data.dir}\n`,
  );
}
