/**
 * The flat engine on one thread: a Replica's gradients, then its optimizer,
 * with nothing to exchange. Kept apart from flat-parallel.ts so that the one-thread
 * case, the usual one on wasm for the softmax model, starts no workers.
 */
import type { Batch } from '../data/batches';
import { Replica } from './replica';
import type { EngineState, StepResult, TrainingEngine } from './types';

/** The flat-array engine on one thread: gradients from tfjs, the optimizer in one JavaScript pass. */
export class FlatEngine implements TrainingEngine {
  readonly kind = 'flat';
  readonly threads = 1;

  constructor(private readonly replica: Replica) {}

  get model() {
    return this.replica.model;
  }

  async step(batch: Batch, step: number): Promise<StepResult> {
    const { loss, grads } = this.replica.gradients(step, batch.xs, batch.ys, batch.size);
    this.replica.apply(grads);
    return { loss };
  }

  async exportState(): Promise<EngineState> {
    return this.replica.exportState();
  }

  async close(): Promise<void> {}
}
