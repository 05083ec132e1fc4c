import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { fetchFromMirrors, fetchVerified } from '../../src/data/download';
import { ensureDataset } from '../../src/data/ensure';
import { DATASETS } from '../../src/data/datasets';
import { UserError } from '../../src/errors';
import { serveBytes, startServer } from '../helpers/http';
import { imagesIdx, tempDir } from '../helpers/fixtures';
import { makeFifo } from '../helpers/special';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const good = gzipSync(imagesIdx(5));
const goodSha = sha(good);

type Srv = Awaited<ReturnType<typeof startServer>>;
let srv: Srv;
const tmp = tempDir();

before(async () => {
  srv = await startServer({
    '/good/': serveBytes(good),
    '/html/': (_req, res) => res.end('<html><body>Welcome</body></html>'),
    '/forbidden/': (_req, res) => {
      res.statusCode = 403;
      res.end();
    },
    '/error/': (_req, res) => {
      res.statusCode = 500;
      res.end();
    },
    '/redirect/': (req, res) => {
      res.statusCode = 302;
      res.setHeader('location', (req.url ?? '').replace('/redirect/', '/good/'));
      res.end();
    },
    '/stall/': (_req, res) => {
      res.setHeader('content-length', good.length);
      res.write(good.subarray(0, 100)); // then nothing
    },
    '/liar/': (_req, res) => {
      res.setHeader('content-length', 1e12);
      res.write(good.subarray(0, 100));
    },
    '/drop/': (req, res) => {
      res.setHeader('content-length', good.length);
      res.write(good.subarray(0, 1000), () => req.socket.destroy());
    },
  });
});
after(async () => {
  await srv.close();
  tmp.cleanup();
});

const leftovers = (dir: string) => (existsSync(dir) ? readdirSync(dir) : []);

describe('downloader', () => {
  it('writes a verified file atomically', async () => {
    const dest = join(tmp.dir, 'ok', 'f.gz');
    await fetchVerified(`${srv.base}/good/f.gz`, dest, goodSha);
    assert.deepEqual(readFileSync(dest), good);
    assert.deepEqual(leftovers(join(tmp.dir, 'ok')), ['f.gz']);
  });

  it('follows redirects', async () => {
    const dest = join(tmp.dir, 'redir', 'f.gz');
    await fetchVerified(`${srv.base}/redirect/f.gz`, dest, goodSha);
    assert.deepEqual(readFileSync(dest), good);
  });

  it('moves on from a 404 to the next mirror', async () => {
    const dir = join(tmp.dir, 'm404');
    const failed: string[] = [];
    const used = await fetchFromMirrors(
      [`${srv.base}/missing/`, `${srv.base}/good/`],
      'f.gz',
      join(dir, 'f.gz'),
      goodSha,
      {
        onMirrorFailed: (f) => failed.push(f.reason),
      },
    );
    assert.equal(used, `${srv.base}/good/`);
    assert.deepEqual(failed, ['HTTP 404 Not Found']);
  });

  it('rejects wrong bytes (an HTML page), leaves no file, and tries the next mirror', async () => {
    const dir = join(tmp.dir, 'html');
    await assert.rejects(fetchVerified(`${srv.base}/html/f.gz`, join(dir, 'f.gz'), goodSha), /SHA-256 mismatch/);
    assert.deepEqual(leftovers(dir), []);
    await fetchFromMirrors([`${srv.base}/html/`, `${srv.base}/good/`], 'f.gz', join(dir, 'f.gz'), goodSha);
    assert.deepEqual(leftovers(dir), ['f.gz']);
  });

  it('gives up on a stalled connection after the idle timeout, leaving nothing', async () => {
    const dir = join(tmp.dir, 'stall');
    const t0 = Date.now();
    await assert.rejects(
      fetchVerified(`${srv.base}/stall/f.gz`, join(dir, 'f.gz'), goodSha, { idleTimeoutMs: 300 }),
      /stalled|no response/,
    );
    assert.ok(Date.now() - t0 < 5000);
    assert.deepEqual(leftovers(dir), []);
  });

  it('detects a connection dropped mid-file, leaving nothing', async () => {
    const dir = join(tmp.dir, 'drop');
    await assert.rejects(
      fetchVerified(`${srv.base}/drop/f.gz`, join(dir, 'f.gz'), goodSha),
      /dropped|aborted|socket hang up/,
    );
    assert.deepEqual(leftovers(dir), []);
  });

  it('a mirror announcing a wrong size leaves no temporary file, not even an empty one', async () => {
    const dir = join(tmp.dir, 'liar');
    await assert.rejects(
      fetchVerified(`${srv.base}/liar/f.gz`, join(dir, 'f.gz'), goodSha, { maxBytes: good.length }),
      new RegExp(`announces 1000000000000 bytes, but the published file has ${good.length}`),
    );
    // The write stream opens its file asynchronously: give a late open the time to show.
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(leftovers(dir), []);
  });

  it('never replaces a FIFO named like the file (the write policy)', async () => {
    const dir = join(tmp.dir, 'fifo');
    mkdirSync(dir);
    makeFifo(join(dir, 'f.gz'));
    await assert.rejects(
      fetchFromMirrors([`${srv.base}/good/`], 'f.gz', join(dir, 'f.gz'), goodSha),
      /f\.gz: is a FIFO \(named pipe\); refusing to replace it/,
    );
    assert.ok(lstatSync(join(dir, 'f.gz')).isFIFO());
  });

  it('lists every mirror and its reason when all fail', async () => {
    const dir = join(tmp.dir, 'allfail');
    const mirrors = [`${srv.base}/forbidden/`, `${srv.base}/error/`, `${srv.base}/html/`, 'http://127.0.0.1:1/'];
    await assert.rejects(fetchFromMirrors(mirrors, 'f.gz', join(dir, 'f.gz'), goodSha), (err: unknown) => {
      assert.ok(err instanceof UserError);
      assert.match(err.message, /could not download f\.gz from any mirror/);
      assert.match(err.message, /forbidden\/f\.gz: HTTP 403/);
      assert.match(err.message, /error\/f\.gz: HTTP 500/);
      assert.match(err.message, /html\/f\.gz: SHA-256 mismatch/);
      assert.match(err.message, /127\.0\.0\.1:1\/f\.gz: connection refused/);
      return true;
    });
    assert.deepEqual(leftovers(dir), []);
  });
});

describe('ensureDataset download', () => {
  it('fails with instructions to place the files by hand, leaving no folder behind', async () => {
    const dir = join(tmp.dir, 'nodata', 'mnist');
    await assert.rejects(
      ensureDataset('mnist', {
        dataDir: dir,
        systemRoot: join(tmp.dir, 'nosys'),
        npmPackage: null,
        cwd: tmp.dir,
        mirrors: [`${srv.base}/missing/`],
      }),
      (err: unknown) => {
        assert.ok(err instanceof UserError);
        // Without a log, the reason is in the message; the advice is the hint.
        assert.match(
          err.message,
          /^mnist: could not download train-images-idx3-ubyte\.gz from its mirror \(.*missing\/: HTTP 404 Not Found\)$/,
        );
        assert.match(err.hint ?? '', /^to install by hand, place train-images-idx3-ubyte\.gz, .* in .*nodata\/mnist/);
        return true;
      },
    );
    assert.equal(existsSync(dir), false);
  });

  it('uses the canonical names and SHA-256 table', () => {
    for (const spec of Object.values(DATASETS)) {
      assert.equal(spec.files.length, 4);
      for (const f of spec.files) assert.match(f.sha256, /^[0-9a-f]{64}$/);
      assert.ok(spec.mirrors.length >= 2);
    }
  });
});
