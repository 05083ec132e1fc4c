/**
 * @tensorflow/tfjs-node installed beside the @tensorflow/tfjs it shares, with
 * npm's own CLI and without its install script (which downloads libtensorflow
 * from Google's storage): the binding is built against our cached libraries.
 */
import { existsSync, realpathSync } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';
import { UserError } from '../errors';
import { Say, run } from './command';
import { TFJS_NODE, packageRoot, tfjsNodeDir } from './layout';

/**
 * The folder whose node_modules really holds @tensorflow/tfjs (symbolic links
 * resolved: npm replaces a linked node_modules with a folder of its own):
 * tfjs-node goes there, to share that tfjs.
 */
function installRoot(): string {
  try {
    const root = resolve(dirname(require.resolve('@tensorflow/tfjs/package.json', { paths: [__dirname] })), '../../..');
    if (existsSync(join(root, 'package.json'))) return root;
  } catch {
    // tfjs itself missing: fall back to this package's folder.
  }
  return packageRoot();
}

/** npm's own CLI script (to run npm and find its bundled node-gyp without relying on PATH order). */
export function npmDir(): string | undefined {
  const fromEnv = process.env.npm_execpath;
  const candidates = fromEnv ? [fromEnv] : [];
  for (const dir of (process.env.PATH ?? '').split(delimiter)) if (dir) candidates.push(join(dir, 'npm'));
  for (const c of candidates) {
    try {
      let d = dirname(realpathSync(c));
      for (let i = 0; i < 3; i++, d = dirname(d))
        if (existsSync(join(d, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'))) return d;
    } catch {
      // not there
    }
  }
  return undefined;
}

const tfjsVersion = () => (require('@tensorflow/tfjs/package.json') as { version: string }).version;

/** Installs tfjs-node (same version as tfjs) with `--ignore-scripts` when it is missing; returns its folder. */
export async function ensureTfjsNode(say: Say): Promise<{ dir: string; installed: boolean }> {
  const found = tfjsNodeDir();
  if (found) return { dir: found, installed: false };
  const override = process.env.MNIST_DEEP_TFJS_NODE_DIR;
  if (override)
    throw new UserError(
      `MNIST_DEEP_TFJS_NODE_DIR=${override}: no package.json there (it names a @tensorflow/tfjs-node package folder)`,
    );
  const npm = npmDir();
  if (!npm)
    throw new UserError(
      'npm not found (needed to install @tensorflow/tfjs-node): install npm, or run `npm install --ignore-scripts @tensorflow/tfjs-node` yourself',
    );
  const spec = `${TFJS_NODE}@${tfjsVersion()}`;
  const root = installRoot();
  say(`installing ${spec} without its install script (in ${root})…`);
  const r = await run(
    process.execPath,
    [join(npm, 'bin', 'npm-cli.js'), 'install', '--no-save', '--ignore-scripts', '--no-audit', '--no-fund', spec],
    { cwd: root },
  );
  // Looked up by path: require's caches may still remember the package as missing.
  const dir = join(root, 'node_modules', TFJS_NODE);
  if (!r || r.code !== 0 || !existsSync(join(dir, 'package.json'))) {
    const why =
      (r?.output ?? '')
        .trim()
        .split('\n')
        .filter((l) => /err/i.test(l))
        .slice(-1)[0] ?? 'no output';
    throw new UserError(
      `npm could not install ${spec}: ${why.trim()} (offline? run \`npm install --ignore-scripts ${spec}\` when online)`,
    );
  }
  return { dir, installed: true };
}
