/**
 * Our WebGPU kernels against TF.js's cpu backend, on a GPU's adapter or else
 * Dawn's software adapter (the same WGSL), in a process of their own.
 */
import { strict as assert } from 'node:assert';
import { before, describe, it } from 'node:test';
import type * as tfl from '@tensorflow/tfjs';
import { loadTf, useBackend } from '../../src/backends';
import { adamOnWebGpu, useOwnWebGpuKernels } from '../../src/backends/webgpu-kernels';
import { Rng } from '../../src/data/rng';
import { webGpuForTests } from '../helpers/webgpu';

const webgpu = webGpuForTests();

interface Case {
  name: string;
  x: [number, number, number, number];
  filter: [number, number, number, number];
  strides: number;
  pad: 'same' | 'valid';
}

const CASES: Case[] = [
  {
    name: "the CNN's conv1 (1 → 32 channels, 5×5, same)",
    x: [3, 28, 28, 1],
    filter: [5, 5, 1, 32],
    strides: 1,
    pad: 'same',
  },
  {
    name: "the CNN's conv2 (32 → 64 channels, 5×5, same)",
    x: [2, 14, 14, 32],
    filter: [5, 5, 32, 64],
    strides: 1,
    pad: 'same',
  },
  { name: 'odd sizes, valid padding, stride 2', x: [3, 11, 9, 3], filter: [3, 4, 3, 5], strides: 2, pad: 'valid' },
  { name: 'stride 2, same, uneven padding', x: [5, 17, 13, 2], filter: [3, 3, 2, 7], strides: 2, pad: 'same' },
];

function random(shape: number[], seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.next() * 2 - 1);
}

/** The filter gradient of sum(conv2d(x, w) · dy) on the active backend. */
async function filterGrad(c: Case, xs: Float32Array, dys: Float32Array, dyShape: number[]): Promise<Float32Array> {
  const tf = loadTf();
  const x = tf.tensor4d(xs, c.x);
  const dy = tf.tensor(dys, dyShape);
  const w = tf.zeros(c.filter);
  const grad = tf.grad((f: tfl.Tensor) => tf.sum(tf.mul(tf.conv2d(x, f as tfl.Tensor4D, c.strides, c.pad), dy)))(w);
  try {
    return (await grad.data()) as Float32Array;
  } finally {
    tf.dispose([x, dy, w, grad]);
  }
}

describe('our WebGPU kernels', { skip: webgpu.missing ?? false }, () => {
  before(async () => {
    await useBackend('webgpu');
  });

  it("the fused Adam step matches TF 1's Adam in element-wise ops", async () => {
    const tf = loadTf();
    await useBackend('webgpu');
    const shape = [7, 13];
    const [rate, beta1, beta2, epsilon] = [0.01, 0.9, 0.999, 1e-8];
    const values = (seed: number, positive = false) =>
      tf.tensor(
        random(shape, seed).map((x) => (positive ? Math.abs(x) : x)),
        shape,
      );
    const [w, m, v] = [values(3), values(4), values(5, true)].map((t) => tf.variable(t));
    const g = values(6);
    const expected = tf.tidy(() => {
      const m1 = m.mul(beta1).add(g.mul(1 - beta1));
      const v1 = v.mul(beta2).add(g.square().mul(1 - beta2));
      return [w.sub(m1.mul(rate).div(v1.sqrt().add(epsilon))), m1, v1];
    });
    assert.equal(
      tf.tidy(() => adamOnWebGpu([w], { [w.name]: g }, [m], [v], rate, beta1, beta2, epsilon)),
      true,
    );
    for (const [i, t] of [w, m, v].entries()) {
      const [got, want] = [await t.data(), await expected[i].data()];
      for (let j = 0; j < want.length; j++)
        assert.ok(
          Math.abs(got[j] - want[j]) <= 1e-6 * Math.max(1, Math.abs(want[j])),
          `${['w', 'm', 'v'][i]}[${j}]: ${got[j]} vs ${want[j]}`,
        );
    }
    tf.dispose([w, m, v, g, ...expected]);
  });

  for (const c of CASES) {
    it(`Conv2DBackpropFilter matches the cpu backend: ${c.name}`, async () => {
      const tf = loadTf();
      await useBackend('cpu');
      const dyShape = tf.conv2d(
        tf.zeros(c.x) as tfl.Tensor4D,
        tf.zeros(c.filter) as tfl.Tensor4D,
        c.strides,
        c.pad,
      ).shape;
      const xs = random(c.x, 1);
      const dys = random(dyShape, 2);
      const expected = await filterGrad(c, xs, dys, dyShape);
      await useBackend('webgpu');
      const ours = await filterGrad(c, xs, dys, dyShape);
      useOwnWebGpuKernels(false);
      const theirs = await filterGrad(c, xs, dys, dyShape);
      useOwnWebGpuKernels(true);
      let worst = 0;
      for (let i = 0; i < expected.length; i++)
        worst = Math.max(worst, Math.abs(ours[i] - expected[i]) / Math.max(1, Math.abs(expected[i])));
      assert.ok(worst < 1e-4, `largest relative difference ${worst}`);
      assert.ok(
        expected.some((v) => v !== 0),
        'a gradient that is not all zeros',
      );
      for (let i = 0; i < expected.length; i++)
        assert.ok(
          Math.abs(theirs[i] - ours[i]) <= 1e-4 * Math.max(1, Math.abs(theirs[i])),
          `TF.js's kernel agrees at ${i}`,
        );
    });
  }
});
