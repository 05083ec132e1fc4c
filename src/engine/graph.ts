/**
 * The graph engine: the whole training step is one TensorFlow graph (see
 * graph/step.ts), run with one TF_SessionRun per step that takes the batch
 * and returns the loss; weights and optimizer state live in TensorFlow's
 * variables. This is how TensorFlow Python's tf.function trains, and runs at
 * its speed: no per-op dispatch from JavaScript, and TensorFlow's inter-op
 * threads run independent ops of the backward pass side by side.
 *
 * The tfjs model's variables are brought up to date by `exportState` and
 * `close`, not after every step.
 */
import type * as tfl from '@tensorflow/tfjs';
import { availableParallelism } from 'node:os';
import type { Batch } from '../data/dataset';
import { IMAGE_SIZE, NUM_CLASSES } from '../data/shapes';
import { UserError } from '../errors';
import {
  DT,
  GraphApi,
  OpHandle,
  Output,
  SessionHandle,
  TensorData,
  TensorValue,
  loadGraphApi,
} from '../native/graph-api';
import { slotCount } from '../optim';
import { feedsFrom, flatSize } from './graph/builder';
import { StepGraph, buildStepGraph } from './graph/step';
import { threadConfig } from './graph/threads';
import { OpTime, opTimes, traceRunOptions } from './graph/trace';
import { getFlatWeights, setFlatWeights, trainableVariables } from './replica';
import { EngineOptions, EngineRunError, EngineState, StepResult, TrainingEngine } from './types';

/** Why the graph engine cannot run here (undefined: it can). */
export function graphEngineUnavailable(): string | undefined {
  return loadGraphApi().why;
}

function concat(parts: TensorData[], size: number): Float32Array {
  const out = new Float32Array(size);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

export class GraphEngine implements TrainingEngine {
  readonly kind = 'graph';
  private readonly session: SessionHandle;
  private readonly size: number;
  private pending: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly model: tfl.LayersModel,
    private readonly api: GraphApi,
    private readonly g: StepGraph,
    private readonly options: EngineOptions,
    readonly threads: number,
  ) {
    this.size = flatSize(g.weights);
    this.session = api.session(g.builder.graph, threadConfig(threads, threads));
  }

  static async create(model: tfl.LayersModel, options: EngineOptions, initial?: EngineState): Promise<GraphEngine> {
    const { api, why } = loadGraphApi();
    if (!api) throw new UserError(`the graph engine cannot run: ${why}`);
    const threads = options.threads ?? availableParallelism();
    const graph = buildStepGraph(api, model, { ...options, dropout: options.dropout !== false });
    const engine = new GraphEngine(model, api, graph, options, threads);
    try {
      await engine.load(initial ?? GraphEngine.fromModel(model, options));
    } catch (err) {
      await engine.close(false);
      throw err;
    }
    return engine;
  }

  /** The model's own weights, fresh optimizer state. */
  private static fromModel(model: tfl.LayersModel, options: EngineOptions): EngineState {
    const weights = getFlatWeights(trainableVariables(model));
    const slots = Array.from({ length: slotCount(options.optimizer) }, () => new Float32Array(weights.length));
    return { weights, optimizer: { name: options.optimizer, step: 0, slots } };
  }

  private async load(state: EngineState): Promise<void> {
    const { weights, slots, counter } = this.g;
    const fits =
      state.weights.length === this.size &&
      state.optimizer.slots.length === slots.length &&
      state.optimizer.slots.every((s) => s.length === this.size);
    if (!fits) throw new UserError(`the checkpoint's weights or optimizer state do not fit the model`);
    const feeds = [
      ...feedsFrom(weights, state.weights),
      ...slots.flatMap((vars, k) => feedsFrom(vars, state.optimizer.slots[k])),
      [counter.value, [DT.int64, [], new BigInt64Array([BigInt(state.optimizer.step)])]] as [Output, TensorValue],
    ];
    const assigns = [...weights, ...slots.flat(), counter].map((v) => v.assign);
    await this.run(feeds, [], assigns);
  }

  /** Runs one at a time, in call order; TensorFlow's error becomes one line. */
  private run(
    feeds: [Output, TensorValue][],
    fetches: Output[],
    targets: OpHandle[],
    runOptions?: Uint8Array,
  ): Promise<TensorData[]> {
    const next = this.pending.then(() => this.api.run(this.session, feeds, fetches, targets, runOptions));
    this.pending = next.catch(() => undefined);
    return next.catch((err: unknown) => {
      throw new EngineRunError(`TensorFlow: ${(err instanceof Error ? err.message : String(err)).split('\n')[0]}`);
    });
  }

  private batchFeeds(batch: Batch): [Output, TensorValue][] {
    return [
      [this.g.xs, [DT.float, [batch.size, IMAGE_SIZE], batch.xs.subarray(0, batch.size * IMAGE_SIZE)]],
      [this.g.ys, [DT.float, [batch.size, NUM_CLASSES], batch.ys.subarray(0, batch.size * NUM_CLASSES)]],
    ];
  }

  async step(batch: Batch): Promise<StepResult> {
    const [loss] = await this.run(this.batchFeeds(batch), [this.g.loss], [this.g.train]);
    return { loss: loss[0] };
  }

  /** One step, traced by TensorFlow: each op's kernel and time (for `npm run bench -- --profile`). */
  async traceStep(batch: Batch): Promise<{ loss: number; ops: OpTime[] }> {
    const out = await this.run(this.batchFeeds(batch), [this.g.loss], [this.g.train], traceRunOptions());
    return { loss: out[0][0], ops: opTimes(out[1] as Uint8Array) };
  }

  /** The batch accuracy with dropout off, from the current weights. */
  async accuracy(batch: Batch): Promise<number> {
    const [acc] = await this.run(this.batchFeeds(batch), [this.g.accuracy], []);
    return acc[0];
  }

  async exportState(): Promise<EngineState> {
    const { weights, slots, counter } = this.g;
    const fetched = await this.run(
      [],
      [...weights, ...slots.flat(), counter].map((v) => v.read),
      [],
    );
    const n = weights.length;
    const state: EngineState = {
      weights: concat(fetched.slice(0, n), this.size),
      optimizer: {
        name: this.options.optimizer,
        step: fetched[fetched.length - 1][0],
        slots: slots.map((_, k) => concat(fetched.slice(n * (k + 1), n * (k + 2)), this.size)),
      },
    };
    setFlatWeights(trainableVariables(this.model), state.weights);
    return state;
  }

  private closed = false;

  /** Frees the session; with `sync`, first copies the weights into the tfjs model. */
  async close(sync = true): Promise<void> {
    if (this.closed) return;
    if (sync) await this.exportState().catch(() => undefined);
    await this.pending;
    this.closed = true;
    this.api.closeSession(this.session);
  }
}
