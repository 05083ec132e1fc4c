/** `mnist-deep serve` over real HTTP on 127.0.0.1: the fixed file set, and every refusal the issue lists. */
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { useBackend } from '../../src/backends';
import { buildModel } from '../../src/models';
import { saveModel } from '../../src/models/io';
import { allowedHosts } from '../../src/serve/hosts';
import { runCli } from '../helpers/cli';
import { tempDir } from '../helpers/fixtures';
import { RawResponse, Served, rawRequest, request, startServe } from '../helpers/serve';

const tmp = tempDir();
const modelDir = join(tmp.dir, 'model');
const SECRET = 'SECRET-OUTSIDE-THE-MODEL-FOLDER';
let served: Served;

before(async () => {
  await useBackend('cpu');
  await saveModel(buildModel('softmax', 0), modelDir);
  writeFileSync(
    join(modelDir, 'metadata.json'),
    JSON.stringify({ model: 'softmax', dataset: 'fashion-mnist', testAccuracy: 0.8123, steps: 7 }),
  );
  // Files that exist but are not served: outside the folder, and inside but not in the set.
  writeFileSync(join(tmp.dir, 'secret.txt'), SECRET);
  writeFileSync(join(modelDir, 'checkpoint.json'), SECRET);
  served = await startServe(['--model-dir', modelDir]);
});
after(async () => {
  await served?.stop();
  tmp.cleanup();
});

function assertRefused(r: RawResponse, status: number | number[], what: string): void {
  assert.ok([status].flat().includes(r.status), `${what}: status ${r.status}`);
  assert.equal(r.headers['x-content-type-options'], 'nosniff', what);
  assert.ok(!r.body.toString('latin1').includes(SECRET), `${what} leaked the secret`);
  assert.ok(!r.body.toString('latin1').includes('"weightsManifest"'), `${what} leaked model.json`);
}

describe('serve: what it serves', () => {
  it('binds 127.0.0.1 by default and prints the URL', () => {
    assert.match(served.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    assert.equal(served.spawned.stderrText(), '', 'no warning without --host');
  });

  it('serves the fixed set with the right Content-Types and nosniff', async () => {
    const expected: Array<[string, RegExp]> = [
      ['/', /^text\/html; charset=utf-8$/],
      ['/style.css', /^text\/css; charset=utf-8$/],
      ['/app.js', /^text\/javascript; charset=utf-8$/],
      ['/mnistify.js', /^text\/javascript; charset=utf-8$/],
      ['/tf.min.js', /^text\/javascript; charset=utf-8$/],
      ['/tf-backend-wasm.min.js', /^text\/javascript; charset=utf-8$/],
      ['/wasm/tfjs-backend-wasm-simd.wasm', /^application\/wasm$/],
      ['/info.json', /^application\/json; charset=utf-8$/],
      ['/model/model.json', /^application\/json; charset=utf-8$/],
      ['/model/weights.bin', /^application\/octet-stream$/],
      ['/model/metadata.json', /^application\/json; charset=utf-8$/],
    ];
    for (const [path, type] of expected) {
      const r = await request(served.port, path);
      assert.equal(r.status, 200, path);
      assert.match(r.headers['content-type'], type, path);
      assert.equal(r.headers['x-content-type-options'], 'nosniff', path);
      assert.equal(Number(r.headers['content-length']), r.body.length, path);
      assert.ok(r.headers['content-security-policy'], path);
    }
    const weights = await request(served.port, '/model/weights.bin');
    assert.deepEqual(weights.body, readFileSync(join(modelDir, 'weights.bin')));
    const page = await request(served.port, '/');
    assert.match(page.headers['content-security-policy'], /script-src 'self'/);
    assert.doesNotMatch(page.body.toString(), /https?:\/\//, 'the page loads nothing from other hosts');
  });

  it('runs the compiled src/preprocess/mnistify.js itself in the page, with no import', async () => {
    const r = await request(served.port, '/mnistify.js');
    const compiled = readFileSync(join(__dirname, '../../src/preprocess/mnistify.js'), 'utf8').replace(
      /\/\/# sourceMappingURL=.*/,
      '',
    );
    assert.ok(r.body.toString().includes(compiled.trim()), 'the served script contains the compiled module unchanged');
    assert.match(r.body.toString(), /window\.mnistDeepPreprocess = \{\}/);
  });

  it('info.json: model, data set, class names and test accuracy from metadata.json', async () => {
    const info = JSON.parse((await request(served.port, '/info.json')).body.toString());
    assert.equal(info.model, 'softmax');
    assert.equal(info.dataset, 'fashion-mnist');
    assert.equal(info.testAccuracy, 0.8123);
    assert.equal(info.classNames[9], 'Ankle boot');
    assert.equal(info.report, false);
  });

  it('metadata that fails the schema (an unknown data set) is shown as unknown, and the page still served', async () => {
    const dir = join(tmp.dir, 'badmeta');
    await saveModel(buildModel('softmax', 0), dir);
    writeFileSync(join(dir, 'metadata.json'), JSON.stringify({ model: 'softmax', dataset: 'cifar', steps: 1 }));
    const s = await startServe(['--model-dir', dir]);
    try {
      const info = JSON.parse((await request(s.port, '/info.json')).body.toString());
      assert.deepEqual([info.model, info.dataset, info.datasetKnown], [null, 'mnist', false]);
    } finally {
      await s.stop();
    }
  });

  it('info.json prefers the metadata inside model.json, as eval and predict do', async () => {
    const dir = join(tmp.dir, 'embedded');
    await saveModel(buildModel('softmax', 0), dir, { model: 'cnn', dataset: 'mnist', testAccuracy: 0.99, steps: 1000 });
    writeFileSync(join(dir, 'metadata.json'), JSON.stringify({ model: 'softmax', dataset: 'fashion-mnist' }));
    const s = await startServe(['--model-dir', dir]);
    try {
      const info = JSON.parse((await request(s.port, '/info.json')).body.toString());
      assert.deepEqual([info.model, info.dataset, info.testAccuracy, info.steps], ['cnn', 'mnist', 0.99, 1000]);
    } finally {
      await s.stop();
    }
  });

  it("the model's report.html, when there is one, sandboxed with its own CSP", async () => {
    const dir = join(tmp.dir, 'reported');
    await saveModel(buildModel('softmax', 0), dir);
    writeFileSync(
      join(dir, 'report.html'),
      '<!doctype html><title>report</title><script>document.title = "x"</script>',
    );
    const s = await startServe(['--model-dir', dir]);
    try {
      const r = await request(s.port, '/model/report.html');
      assert.equal(r.status, 200);
      assert.equal(r.headers['content-type'], 'text/html; charset=utf-8');
      assert.match(
        r.headers['content-security-policy'],
        /^sandbox allow-scripts; default-src 'none'; script-src 'unsafe-inline'/,
      );
      assert.equal(JSON.parse((await request(s.port, '/info.json')).body.toString()).report, true);
    } finally {
      await s.stop();
    }
  });

  it('HEAD: the headers of GET, no body', async () => {
    const get = await request(served.port, '/model/model.json');
    const head = await request(served.port, '/model/model.json', 'HEAD');
    assert.equal(head.status, 200);
    assert.equal(head.body.length, 0);
    assert.equal(head.headers['content-length'], String(get.body.length));
    assert.equal(head.headers['content-type'], get.headers['content-type']);
  });

  it('query strings are ignored', async () => {
    assert.equal((await request(served.port, '/model/model.json?v=2')).status, 200);
  });
});

describe('serve: refusals', () => {
  it('no path outside the fixed set, however it is written', async () => {
    const paths = [
      '/../secret.txt',
      '/model/../../secret.txt',
      '/model/../model/model.json',
      '/./model/model.json',
      '/%2e%2e/secret.txt',
      '/model/%2e%2e/%2e%2e/secret.txt',
      '/%2E%2E%2Fsecret.txt',
      '/model%2fmodel.json',
      '/model/model%2ejson',
      '/model/..%2f..%2fsecret.txt',
      '/model/..%5c..%5csecret.txt',
      '/model\\model.json',
      '/model/..\\..\\secret.txt',
      '\\model\\model.json',
      '//model/model.json',
      '/model//model.json',
      `/${tmp.dir}/secret.txt`,
      `${join(modelDir, 'model.json')}`,
      '/etc/passwd',
      '/model/checkpoint.json',
      '/model/',
      '/model',
      '/wasm/',
      '/assets/serve/index.html',
      '/index.html',
      '/package.json',
      '/MODEL/MODEL.JSON',
      '/model/model.json%00',
      '/model/model.json/',
      '/%252e%252e/secret.txt',
      '/model/model.json;x',
      '/..%00/secret.txt',
      `http://127.0.0.1:${served.port}/../secret.txt`,
      '*',
    ];
    // 400: Node's own parser already refuses a backslash in the request target.
    for (const p of paths) assertRefused(await request(served.port, p), [400, 404], p);
  });

  it('no directory listing', async () => {
    for (const p of ['/model/', '/wasm/', '/']) {
      const r = await request(served.port, p);
      assert.ok(!r.body.toString().includes('weights.bin') || p === '/', `${p} lists files`);
    }
  });

  it('symlinks leading out of the model folder are refused; inside it they are followed', async () => {
    const dir = join(tmp.dir, 'linked');
    await saveModel(buildModel('softmax', 0), dir);
    symlinkSync(join(tmp.dir, 'secret.txt'), join(dir, 'report.html'));
    symlinkSync('../secret.txt', join(dir, 'metadata.json'));
    const inside = join(tmp.dir, 'linked-inside');
    await saveModel(buildModel('softmax', 0), inside);
    mkdirSync(join(inside, 'sub'));
    writeFileSync(join(inside, 'sub', 'meta.json'), JSON.stringify({ model: 'softmax', dataset: 'mnist', steps: 3 }));
    symlinkSync('sub/meta.json', join(inside, 'metadata.json'));
    const s = await startServe(['--model-dir', dir]);
    const t = await startServe(['--model-dir', inside]);
    try {
      assertRefused(await request(s.port, '/model/report.html'), 404, 'absolute symlink out');
      assertRefused(await request(s.port, '/model/metadata.json'), 404, 'relative symlink out');
      const info = JSON.parse((await request(s.port, '/info.json')).body.toString());
      assert.equal(info.report, false);
      assert.equal(info.model, null);
      assert.equal((await request(t.port, '/model/metadata.json')).status, 200, 'symlink inside');
      assert.equal(JSON.parse((await request(t.port, '/info.json')).body.toString()).steps, 3);
    } finally {
      await s.stop();
      await t.stop();
    }
  });

  it('a report.html that is a folder, a FIFO or unreadable is a 404, without hanging', async () => {
    const dir = join(tmp.dir, 'odd');
    await saveModel(buildModel('softmax', 0), dir);
    mkdirSync(join(dir, 'report.html'));
    execFileSync('mkfifo', [join(dir, 'metadata.json')]);
    const s = await startServe(['--model-dir', dir]);
    try {
      assertRefused(await request(s.port, '/model/report.html'), 404, 'folder');
      assertRefused(await request(s.port, '/model/metadata.json'), 404, 'FIFO');
    } finally {
      await s.stop();
    }
  });

  it('GET and HEAD only', async () => {
    for (const m of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE', 'PROPFIND']) {
      const r = await request(served.port, '/model/model.json', m);
      assertRefused(r, 405, m);
      assert.equal(r.headers.allow, 'GET, HEAD', m);
    }
  });

  it('refuses requests whose Host header is not the address served (DNS rebinding)', async () => {
    const port = served.port;
    for (const host of [
      'evil.example',
      `evil.example:${port}`,
      `127.0.0.1:${port + 1}`,
      '127.0.0.1',
      `127.0.0.1.evil.example:${port}`,
      `evil.example@127.0.0.1:${port}`,
      `10.0.0.1:${port}`,
      `localhost.:${port}`,
      `[::1]:${port + 1}`,
      '',
    ]) {
      assertRefused(await request(port, '/model/model.json', 'GET', host), 403, `Host: ${host}`);
    }
    assertRefused(await rawRequest(port, 'GET /model/model.json HTTP/1.0'), 403, 'no Host header');
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `LOCALHOST:${port}`, `[::1]:${port}`]) {
      assert.equal((await request(port, '/', 'GET', host)).status, 200, `Host: ${host}`);
    }
  });

  it('allowed Host values: the bound address, loopback names for loopback binds, the bare name on port 80', () => {
    assert.deepEqual([...allowedHosts('127.0.0.1', 8784)].sort(), ['127.0.0.1:8784', '[::1]:8784', 'localhost:8784']);
    assert.deepEqual([...allowedHosts('192.168.1.5', 80)].sort(), ['192.168.1.5', '192.168.1.5:80']);
    assert.ok(allowedHosts('0.0.0.0', 9000).has('127.0.0.1:9000'));
    assert.deepEqual([...allowedHosts('::1', 9000)].sort(), ['127.0.0.1:9000', '[::1]:9000', 'localhost:9000']);
  });
});

describe('serve: the command', () => {
  it('Ctrl-C stops it cleanly, even with a browser connection open', async () => {
    const s = await startServe(['--model-dir', modelDir]);
    const keepAlive = await import('node:net').then((net) => net.connect(s.port, '127.0.0.1'));
    keepAlive.write(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${s.port}\r\n\r\n`);
    await new Promise((r) => keepAlive.once('data', r));
    const t0 = Date.now();
    const r = await s.stop();
    keepAlive.destroy();
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /stopped\n$/);
    assert.equal(r.stderr, '');
    assert.ok(Date.now() - t0 < 5000, 'stopped at once');
  });

  it('without --model-dir: models/cnn, else models/softmax (where train saves them)', async () => {
    const cwd = join(tmp.dir, 'project');
    await saveModel(buildModel('softmax', 0), join(cwd, 'models', 'softmax'));
    // An unfinished CNN run: serve says why it takes the softmax model.
    mkdirSync(join(cwd, 'models', 'cnn'));
    writeFileSync(
      join(cwd, 'models', 'cnn', 'checkpoint.json'),
      JSON.stringify({ step: 40, config: { steps: 20000 } }),
    );
    const s = await startServe([], { cwd });
    try {
      assert.match(
        s.spawned.stdoutText(),
        /^serving models\/softmax at http:\/\/127\.0\.0\.1:\d+\/ \(Ctrl-C to stop\)\n$/,
      );
      assert.equal(
        s.spawned.stderrText(),
        'mnist-deep: note: models/cnn: holds an unfinished run (step 40 of 20,000), no trained model yet; serving models/softmax\n',
      );
    } finally {
      await s.stop();
    }
    const none = await runCli(['serve', '--port', '0'], { cwd: tmp.dir });
    assert.equal(none.code, 1);
    assert.match(none.stderr, /^mnist-deep: error: --model-dir models\/cnn: no such folder\n/);
  });

  it('a port in use is a one-line error', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const r = await runCli(['serve', '--model-dir', modelDir, '--port', String(port)]);
      assert.equal(r.code, 1);
      assert.equal(
        r.stderr,
        `mnist-deep: error: --port ${port}: 127.0.0.1:${port} is already in use\n` +
          `mnist-deep: hint: any free port: npx mnist-deep serve --model-dir ${modelDir} --port 0\n`,
      );
    } finally {
      blocker.close();
    }
  });

  it('a missing model folder or a bad option is a one-line error', async () => {
    const missing = await runCli(['serve', '--model-dir', join(tmp.dir, 'nope'), '--port', '0']);
    assert.equal(missing.code, 1);
    assert.match(
      missing.stderr,
      /^mnist-deep: error: --model-dir \S+nope: no such folder\nmnist-deep: hint: train one first: npx mnist-deep train --model cnn --save-dir \S+nope; or a first model in about a minute: npx mnist-deep train --model softmax, then add --model-dir models\/softmax\n$/,
    );
    const notModel = await runCli(['serve', '--model-dir', tmp.dir, '--port', '0']);
    assert.equal(notModel.code, 1);
    assert.match(
      notModel.stderr,
      /^mnist-deep: error: --model-dir \S+: no trained model there\nmnist-deep: hint: train one first: /,
    );
    for (const port of ['70000', '-1', 'http', '1.5']) {
      const r = await runCli(['serve', '--model-dir', modelDir, '--port', port]);
      assert.notEqual(r.code, 0, port);
      assert.match(
        r.stderr,
        new RegExp(`^mnist-deep: error: --port ${port}: must be a whole number from 0 to 65535`),
        port,
      );
      assert.equal(r.code, 2, port);
    }
  });

  it("an address that is not this machine's is a one-line error", async () => {
    // 203.0.113.0/24 is TEST-NET-3: never assigned to a real interface.
    const r = await runCli(['serve', '--model-dir', modelDir, '--host', '203.0.113.7', '--port', '0']);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, 'mnist-deep: error: --host 203.0.113.7: cannot listen on 203.0.113.7:0 (EADDRNOTAVAIL)\n');
  });

  it('--host other than loopback warns, and still checks the Host header', async () => {
    const s = await startServe(['--model-dir', modelDir, '--host', '0.0.0.0']);
    try {
      assert.match(s.spawned.stderrText(), /^mnist-deep: warning: --host 0\.0\.0\.0: .*any machine/);
      assert.match(s.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
      assert.equal((await request(s.port, '/')).status, 200);
      assertRefused(await request(s.port, '/', 'GET', `evil.example:${s.port}`), 403, 'evil host on 0.0.0.0');
    } finally {
      await s.stop();
    }
  });

  it('the default bind is not reachable on other interfaces', async (t) => {
    const external = Object.values(networkInterfaces())
      .flat()
      .find((a) => a && a.family === 'IPv4' && !a.internal);
    if (!external) {
      t.skip('this machine has no non-loopback IPv4 address to try');
      return;
    }
    const net = await import('node:net');
    const refused = await new Promise<boolean>((resolve) => {
      const sock = net.connect(served.port, external.address);
      sock.once('connect', () => {
        sock.destroy();
        resolve(false);
      });
      sock.once('error', () => resolve(true));
    });
    assert.ok(refused, `port ${served.port} answered on ${external.address}`);
  });

  it(
    '--open starts the desktop opener with the URL',
    { skip: process.platform !== 'linux' ? 'xdg-open is the Linux opener' : false },
    async () => {
      const bin = join(tmp.dir, 'bin');
      mkdirSync(bin);
      const log = join(tmp.dir, 'opened.txt');
      writeFileSync(join(bin, 'xdg-open'), `#!/bin/sh\necho "$@" > '${log}'\n`);
      chmodSync(join(bin, 'xdg-open'), 0o755);
      const s = await startServe(['--model-dir', modelDir, '--open'], { env: { PATH: `${bin}:${process.env.PATH}` } });
      try {
        const t0 = Date.now();
        let opened = '';
        while (!opened && Date.now() - t0 < 10_000) {
          await new Promise((r) => setTimeout(r, 50));
          try {
            opened = readFileSync(log, 'utf8');
          } catch {
            // not yet
          }
        }
        assert.equal(opened.trim(), s.url);
      } finally {
        await s.stop();
      }
    },
  );
});
