/**
 * `mnist-deep serve`: the drawing page for a saved model. Finds the model
 * (train's default save dirs), starts the server of src/serve and opens the
 * browser; the page and its guarded file reads live below, in src/serve.
 */
import { spawn } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UserError } from '../errors';
import { useBackend } from '../backends';
import { DEFAULT_MODEL_DIRS } from '../train/config';
import { MODEL_FILE } from '../run-files';
import { requireTrainedModel, untrainedRun } from '../savedir/model-folder';
import { siteRoutes } from '../serve/files';
import { DEFAULT_HOST, allowedHosts, browseHost, isLoopback, urlHost } from '../serve/hosts';
import { listen, makeServer } from '../serve/server';
import { commandLine } from '../terminal/command-line';
import { statusLine } from '../terminal/status';
import { openModel } from '../models/open';
import { requireTfjsRunnable } from '../models/runnable';
import { trapSignals } from './signals';

export interface ServeOptions {
  modelDir?: string;
  port: number;
  host?: string;
  open?: boolean;
}

function warn(text: string): void {
  statusLine().print(process.stderr, `mnist-deep: warning: ${text}`);
}

function listenError(err: unknown, host: string, port: number, modelArgs: string[]): UserError {
  const code = (err as NodeJS.ErrnoException).code;
  const where = `${urlHost(host)}:${port}`;
  const anyPort = `any free port: ${commandLine('serve', ...modelArgs, '--port', '0')}`;
  if (code === 'EADDRINUSE') return new UserError(`--port ${port}: ${where} is already in use`, { hint: anyPort });
  if (code === 'EACCES')
    return new UserError(`--port ${port}: not allowed to listen on ${where} (ports below 1024 need privileges)`, {
      hint: anyPort,
    });
  return new UserError(`--host ${host}: cannot listen on ${where} (${code ?? String(err)})`);
}

/** Opens the URL in the desktop's browser; failing to is only a warning. */
function openBrowser(url: string): void {
  const [cmd, args] =
    process.platform === 'darwin'
      ? ['open', [url]]
      : process.platform === 'win32'
        ? ['cmd', ['/c', 'start', '""', url]]
        : ['xdg-open', [url]];
  const child = spawn(cmd, args, { stdio: 'ignore', detached: true });
  child.on('error', (err: NodeJS.ErrnoException) =>
    warn(`--open: could not start ${cmd} (${err.code ?? err.message}); open ${url} yourself`),
  );
  child.unref();
}

/**
 * train's default save dirs: the CNN's if there is one, else the (quicker to train) softmax's,
 * saying so when the CNN's folder holds a run that has not finished.
 */
function defaultModelDir(): string {
  const found = DEFAULT_MODEL_DIRS.find((d) => existsSync(join(d, MODEL_FILE)));
  const skipped = found === undefined ? undefined : DEFAULT_MODEL_DIRS.slice(0, DEFAULT_MODEL_DIRS.indexOf(found));
  for (const dir of skipped ?? []) {
    const run = untrainedRun(dir);
    if (run)
      statusLine().print(process.stderr, `mnist-deep: note: ${dir}: ${run}, no trained model yet; serving ${found}`);
  }
  return found ?? DEFAULT_MODEL_DIRS[0];
}

export async function runServe(opts: ServeOptions): Promise<void> {
  const host = opts.host ?? DEFAULT_HOST;
  const modelDir = opts.modelDir ?? defaultModelDir();
  const dir = resolve(modelDir);
  const modelArgs = opts.modelDir === undefined ? [] : ['--model-dir', modelDir];
  requireTrainedModel(modelDir);
  // The same checks as eval's (files, then the model built on the plain cpu backend), so a broken
  // model folder is one clear line now, not a page error later.
  await useBackend('cpu');
  const model = await openModel(dir);
  try {
    requireTfjsRunnable(model, 'browser');
  } finally {
    model.dispose();
  }
  const routes = siteRoutes({ modelRoot: realpathSync(dir), modelLabel: modelDir });
  let allowed: ReadonlySet<string> = new Set();
  const server = makeServer(routes, () => allowed);
  let port: number;
  try {
    port = await listen(server, host, opts.port);
  } catch (err) {
    throw listenError(err, host, opts.port, modelArgs);
  }
  allowed = allowedHosts(host, port);
  const url = `http://${browseHost(host)}:${port}/`;
  if (!isLoopback(host)) {
    warn(
      `--host ${host}: the page and the model can be fetched by any machine that reaches this address; there is no authentication`,
    );
  }
  const stopped = new Promise<void>((done) => {
    const signals = trapSignals(() => {
      server.close(() => void signals.dispose().then(done));
      // Browsers keep connections open; without this, close() would wait for them.
      server.closeAllConnections();
    });
  });
  statusLine().print(process.stdout, `serving ${modelDir} at ${url} (Ctrl-C to stop)`);
  if (opts.open) openBrowser(url);
  await stopped;
  statusLine().print(process.stdout, 'stopped');
}
