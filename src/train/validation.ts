/**
 * Validation during training (`--validate-every`): the validation split's mean
 * loss and accuracy with dropout off, measured on the engine that trains (the
 * graph and webgpu step engines score it where the weights live; the others'
 * model holds the current weights), and when to measure.
 */
import type { DataSplit } from '../data/batches';
import type { BatchScore, TrainingEngine } from '../engine/types';
import { loadTf } from '../backends/tf';
import { crossEntropy } from '../models';
import { IMAGE_SIZE, NUM_CLASSES } from '../data/shapes';

/** The default interval: an epoch of the training split in steps, rounded to the log interval (at least one). */
export function epochInterval(trainCount: number, batchSize: number, logEvery: number): number {
  const epoch = trainCount / batchSize;
  return Math.max(logEvery, Math.round(epoch / logEvery) * logEvery);
}

/**
 * One batch scored through the tfjs model (engines whose model holds the current weights), read
 * asynchronously: webgpu in Node.js cannot read a tensor synchronously.
 */
async function scoreOnModel(engine: TrainingEngine, batch: ReturnType<DataSplit['slice']>): Promise<BatchScore> {
  const tf = loadTf();
  const [lossOf, classes] = tf.tidy(() => {
    const x = tf.tensor2d(batch.xs, [batch.size, IMAGE_SIZE]);
    const y = tf.tensor2d(batch.ys, [batch.size, NUM_CLASSES]);
    const logits = engine.model.predict(x) as ReturnType<typeof tf.tensor2d>;
    return [crossEntropy(y, logits), logits.argMax(1)];
  });
  try {
    const [loss, predicted] = await Promise.all([lossOf.data(), classes.data()]);
    let right = 0;
    for (let i = 0; i < batch.size; i++) if (predicted[i] === batch.labels[i]) right++;
    return { loss: loss[0], accuracy: right / batch.size };
  } finally {
    lossOf.dispose();
    classes.dispose();
  }
}

/** The split's mean loss and accuracy, in batches of `batchSize`, weighted by their sizes. */
export async function validate(engine: TrainingEngine, split: DataSplit, batchSize: number): Promise<BatchScore> {
  let loss = 0;
  let right = 0;
  for (let start = 0; start < split.count; start += batchSize) {
    const batch = split.slice(start, Math.min(split.count, start + batchSize));
    const score = await (engine.evaluate ? engine.evaluate(batch) : scoreOnModel(engine, batch));
    loss += score.loss * batch.size;
    right += Math.round(score.accuracy * batch.size);
  }
  return { loss: loss / split.count, accuracy: right / split.count };
}
