/**
 * The webgpu step engine's WGSL kernels (src/engine/webgpu/), each against
 * TF.js's cpu backend on small shapes, on a GPU's adapter or else Dawn's
 * software adapter; it skips, saying why, where there is neither.
 */
import { strict as assert } from 'node:assert';
import { before, describe, it } from 'node:test';
import type * as tfl from '@tensorflow/tfjs';
import { loadTf, useBackend } from '../../../src/backends';
import { Rng } from '../../../src/data/rng';
import { tfjsDevice, validated } from '../../../src/engine/webgpu-step';
import { activationGrad } from '../../../src/engine/webgpu/activation-grad';
import { adam } from '../../../src/engine/webgpu/adam';
import { biasGrad, biasSplits } from '../../../src/engine/webgpu/bias-grad';
import { convFilterGrad, filterSplits } from '../../../src/engine/webgpu/conv-filter-grad';
import { convForward } from '../../../src/engine/webgpu/conv-forward';
import { convInputGrad } from '../../../src/engine/webgpu/conv-input-grad';
import { dropout } from '../../../src/engine/webgpu/dropout';
import { ConvGeometry, PoolGeometry, outputAndPad } from '../../../src/engine/webgpu/geometry';
import { Dispatch, Gpu, Slice, whole } from '../../../src/engine/webgpu/gpu';
import { matmul } from '../../../src/engine/webgpu/matmul';
import { maxPool } from '../../../src/engine/webgpu/max-pool';
import { maxPoolGrad } from '../../../src/engine/webgpu/max-pool-grad';
import { sgd } from '../../../src/engine/webgpu/sgd';
import { softmaxXent } from '../../../src/engine/webgpu/softmax-xent';
import { ADAM } from '../../../src/optim';
import { webGpuForTests } from '../../helpers/webgpu';

const webgpu = webGpuForTests();
/** The GEMM kernels' two tilings (outputs per thread side). */
const REGS = [1, 4] as const;

function random(n: number, seed: number, positive = false): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n }, () => (positive ? rng.next() : rng.next() * 2 - 1));
}

/** Uploads `inputs`, makes zeroed outputs of `outputs` words, runs what `make` records, reads back the outputs, then the inputs. */
async function run(
  inputs: Float32Array[],
  outputs: number[],
  make: (gpu: Gpu, ins: Slice[], outs: Slice[]) => Dispatch[],
): Promise<Float32Array[]> {
  await useBackend('webgpu');
  const gpu = new Gpu(tfjsDevice());
  try {
    const ins = inputs.map((data) => {
      const b = gpu.storage(data.length);
      gpu.device.queue.writeBuffer(b, 0, data);
      return { ...whole(b), length: data.length };
    });
    const outs = outputs.map((n) => ({ ...whole(gpu.storage(n)), length: n }));
    const dispatches = await validated(gpu.device, () => make(gpu, ins, outs));
    const encoder = gpu.device.createCommandEncoder();
    Gpu.record(encoder, dispatches);
    gpu.device.queue.submit([encoder.finish()]);
    const results: Float32Array[] = [];
    for (const o of [...outs, ...ins]) results.push(await gpu.read(o));
    return results;
  } finally {
    gpu.destroy();
  }
}

/** Computes `f` on the cpu backend: the reference. */
async function onCpu(f: () => tfl.Tensor | tfl.Tensor[]): Promise<Float32Array[]> {
  await useBackend('cpu');
  const tf = loadTf();
  const out = tf.tidy(f);
  const list = Array.isArray(out) ? out : [out];
  const values = list.map((t) => t.dataSync() as Float32Array);
  tf.dispose(list);
  return values;
}

let worst = 0;
function assertClose(got: Float32Array, want: Float32Array, what: string, tolerance = 1e-4): void {
  assert.equal(got.length, want.length, `${what}: length`);
  assert.ok(
    want.some((v) => v !== 0),
    `${what}: a reference that is not all zeros`,
  );
  for (let i = 0; i < want.length; i++) {
    const d = Math.abs(got[i] - want[i]) / Math.max(1, Math.abs(want[i]));
    worst = Math.max(worst, d);
    assert.ok(d <= tolerance, `${what}[${i}]: ${got[i]} vs ${want[i]}`);
  }
}

interface ConvCase {
  name: string;
  batch: number;
  h: number;
  w: number;
  c: number;
  k: [number, number];
  co: number;
  s: number;
  pad: 'same' | 'valid';
}

const CONVS: ConvCase[] = [
  { name: "conv1's shape (5×5, 1 → 8, same)", batch: 2, h: 28, w: 28, c: 1, k: [5, 5], co: 8, s: 1, pad: 'same' },
  { name: "conv2's shape (5×5, 6 → 10, same)", batch: 2, h: 14, w: 14, c: 6, k: [5, 5], co: 10, s: 1, pad: 'same' },
  { name: 'odd sizes, valid, stride 2', batch: 3, h: 11, w: 9, c: 3, k: [3, 4], co: 5, s: 2, pad: 'valid' },
  { name: 'stride 2, same, uneven padding', batch: 2, h: 17, w: 13, c: 2, k: [3, 3], co: 7, s: 2, pad: 'same' },
];

function geometry(c: ConvCase): ConvGeometry {
  const [outH, padT] = outputAndPad(c.h, c.k[0], c.s, c.pad);
  const [outW, padL] = outputAndPad(c.w, c.k[1], c.s, c.pad);
  return { inH: c.h, inW: c.w, inC: c.c, outH, outW, outC: c.co, kH: c.k[0], kW: c.k[1], sH: c.s, sW: c.s, padT, padL };
}

describe('the webgpu step engine kernels against the cpu backend', { skip: webgpu.missing ?? false }, () => {
  before(async () => {
    await useBackend('webgpu');
  });

  for (const c of CONVS) {
    const g = geometry(c);
    const xShape: [number, number, number, number] = [c.batch, c.h, c.w, c.c];
    const wShape: [number, number, number, number] = [c.k[0], c.k[1], c.c, c.co];
    const yShape = [c.batch, g.outH, g.outW, c.co];
    const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
    const xs = random(size(xShape), 1);
    const ws = random(size(wShape), 2);
    const bs = random(c.co, 3);
    const dys = random(size(yShape), 4);

    for (const reg of REGS) {
      it(`conv forward with bias and ReLU, ${reg}×${reg} a thread: ${c.name}`, async () => {
        const tf = loadTf();
        const [want] = await onCpu(() =>
          tf.relu(tf.add(tf.conv2d(tf.tensor4d(xs, xShape), tf.tensor4d(ws, wShape), c.s, c.pad), tf.tensor1d(bs))),
        );
        const [got] = await run([xs, ws, bs], [want.length], (gpu, [x, w, bias], [y]) => [
          convForward(gpu, g, c.batch, { x, w, bias, y }, true, reg),
        ]);
        assertClose(got, want, 'y');
      });

      it(`conv input and filter gradients, ${reg}×${reg} a thread: ${c.name}`, async () => {
        const tf = loadTf();
        const [dx, dw] = await onCpu(() => {
          const f = (x: tfl.Tensor, w: tfl.Tensor) =>
            tf.sum(tf.mul(tf.conv2d(x as tfl.Tensor4D, w as tfl.Tensor4D, c.s, c.pad), tf.tensor(dys, yShape)));
          return tf.grads(f)([tf.tensor4d(xs, xShape), tf.tensor4d(ws, wShape)]);
        });
        const partials = filterSplits(g, c.batch) * ws.length;
        const [gotDx, gotDw] = await run(
          [xs, ws, dys],
          [dx.length, dw.length, partials],
          (gpu, [x, w, dy], [gx, gw, p]) => [
            convInputGrad(gpu, g, c.batch, { dy, w, dx: gx }, reg),
            ...convFilterGrad(gpu, g, c.batch, { x, dy, partials: p, dw: gw }, reg),
          ],
        );
        assertClose(gotDx, dx, 'dx');
        assertClose(gotDw, dw, 'dw');
      });
    }
  }

  for (const reg of REGS)
    it(`matmul, ${reg}×${reg} a thread: forward with bias and ReLU, and both transposes`, async () => {
      const tf = loadTf();
      const [M, K, N] = [71, 37, 67];
      const a = random(M * K, 5);
      const b = random(K * N, 6);
      const bias = random(N, 7);
      const [fwd, tA, tB] = await onCpu(() => {
        const A = tf.tensor2d(a, [M, K]);
        const B = tf.tensor2d(b, [K, N]);
        return [
          tf.relu(tf.add(tf.matMul(A, B), tf.tensor1d(bias))),
          tf.matMul(tf.tensor2d(a, [K, M]), B, true, false),
          tf.matMul(A, tf.tensor2d(b, [N, K]), false, true),
        ];
      });
      const [g1, g2, g3] = await run([a, b, bias], [M * N, M * N, M * N], (gpu, [A, B, bs], [y1, y2, y3]) => [
        matmul(gpu, { M, N, K }, { a: A, b: B, bias: bs, y: y1 }, { relu: true, reg }),
        matmul(gpu, { M, N, K }, { a: A, b: B, y: y2 }, { transA: true, reg }),
        matmul(gpu, { M, N, K }, { a: A, b: B, y: y3 }, { transB: true, reg }),
      ]);
      assertClose(g1, fwd, 'relu(a·b + bias)');
      assertClose(g2, tA, 'aᵀ·b');
      assertClose(g3, tB, 'a·bᵀ');
    });

  for (const [name, h, w, p, s, pad] of [
    ['2×2 stride 2 same, even', 8, 6, 2, 2, 'same'],
    ['2×2 stride 2 same, odd (padding)', 7, 5, 2, 2, 'same'],
    ['3×3 stride 2 valid (overlapping windows)', 9, 7, 3, 2, 'valid'],
  ] as const) {
    it(`max pool and its gradient: ${name}`, async () => {
      const tf = loadTf();
      const [batch, ch] = [2, 3];
      const xShape: [number, number, number, number] = [batch, h, w, ch];
      const xs = random(batch * h * w * ch, 8);
      const [outH, padT] = outputAndPad(h, p, s, pad);
      const [outW, padL] = outputAndPad(w, p, s, pad);
      const g: PoolGeometry = { inH: h, inW: w, c: ch, outH, outW, pH: p, pW: p, sH: s, sW: s, padT, padL };
      const dys = random(batch * outH * outW * ch, 9);
      const [y, dx] = await onCpu(() => {
        const x = tf.tensor4d(xs, xShape);
        const f = (t: tfl.Tensor) => tf.maxPool(t as tfl.Tensor4D, p, s, pad);
        const dy = tf.tensor(dys, [batch, outH, outW, ch]);
        return [f(x), tf.grad((t: tfl.Tensor) => tf.sum(tf.mul(f(t), dy)))(x)];
      });
      const [gotY, , gotDx] = await run([xs, dys], [y.length, y.length, xs.length], (gpu, [x, dy], [gy, arg, gx]) => [
        maxPool(gpu, g, batch, { x, y: gy, argmax: arg }),
        maxPoolGrad(gpu, g, batch, { dy, argmax: arg, dx: gx }),
      ]);
      assertClose(gotY, y, 'y');
      assertClose(gotDx, dx, 'dx');
    });
  }

  it('softmax cross-entropy: the mean loss, the logits gradient and the correct count', async () => {
    const tf = loadTf();
    const [rows, classes] = [70, 10];
    const logits = random(rows * classes, 10).map((v) => v * 5);
    const labels = new Float32Array(rows * classes);
    const truth = Array.from({ length: rows }, (_, r) => (r * 7) % classes);
    truth.forEach((t, r) => (labels[r * classes + t] = 1));
    const [loss, grad, correct] = await onCpu(() => {
      const y = tf.tensor2d(labels, [rows, classes]);
      const z = tf.tensor2d(logits, [rows, classes]);
      const f = (t: tfl.Tensor) => tf.losses.softmaxCrossEntropy(y, t);
      return [f(z), tf.grad(f)(z), tf.sum(tf.cast(tf.equal(tf.argMax(z, 1), tf.argMax(y, 1)), 'float32'))];
    });
    const [dz, out] = await run([logits, labels], [rows * classes, 2], (gpu, [z, y], [d, o]) => [
      softmaxXent(gpu, rows, classes, { logits: z, labels: y, dlogits: d, out: o }),
    ]);
    assertClose(out.subarray(0, 1), loss, 'loss');
    assertClose(dz, grad, 'dlogits');
    assert.equal(out[1], correct[0]);
  });

  it('bias gradient: column sums over many rows', async () => {
    const tf = loadTf();
    const [rows, C] = [1000, 6];
    const dys = random(rows * C, 11);
    const [want] = await onCpu(() => tf.sum(tf.tensor2d(dys, [rows, C]), 0));
    const [got] = await run([dys], [C, biasSplits(rows) * C], (gpu, [dy], [db, p]) =>
      biasGrad(gpu, rows, C, { dy, partials: p, db }),
    );
    assertClose(got, want, 'db');
  });

  it('dropout keeps about 1 − rate of the units, scaled, masks differ by step, and the mask gates the gradient', async () => {
    const n = 4096;
    const rate = 0.5;
    const xs = random(n, 12, true).map((v) => v + 0.5);
    const ones = new Float32Array(n).fill(1);
    await useBackend('webgpu');
    const [y1, m1, y2, , dz] = await run([xs, ones], [n, n, n, n, n], (gpu, [x, dy], [a, ma, b, mb, g]) => [
      dropout(gpu, n, rate, gpu.uniform({ rate: 0, key: 1 }), { x, y: a, mask: ma }),
      dropout(gpu, n, rate, gpu.uniform({ rate: 0, key: 2 }), { x, y: b, mask: mb }),
      activationGrad(gpu, n, { dy, y: a, mask: ma, dz: g }),
    ]);
    const kept = y1.filter((v) => v !== 0).length;
    assert.ok(Math.abs(kept / n - (1 - rate)) < 0.05, `kept ${kept} of ${n}`);
    y1.forEach((v, i) => assert.ok(v === 0 || Math.abs(v - xs[i] * 2) < 1e-6, `unit ${i} scaled by 1/(1 − rate)`));
    assert.ok(
      y1.some((v, i) => (v === 0) !== (y2[i] === 0)),
      'another step, another mask',
    );
    dz.forEach((v, i) => assert.equal(v, m1[i]));
  });

  it("Adam (TF 1's) and gradient descent updates", async () => {
    const n = 300;
    const [w, m, g] = [random(n, 13), random(n, 14), random(n, 15)];
    const v = random(n, 16, true);
    const rate = 0.01;
    const { beta1, beta2, epsilon } = ADAM;
    const want = { m: new Float32Array(n), v: new Float32Array(n), w: new Float32Array(n), sgd: new Float32Array(n) };
    for (let i = 0; i < n; i++) {
      want.m[i] = beta1 * m[i] + (1 - beta1) * g[i];
      want.v[i] = beta2 * v[i] + (1 - beta2) * g[i] * g[i];
      want.w[i] = w[i] - (rate * want.m[i]) / (Math.sqrt(want.v[i]) + epsilon);
      want.sgd[i] = w[i] - rate * g[i];
    }
    const [gw, gm, gv, , gs] = await run([w, m, v, g, w], [], (gpu, [W, M, V, G, W2]) => {
      const step = gpu.uniform({ rate, key: 0 }, ['rate']);
      return [adam(gpu, n, step, { w: W, m: M, v: V, g: G }), sgd(gpu, n, step, { w: W2, g: G })];
    });
    assertClose(gm, want.m, 'm', 1e-6);
    assertClose(gv, want.v, 'v', 1e-6);
    assertClose(gw, want.w, 'w', 1e-6);
    assertClose(gs, want.sgd, 'sgd w', 1e-6);
  });

  it('reports the largest relative difference seen', (t) => {
    t.diagnostic(`largest relative difference from the cpu backend: ${worst.toExponential(2)}`);
    assert.ok(worst < 1e-4, `largest relative difference ${worst}`);
  });
});
