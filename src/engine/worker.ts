/** A worker thread of ParallelFlatEngine: one replica of the model and optimizer. */
import { useBackend } from '../backends';
import { IMAGE_SIZE, NUM_CLASSES } from '../data/shapes';
import { buildModel } from '../models';
import { serveWorker } from '../threads/channel';
import { Replica } from './replica';
import { FromWorker, ReplicaSpec, ToWorker, combineGradients, shardRange } from './flat-parallel';

serveWorker<ReplicaSpec, ToWorker, FromWorker>(async (spec) => {
  await useBackend(spec.backend);
  const replica = new Replica(buildModel(spec.model), spec.optimizer, spec.learningRate, {
    seed: spec.seed,
    thread: spec.index,
    decay: spec.decay,
    dropout: spec.dropout,
    shared: {
      weights: new Float32Array(spec.weights),
      slots: spec.slots.map((b) => new Float32Array(b)),
      step: spec.optimizerStep,
    },
  });
  const views = spec.grads.map((pair) => pair.map((b) => new Float32Array(b)));
  const sum = new Float32Array(replica.weights.length);
  const [from, to] = shardRange(replica.weights.length, spec.threads, spec.index);
  return (m) => {
    const parity = m.step % 2;
    if (m.type === 'apply') {
      replica.applyRange(
        combineGradients(
          views.map((v) => v[parity]),
          m.counts,
          sum,
          from,
          to,
        ),
        from,
        to,
      );
      return { type: 'applied' };
    }
    // m.xs holds the parts of threads 1.. in order; take ours.
    const before = m.counts.slice(1, spec.index).reduce((a, b) => a + b, 0);
    const n = m.counts[spec.index];
    const xs = m.xs.subarray(before * IMAGE_SIZE, (before + n) * IMAGE_SIZE);
    const ys = m.ys.subarray(before * NUM_CLASSES, (before + n) * NUM_CLASSES);
    // Every range of the shared weights was updated before this message was sent.
    replica.loadWeights();
    const { loss } = replica.gradients(m.step, xs, ys, n, views[spec.index][parity]);
    return { type: 'grads', loss };
  };
});
