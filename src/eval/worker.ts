/** A worker thread of evaluateOnThreads: rebuilds the model and predicts the batches it is sent. */
import { parentPort, workerData } from 'node:worker_threads';
import { useBackend } from '../backends';
import { loadTf } from '../backends/tf';
import { errorMessage } from '../errors';
import { predictClasses } from './evaluate';
import type { EvalWorkerSpec, FromEvalWorker, ToEvalWorker } from './parallel-eval';

async function run(port: NonNullable<typeof parentPort>, spec: EvalWorkerSpec): Promise<void> {
  const reply = (m: FromEvalWorker) => port.postMessage(m);
  try {
    await useBackend(spec.backend);
    const tf = loadTf();
    const model = await tf.loadLayersModel(tf.io.fromMemory(spec.artifacts));
    port.on('message', (m: ToEvalWorker) => {
      try {
        reply({ type: 'predictions', id: m.id, classes: predictClasses(model, m.xs, m.n) });
      } catch (err) {
        reply({ type: 'error', message: errorMessage(err) });
      }
    });
    reply({ type: 'ready' });
  } catch (err) {
    reply({ type: 'error', message: errorMessage(err) });
  }
}

if (parentPort) void run(parentPort, workerData as EvalWorkerSpec);
