import { strict as assert } from 'node:assert';
import { cpSync, mkdirSync, readdirSync, symlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { probeWebGpu } from '../../src/backends/webgpu';
import { BIN, runCli, jsonLines } from '../helpers/cli';
import { tempDir, writeDataset } from '../helpers/fixtures';
import { webGpuForTests } from '../helpers/webgpu';

const tmp = tempDir();
after(tmp.cleanup);

/** Whether this process finds the Vulkan loader the way Dawn looks for it. */
function hasVulkanLoader(): boolean {
  try {
    process.dlopen({ exports: {} }, 'libvulkan.so.1');
    return true;
  } catch (err) {
    return /self-register/.test((err as Error).message);
  }
}

interface InfoBackend {
  name: string;
  ok: boolean;
  detail: string;
}

async function infoBackends(bin = BIN): Promise<{ backends: InfoBackend[]; autoBackend: string }> {
  const r = await runCli(['info', '--json'], { cwd: tmp.dir, bin });
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
}

const webgpuOf = (info: { backends: InfoBackend[] }) => info.backends.find((b) => b.name === 'webgpu') as InfoBackend;

const probe = probeWebGpu();
const target = webGpuForTests(false);
const linuxWithoutLoader = process.platform === 'linux' && !hasVulkanLoader();

describe('webgpu backend: selection and reasons', () => {
  it('info lists webgpu between tensorflow and wasm, and auto takes it only where an adapter is found', async () => {
    const info = await infoBackends();
    assert.deepEqual(
      info.backends.map((b) => b.name),
      ['tensorflow', 'webgpu', 'wasm', 'cpu'],
    );
    assert.equal(webgpuOf(info).ok, probe.ok);
    const tensorflow = info.backends[0].ok;
    assert.equal(info.autoBackend, tensorflow ? 'tensorflow' : probe.ok ? 'webgpu' : 'wasm');
  });

  it('without the webgpu package, says it is not installed', async () => {
    // A copy of the program beside a node_modules that holds everything but webgpu.
    const root = join(tmp.dir, 'no-webgpu');
    const repo = resolve(__dirname, '../../..');
    cpSync(join(repo, 'dist', 'src'), join(root, 'dist', 'src'), { recursive: true });
    cpSync(join(repo, 'bin'), join(root, 'bin'), { recursive: true });
    cpSync(join(repo, 'package.json'), join(root, 'package.json'));
    mkdirSync(join(root, 'node_modules'));
    const modules = join(repo, 'node_modules');
    for (const name of readdirSync(modules))
      if (name !== 'webgpu') symlinkSync(join(modules, name), join(root, 'node_modules', name));
    const bin = join(root, 'bin', 'mnist-deep.js');

    const info = await infoBackends(bin);
    assert.equal(webgpuOf(info).ok, false);
    assert.match(
      webgpuOf(info).detail,
      /^the optional package webgpu is not installed; install it with `npm install webgpu`$/,
    );
    const r = await runCli(['train', '--backend', 'webgpu'], { cwd: tmp.dir, bin });
    assert.equal(r.code, 1);
    assert.equal(
      r.stderr,
      'mnist-deep: error: --backend webgpu: cannot load: the optional package webgpu is not installed; install it with `npm install webgpu`\n',
    );
  });

  it(
    'without the Vulkan loader, names libvulkan.so.1',
    { skip: linuxWithoutLoader ? false : 'this machine has the Vulkan loader (or is not Linux)' },
    async () => {
      assert.equal(probe.ok, false);
      assert.equal(!probe.ok && probe.reason, 'vulkan');
      const info = await infoBackends();
      assert.match(
        webgpuOf(info).detail,
        /^no Vulkan loader \(libvulkan\.so\.1: cannot open shared object file.*\); install it \(Debian\/Ubuntu: `apt-get install libvulkan1`\)/,
      );
      const r = await runCli(['train', '--backend', 'webgpu'], { cwd: tmp.dir });
      assert.equal(r.code, 1);
      assert.match(
        r.stderr,
        /^mnist-deep: error: --backend webgpu: cannot load: no Vulkan loader \(libvulkan\.so\.1: .*\n$/,
      );
    },
  );

  const noAdapter = !probe.ok && probe.reason === 'adapter';
  it(
    'with a Vulkan loader but no usable GPU, says Dawn found no adapter and why',
    { skip: noAdapter ? false : probe.ok ? 'this machine has a GPU adapter' : `not this case here: ${probe.detail}` },
    async () => {
      const info = await infoBackends();
      assert.match(webgpuOf(info).detail, /^Dawn found no GPU adapter \(.+\); Dawn needs a GPU/);
      assert.doesNotMatch(webgpuOf(info).detail, /\n|at .*\.cpp/, "one line, without Dawn's source locations");
      const r = await runCli(['train', '--backend', 'webgpu'], { cwd: tmp.dir });
      assert.equal(r.code, 1);
      assert.match(r.stderr, /^mnist-deep: error: --backend webgpu: cannot load: Dawn found no GPU adapter .*\n$/);
    },
  );

  it(
    'auto never takes the software adapter',
    { skip: target.software ? false : 'no software adapter here, or a GPU' },
    async () => {
      const r = await runCli(['info', '--json'], { cwd: tmp.dir, env: target.env });
      assert.equal(r.code, 0, r.stderr);
      const info = JSON.parse(r.stdout);
      assert.equal(webgpuOf(info).ok, true);
      assert.match(webgpuOf(info).detail, /software.*never chosen by auto.*llvmpipe/);
      assert.notEqual(info.autoBackend, 'webgpu');
    },
  );
});

/** On a GPU the CNN; on the software adapter the softmax model (the CNN takes seconds a step there). */
describe('webgpu backend: training and evaluation', { skip: target.missing ?? false }, () => {
  const data = join(tmp.dir, 'data');
  const model = target.software ? 'softmax' : 'cnn';
  before(() => writeDataset(data, 500, 150));

  it('info names the adapter', async () => {
    const r = await runCli(['info', '--json'], { cwd: tmp.dir, env: target.env });
    const info = JSON.parse(r.stdout);
    assert.equal(webgpuOf(info).ok, true);
    assert.match(webgpuOf(info).detail, /^webgpu \S+ \(Dawn.*\): /);
  });

  it('refuses worker threads', async () => {
    const r = await runCli(
      [
        'train',
        '--backend',
        'webgpu',
        '--threads',
        '2',
        '--data-dir',
        data,
        '--validation-size',
        '100',
        '--save-dir',
        join(tmp.dir, 'threads'),
      ],
      { cwd: tmp.dir, env: target.env },
    );
    assert.equal(r.code, 1);
    // (Dawn itself may warn on stderr about the software adapter's limits.)
    assert.match(r.stderr, /^mnist-deep: error: --threads 2: the webgpu backend trains on the GPU from one thread$/m);
  });

  it(`trains the ${model} model with the webgpu step engine, saves it, and eval reproduces the test accuracy`, async () => {
    const save = join(tmp.dir, `${model}-webgpu`);
    const steps = model === 'cnn' ? ['--steps', '60', '--log-every', '20'] : ['--steps', '30', '--log-every', '10'];
    const r = await runCli(
      [
        'train',
        '--backend',
        'webgpu',
        '--model',
        model,
        '--data-dir',
        data,
        '--validation-size',
        '100',
        ...steps,
        '--save-dir',
        save,
        '--json',
      ],
      { cwd: tmp.dir, env: target.env },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /backend webgpu \(step engine\), 1 thread$/m);
    const events = jsonLines(r.stdout);
    const logged = events.filter((e) => e.event === 'step');
    assert.ok(
      logged[logged.length - 1].loss < logged[0].loss,
      `loss ${logged[0].loss} -> ${logged[logged.length - 1].loss}`,
    );
    const result = events[events.length - 1];
    assert.equal(result.backend, 'webgpu');
    assert.ok(result.testAccuracy > 0.5, `accuracy ${result.testAccuracy}`);
    const e = await runCli(['eval', '--backend', 'webgpu', '--model-dir', save, '--data-dir', data, '--json'], {
      cwd: tmp.dir,
      env: target.env,
    });
    assert.equal(e.code, 0, e.stderr);
    assert.equal(JSON.parse(e.stdout).testAccuracy, result.testAccuracy);
    // The accuracy itself from an independent computation: the saved model scored by wasm's kernels, not
    // webgpu's (one image of 150 may fall the other way where two logits are within float rounding).
    const w = await runCli(['eval', '--backend', 'wasm', '--model-dir', save, '--data-dir', data, '--json'], {
      cwd: tmp.dir,
    });
    assert.equal(w.code, 0, w.stderr);
    const independent = JSON.parse(w.stdout).testAccuracy;
    assert.ok(
      Math.abs(independent - result.testAccuracy) <= 1 / 150 + 1e-9,
      `${independent} vs ${result.testAccuracy}`,
    );
  });
});
