/**
 * Softmax cross-entropy, mean over the batch (tf.losses.softmaxCrossEntropy):
 * one workgroup; each thread takes rows, writes the logits' gradient
 * (softmax·Σy − y) / batch, and the workgroup adds the rows' losses and
 * correct predictions (first maximum, as argMax) into out[0] (the mean loss)
 * and out[1] (the count).
 */
import { Dispatch, Gpu, Slice } from './gpu';

const THREADS = 64;

export const SOFTMAX_XENT = `
struct U { rows: u32, classes: u32, }
@group(0) @binding(0) var<uniform> u: U;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read> labels: array<f32>;
@group(0) @binding(3) var<storage, read_write> dlogits: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;
var<workgroup> lossSum: array<f32, ${THREADS}>;
var<workgroup> rightSum: array<f32, ${THREADS}>;
@compute @workgroup_size(${THREADS})
fn main(@builtin(local_invocation_id) lid: vec3u) {
  var loss = 0.0;
  var right = 0.0;
  for (var r = lid.x; r < u.rows; r = r + ${THREADS}u) {
    let base = r * u.classes;
    var top = logits[base];
    var guess = 0u;
    var truth = 0u;
    var ySum = 0.0;
    for (var j = 0u; j < u.classes; j = j + 1u) {
      let z = logits[base + j];
      if (z > top) { top = z; guess = j; }
      if (labels[base + j] > labels[base + truth]) { truth = j; }
      ySum = ySum + labels[base + j];
    }
    var e = 0.0;
    for (var j = 0u; j < u.classes; j = j + 1u) { e = e + exp(logits[base + j] - top); }
    let logZ = log(e);
    for (var j = 0u; j < u.classes; j = j + 1u) {
      let z = logits[base + j] - top;
      let y = labels[base + j];
      loss = loss - y * (z - logZ);
      dlogits[base + j] = (exp(z - logZ) * ySum - y) / f32(u.rows);
    }
    if (guess == truth) { right = right + 1.0; }
  }
  lossSum[lid.x] = loss;
  rightSum[lid.x] = right;
  workgroupBarrier();
  if (lid.x == 0u) {
    var l = 0.0;
    var c = 0.0;
    for (var t = 0u; t < ${THREADS}u; t = t + 1u) { l = l + lossSum[t]; c = c + rightSum[t]; }
    out[0] = l / f32(u.rows);
    out[1] = c;
  }
}`;

export function softmaxXent(
  gpu: Gpu,
  rows: number,
  classes: number,
  io: { logits: Slice; labels: Slice; dlogits: Slice; out: Slice },
): Dispatch {
  const u = gpu.uniform({ rows, classes });
  return gpu.dispatch(SOFTMAX_XENT, 'softmax cross-entropy', [u, io.logits, io.labels, io.dlogits, io.out], [1, 1, 1]);
}
