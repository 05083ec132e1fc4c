import { probeBackends, tfVersion } from '../backends';
import { DATASET_NAMES } from '../data/datasets';
import { candidateDirs, locate, locateOptionsFromEnv, readDataset } from '../data/files';
import { errorMessage } from '../errors';
import { packageVersion } from '../version';

export interface InfoOptions {
  dataDir?: string;
  json?: boolean;
}

interface DatasetInfo {
  name: string;
  dir: string | null;
  valid: boolean;
  detail: string;
}

function datasetInfo(name: (typeof DATASET_NAMES)[number], dataDir?: string): DatasetInfo {
  const opts = locateOptionsFromEnv(dataDir);
  const found = locate(name, opts);
  if (!found) return { name, dir: null, valid: false, detail: `not found (looked in ${candidateDirs(name, opts).join(', ')})` };
  try {
    const data = readDataset(name, found.dir, found.files);
    const notes = data.notes.length ? `; ${data.notes.length} file(s) differ from the canonical bytes` : '';
    return { name, dir: found.dir, valid: true, detail: `train ${data.train.images.count}, test ${data.test.images.count}${notes}` };
  } catch (err) {
    return { name, dir: found.dir, valid: false, detail: `invalid: ${errorMessage(err)}` };
  }
}

export async function runInfo(opts: InfoOptions): Promise<void> {
  const { statuses, auto } = await probeBackends();
  const info = {
    versions: { mnistDeep: packageVersion(), tfjs: tfVersion(), node: process.versions.node },
    backends: statuses,
    autoBackend: auto ?? null,
    datasets: DATASET_NAMES.map((d) => datasetInfo(d, opts.dataDir)),
  };
  if (opts.json) {
    process.stdout.write(JSON.stringify(info) + '\n');
    return;
  }
  const out: string[] = [
    `mnist-deep ${info.versions.mnistDeep}, TensorFlow.js ${info.versions.tfjs}, Node.js ${info.versions.node}`,
    '',
    'Backends:',
    ...statuses.map((s) => `  ${s.name.padEnd(11)} ${s.ok ? 'loads' : 'unavailable'}: ${s.detail}`),
    `  --backend auto uses: ${auto ?? 'none'}`,
    '',
    'Data sets:',
    ...info.datasets.map((d) => `  ${d.name.padEnd(14)} ${d.valid ? 'valid' : d.dir ? 'INVALID' : 'missing'}: ${d.dir ? d.dir + ' — ' : ''}${d.detail}`),
  ];
  process.stdout.write(out.join('\n') + '\n');
}
