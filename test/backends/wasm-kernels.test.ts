/**
 * Our wasm training kernels against the pure-JS cpu backend's, on random
 * shapes: SAME and VALID, strides 1 and 2, odd sizes, batch 1.
 */
import { strict as assert } from 'node:assert';
import { before, describe, it } from 'node:test';
import type * as tfl from '@tensorflow/tfjs';
import { loadTf, useBackend } from '../../src/backends';
import { BackendName } from '../../src/backends/choices';
import { buildCnn, crossEntropy } from '../../src/models';
import { Rng } from '../../src/data/rng';
import { maxRelDiff } from '../helpers/compare';

const tf = loadTf();
const rng = new Rng(2024);

before(async () => {
  await useBackend('wasm'); // registers our kernels
});

function random(n: number): Float32Array {
  return Float32Array.from({ length: n }, () => rng.next() * 2 - 1);
}

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** Runs `f` on fresh tensors of `inputs` on a backend; returns every output's values. */
async function on(
  backend: BackendName,
  inputs: Array<[Float32Array, number[]]>,
  f: (...t: tfl.Tensor[]) => tfl.Tensor[],
): Promise<Float32Array[]> {
  await useBackend(backend);
  return tf.tidy(() => f(...inputs.map(([d, s]) => tf.tensor(d, s))).map((t) => t.dataSync() as Float32Array));
}

async function compare(
  name: string,
  inputs: Array<[Float32Array, number[]]>,
  f: (...t: tfl.Tensor[]) => tfl.Tensor[],
  tol = 1e-4,
) {
  const cpu = await on('cpu', inputs, f);
  const wasm = await on('wasm', inputs, f);
  cpu.forEach((c, i) => {
    const e = maxRelDiff(wasm[i], c);
    assert.ok(e <= tol, `${name} output ${i}: relative error ${e}`);
  });
}

interface ConvCase {
  x: [number, number, number, number];
  f: [number, number, number, number];
  stride: number;
  pad: 'same' | 'valid';
}

const convCases: ConvCase[] = [
  { x: [2, 9, 7, 3], f: [3, 3, 3, 4], stride: 1, pad: 'same' },
  { x: [1, 8, 9, 2], f: [5, 5, 2, 3], stride: 1, pad: 'valid' },
  { x: [3, 11, 10, 2], f: [3, 2, 2, 5], stride: 2, pad: 'same' },
  { x: [2, 10, 11, 3], f: [3, 3, 3, 2], stride: 2, pad: 'valid' },
  { x: [1, 13, 13, 1], f: [4, 4, 1, 6], stride: 2, pad: 'same' },
  { x: [4, 28, 28, 1], f: [5, 5, 1, 8], stride: 1, pad: 'same' },
  { x: [2, 14, 14, 8], f: [5, 5, 8, 16], stride: 1, pad: 'same' },
];

describe('wasm training kernels vs cpu', () => {
  for (const c of convCases) {
    it(`Conv2DBackpropFilter and Conv2DBackpropInput: x ${c.x} filter ${c.f} stride ${c.stride} ${c.pad}`, async () => {
      const y = tf.tidy(
        () => tf.conv2d(tf.zeros(c.x) as tfl.Tensor4D, tf.zeros(c.f) as tfl.Tensor4D, c.stride, c.pad).shape,
      );
      const inputs: Array<[Float32Array, number[]]> = [
        [random(size(c.x)), c.x],
        [random(size(c.f)), c.f],
        [random(size(y)), y],
      ];
      await compare('conv grads', inputs, (x, f, dy) => [
        tf.conv2dTranspose(dy as tfl.Tensor4D, f as tfl.Tensor4D, c.x, c.stride, c.pad),
        ...tf.grads((xx: tfl.Tensor, ff: tfl.Tensor) =>
          tf.conv2d(xx as tfl.Tensor4D, ff as tfl.Tensor4D, c.stride, c.pad),
        )([x, f], dy),
      ]);
    });
  }

  for (const [ta, tb] of [
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ]) {
    it(`BatchMatMul transposeA=${ta} transposeB=${tb}, wide and tall`, async () => {
      for (const [m, k, n] of [
        [5, 7, 300],
        [300, 7, 5],
        [1, 33, 17],
      ]) {
        const aShape = ta ? [k, m] : [m, k];
        const bShape = tb ? [n, k] : [k, n];
        await compare(
          `matmul ${m}x${k}x${n}`,
          [
            [random(m * k), aShape],
            [random(k * n), bShape],
          ],
          (a, b) => [tf.matMul(a as tfl.Tensor2D, b as tfl.Tensor2D, ta, tb)],
        );
      }
    });
  }

  for (const [shape, pool, stride, pad] of [
    [[2, 28, 28, 3], 2, 2, 'same'],
    [[1, 7, 7, 5], 2, 2, 'same'],
    [[3, 9, 8, 2], 3, 2, 'valid'],
    [[2, 10, 11, 4], 3, 1, 'same'],
    [[1, 6, 6, 1], 2, 2, 'valid'],
  ] as Array<[[number, number, number, number], number, number, 'same' | 'valid']>) {
    it(`MaxPoolGrad: x ${shape} pool ${pool} stride ${stride} ${pad}, with ties`, async () => {
      // Quantised values make ties common, as ReLU's zeros do.
      const x = Float32Array.from(random(size(shape)), (v) => Math.max(0, Math.round(v * 3)));
      const y = tf.tidy(() => tf.maxPool(tf.zeros(shape) as tfl.Tensor4D, pool, stride, pad).shape);
      await compare(
        'maxPool grad',
        [
          [x, shape],
          [random(y.reduce((p, q) => p * q, 1)), y],
        ],
        (xx, dy) => [tf.grad((t: tfl.Tensor) => tf.maxPool(t as tfl.Tensor4D, pool, stride, pad))(xx, dy)],
      );
    });
  }

  it("batched BatchMatMul (the backend's own kernel) and _FusedMatMul with bias and relu", async () => {
    await compare(
      'batched',
      [
        [random(3 * 4 * 5), [3, 4, 5]],
        [random(3 * 5 * 6), [3, 5, 6]],
      ],
      (a, b) => [tf.matMul(a as tfl.Tensor3D, b as tfl.Tensor3D)],
    );
    await compare(
      'fused',
      [
        [random(6 * 9), [6, 9]],
        [random(9 * 11), [9, 11]],
        [random(11), [11]],
      ],
      (a, b, bias) => [tf.fused.matMul({ a: a as tfl.Tensor2D, b: b as tfl.Tensor2D, bias, activation: 'relu' })],
    );
  });

  it('a whole CNN training step: every gradient matches the cpu backend', async () => {
    const batch = 3;
    // Its own fixed input: where two values of a max-pool window are within float
    // rounding, cpu and wasm may pick different maxima (both right), and route the
    // gradient differently. This input has no such near-tie (checked).
    const own = new Rng(1);
    const inputs: Array<[Float32Array, number[]]> = [
      [Float32Array.from({ length: batch * 784 }, () => own.next()), [batch, 784]],
      [
        tf.tidy(
          () =>
            tf
              .oneHot(tf.tensor1d([3, 7, 1], 'int32'), 10)
              .toFloat()
              .dataSync() as Float32Array,
        ),
        [batch, 10],
      ],
    ];
    const gradsOn = async (backend: BackendName) => {
      await useBackend(backend);
      const model = buildCnn(11);
      // No dropout here: compare the deterministic part of the step.
      const vars = model.trainableWeights.map((w) => w.read() as tfl.Variable);
      const { grads } = tf.tidy(() => {
        const x = tf.tensor(inputs[0][0], inputs[0][1]);
        const y = tf.tensor(inputs[1][0], inputs[1][1]);
        return tf.variableGrads(() => crossEntropy(y, model.apply(x, { training: false }) as tfl.Tensor), vars);
      });
      const out = vars.map((v) => grads[v.name].dataSync() as Float32Array);
      tf.dispose(Object.values(grads));
      model.dispose();
      return out;
    };
    const cpu = await gradsOn('cpu');
    const wasm = await gradsOn('wasm');
    assert.equal(cpu.length, 8);
    cpu.forEach((g, i) => assert.ok(maxRelDiff(wasm[i], g) <= 1e-4, `gradient ${i}: ${maxRelDiff(wasm[i], g)}`));
  });
});
