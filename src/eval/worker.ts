/** A worker thread of `evaluate`: rebuilds the model and predicts the batches it is sent. */
import { useBackend } from '../backends';
import { loadTf } from '../backends/tf';
import { serveWorker } from '../threads/channel';
import type { EvalWorkerSpec, FromEvalWorker, ToEvalWorker } from './evaluate';
import { predictClasses } from './predict';

serveWorker<EvalWorkerSpec, ToEvalWorker, FromEvalWorker>(async (spec) => {
  await useBackend(spec.backend);
  const tf = loadTf();
  const model = await tf.loadLayersModel(tf.io.fromMemory(spec.artifacts));
  return (m) => ({ type: 'predictions', classes: predictClasses(model, m.xs, m.n) });
});
