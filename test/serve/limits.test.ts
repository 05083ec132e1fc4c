/**
 * `serve` does not grow with its clients: one shared buffer per model file,
 * a cap on connections, and idle connections closed; and it starts only on a
 * model that loads as eval loads it. Real sockets on 127.0.0.1.
 */
import { strict as assert } from 'node:assert';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { Socket, connect } from 'node:net';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { useBackend } from '../../src/backends';
import { saveModel } from '../../src/models/io';
import { buildModel } from '../../src/models';
import { Resource } from '../../src/serve/files';
import { readModelFile } from '../../src/serve/model-files';
import { SERVER_LIMITS, listen, makeServer } from '../../src/serve/server';
import { runCli } from '../helpers/cli';
import { tempDir } from '../helpers/fixtures';
import { startServe } from '../helpers/serve';

const tmp = tempDir();
const modelDir = join(tmp.dir, 'model');
/** The tutorial CNN: 13 MB of weights, which 600 copies would make 7.8 GB. */
const cnnDir = join(tmp.dir, 'cnn');
before(async () => {
  await useBackend('cpu');
  await saveModel(buildModel('softmax', 0), modelDir);
  await saveModel(buildModel('cnn', 0), cnnDir);
});
after(tmp.cleanup);

/** Opens a connection and resolves once it is connected (or closed by the server first). */
function open(port: number): Promise<Socket> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.on('error', () => {});
    s.once('connect', () => resolve(s));
    s.once('close', () => resolve(s));
  });
}

const closedWithin = (s: Socket, ms: number) =>
  new Promise<boolean>((resolve) => {
    if (s.destroyed || s.readyState === 'closed') return resolve(true);
    const timer = setTimeout(() => resolve(false), ms);
    s.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });

const connections = (server: Server) =>
  new Promise<number>((resolve, reject) => server.getConnections((err, n) => (err ? reject(err) : resolve(n))));

describe('serve: memory does not grow with clients', () => {
  it('an unchanged model file is one shared buffer; a changed one is read again', () => {
    const a = readModelFile(modelDir, 'weights.bin');
    const b = readModelFile(modelDir, 'weights.bin');
    assert.ok(a && a === b, 'the same Buffer for every request');
    const copy = join(tmp.dir, 'changed');
    cpSync(modelDir, copy, { recursive: true });
    const before = readModelFile(copy, 'model.json');
    writeFileSync(join(copy, 'model.json'), readFileSync(join(copy, 'model.json'), 'utf8') + ' ');
    const changed = readModelFile(copy, 'model.json');
    assert.ok(before && changed && changed.length === before.length + 1);
  });

  it('connections beyond the cap are closed at once; silent and non-reading ones after their timeouts', async () => {
    // Larger than what loopback's kernel buffers take, so the server is left holding a write.
    const body = Buffer.alloc(64 << 20, 1);
    const routes = new Map<string, Resource>([
      ['/big', { type: 'application/octet-stream', policy: 'data', read: () => body }],
    ]);
    const limits = {
      ...SERVER_LIMITS,
      maxConnections: 3,
      headersTimeoutMs: 500,
      requestTimeoutMs: 800,
      idleTimeoutMs: 600,
      keepAliveTimeoutMs: 500,
    };
    const server = makeServer(routes, () => new Set([`127.0.0.1:${port}`]), limits);
    const port = await listen(server, '127.0.0.1', 0);
    try {
      const reader = await open(port);
      reader.pause(); // asks for 64 MB and never reads it
      reader.write(`GET /big HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
      await open(port);
      await open(port); // two that send nothing
      // The next one once the server holds all three.
      const held = Date.now();
      while ((await connections(server)) < 3 && Date.now() - held < 5_000) await new Promise((r) => setTimeout(r, 5));
      const extra = await open(port);
      assert.ok(await closedWithin(extra, 1_000), 'a connection beyond the cap is closed');
      // The paused client sees no close (it reads nothing); the server's count says it let go.
      const t0 = Date.now();
      while ((await connections(server)) > 0 && Date.now() - t0 < 5_000) await new Promise((r) => setTimeout(r, 50));
      assert.equal(await connections(server), 0, 'silent and non-reading connections are closed');
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it('600 clients that ask for weights.bin and never read: the server stays small and answers afterwards', async (t) => {
    const served = await startServe(['--model-dir', cnnDir]);
    const sockets: Socket[] = [];
    try {
      // Each client takes the first bytes of its answer, then reads no more; those beyond the cap are closed.
      const answered: Promise<void>[] = [];
      for (let i = 0; i < 600; i++) {
        const s = connect(served.port, '127.0.0.1');
        s.on('error', () => {});
        answered.push(
          new Promise((done) => {
            s.once('data', () => done(void s.pause()));
            s.once('close', () => done());
          }),
        );
        s.write(`GET /model/weights.bin HTTP/1.1\r\nHost: 127.0.0.1:${served.port}\r\n\r\n`);
        sockets.push(s);
      }
      await Promise.all(answered);
      const status = readFileSync(`/proc/${served.spawned.child.pid}/status`, 'utf8');
      const rssMb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]) / 1024;
      t.diagnostic(`server RSS with 600 clients: ${rssMb.toFixed(0)} MB`);
      assert.ok(rssMb < 300, `server RSS ${rssMb.toFixed(0)} MB`);
      for (const s of sockets) s.destroy();
      // Answered once the server has let the closed clients go (until then the cap may turn it away).
      let res: Response | undefined;
      for (const t0 = Date.now(); !res && Date.now() - t0 < 5_000;)
        res = await fetch(`${served.url}model/model.json`).catch(() => undefined);
      assert.equal(res?.status, 200);
    } finally {
      for (const s of sockets) s.destroy();
      await served.stop();
    }
  });
});

describe('serve: starts only on a model that loads', () => {
  it('a model eval rejects (an unknown layer) is a one-line error before listening', async () => {
    const dir = join(tmp.dir, 'unknown-layer');
    cpSync(modelDir, dir, { recursive: true });
    const json = readFileSync(join(dir, 'model.json'), 'utf8').replace(
      '"class_name":"Dense"',
      '"class_name":"NoSuchLayer"',
    );
    writeFileSync(join(dir, 'model.json'), json);
    const r = await runCli(['serve', '--model-dir', dir, '--port', '0'], { timeoutMs: 60_000 });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /^mnist-deep: error: \S+model\.json: cannot build the model \(.*NoSuchLayer/);
    assert.doesNotMatch(r.stdout, /serving/);
  });
});
