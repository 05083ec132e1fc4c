/**
 * The fixed set of files the server answers, by exact URL path. Nothing in a
 * URL is ever turned into a file-system path: a path that is not a key of this
 * table is a 404, however it is encoded.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UserError } from '../errors';
import { METADATA_FILE, MODEL_FILE, REPORT_FILE, WEIGHTS_FILE } from '../run-files';
import { pageInfo } from './info';
import { readModelFile } from './model-files';

/** How a response may be used by the browser; see server.ts for the headers. */
export type Policy = 'page' | 'report' | 'data';

export interface Resource {
  type: string;
  policy: Policy;
  /** The body, or undefined for a 404 (a model file that is absent or not allowed). */
  read(): Buffer | undefined;
}

const TYPES = {
  html: 'text/html; charset=utf-8',
  css: 'text/css; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  json: 'application/json; charset=utf-8',
  bin: 'application/octet-stream',
  wasm: 'application/wasm',
} as const;

/** Where the package keeps things, relative to this compiled file (dist/src/serve). */
const PACKAGE_ROOT = resolve(__dirname, '../../..');
const ASSETS_DIR = join(PACKAGE_ROOT, 'assets', 'serve');
const PAGE_SCRIPT = join(__dirname, 'page', 'app.js');
const PREPROCESS_MODULE = join(__dirname, '..', 'preprocess', 'mnistify.js');

/** Without cross-origin isolation TF.js loads one of these, never the threaded build. */
const WASM_FILES = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm'];

function readAsset(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new UserError(`${file}: page asset missing (${code}); reinstall mnist-deep or run npm run build`);
  }
}

/**
 * The page's preprocessing is the compiled src/preprocess/mnistify.ts itself,
 * a CommonJS module without imports: given an `exports` object it runs in a
 * browser as is, and its exports become `window.mnistDeepPreprocess`.
 */
export function browserModule(source: string, file: string, globalName: string): Buffer {
  if (/\brequire\s*\(/.test(source))
    throw new UserError(`${file}: imports other modules, so it cannot run in the page`);
  const body = source.replace(/^\/\/# sourceMappingURL=.*$/m, '');
  return Buffer.from(`(function (exports) {\n${body}\n})(window.${globalName} = {});\n`);
}

export interface SiteOptions {
  /** The model folder, already resolved through symlinks. */
  modelRoot: string;
  /** The folder as the user named it, shown on the page. */
  modelLabel: string;
}

/** URL path → resource. Static assets are read once, at start; model files at each request. */
export function siteRoutes(opts: SiteOptions): Map<string, Resource> {
  const fixed = (type: string, body: Buffer): Resource => ({ type, policy: 'page', read: () => body });
  const model = (name: string, type: string, policy: Policy = 'data'): Resource => ({
    type,
    policy,
    read: () => readModelFile(opts.modelRoot, name),
  });
  const tfFile = require.resolve('@tensorflow/tfjs/dist/tf.es2017.min.js');
  const wasmFile = require.resolve('@tensorflow/tfjs-backend-wasm/dist/tf-backend-wasm.es2017.min.js');
  const routes = new Map<string, Resource>([
    ['/', fixed(TYPES.html, readAsset(join(ASSETS_DIR, 'index.html')))],
    ['/style.css', fixed(TYPES.css, readAsset(join(ASSETS_DIR, 'style.css')))],
    ['/app.js', fixed(TYPES.js, readAsset(PAGE_SCRIPT))],
    [
      '/mnistify.js',
      fixed(
        TYPES.js,
        browserModule(readAsset(PREPROCESS_MODULE).toString('utf8'), PREPROCESS_MODULE, 'mnistDeepPreprocess'),
      ),
    ],
    ['/tf.min.js', fixed(TYPES.js, readAsset(tfFile))],
    ['/tf-backend-wasm.min.js', fixed(TYPES.js, readAsset(wasmFile))],
    [
      '/info.json',
      {
        type: TYPES.json,
        policy: 'data',
        read: () => Buffer.from(JSON.stringify(pageInfo(opts.modelRoot, opts.modelLabel))),
      },
    ],
    ['/model/' + MODEL_FILE, model(MODEL_FILE, TYPES.json)],
    ['/model/' + WEIGHTS_FILE, model(WEIGHTS_FILE, TYPES.bin)],
    ['/model/' + METADATA_FILE, model(METADATA_FILE, TYPES.json)],
    // The report is HTML from the model folder: sandboxed, see server.ts.
    ['/model/' + REPORT_FILE, model(REPORT_FILE, TYPES.html, 'report')],
  ]);
  for (const name of WASM_FILES) routes.set('/wasm/' + name, fixed(TYPES.wasm, readAsset(join(wasmFile, '..', name))));
  return routes;
}
