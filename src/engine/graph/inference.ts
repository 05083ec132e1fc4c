/**
 * Evaluation and prediction on the tensorflow backend through one TensorFlow
 * graph (the model's forward pass with dropout off, see layers.ts): one
 * TF_SessionRun per batch instead of one dispatch per op.
 */
import type * as tfl from '@tensorflow/tfjs';
import { availableParallelism } from 'node:os';
import { IMAGE_SIZE } from '../../data/shapes';
import { DT, GraphApi, Output, SessionHandle, TensorData, loadGraphApi } from '../../native/graph-api';
import { getFlatWeights, trainableVariables } from '../replica';
import { GraphBuilder, f32, feedsFrom } from './builder';
import { forward } from './layers';
import { threadConfig } from './threads';

export class GraphInference {
  private constructor(
    private readonly api: GraphApi,
    private readonly session: SessionHandle,
    private readonly xs: Output,
    private readonly classOutput: Output,
    private readonly probabilityOutput: Output,
  ) {}

  /**
   * The model's forward pass as a graph holding a copy of its current weights, or undefined where the
   * graph addon does not load or the model has a layer the graph builder does not know.
   */
  static async create(model: tfl.LayersModel): Promise<GraphInference | undefined> {
    const { api } = loadGraphApi();
    if (!api) return undefined;
    const g = new GraphBuilder(api);
    const weights = model.trainableWeights.map((w, i) => g.variable(`w${i}`, DT.float, w.shape as number[]));
    const xs = g.placeholder(DT.float, [-1, IMAGE_SIZE], 'xs');
    let logits: Output;
    try {
      logits = forward(
        g,
        model,
        weights.map((w) => w.read),
        xs,
        { training: false },
      );
    } catch {
      return undefined;
    }
    const classes = g.op(
      'ArgMax',
      [logits, g.int32(1)],
      [f32, ['Tidx', 'type', DT.int32], ['output_type', 'type', DT.int32]],
    );
    const probabilities = g.op('Softmax', [logits], [f32]);
    const cores = availableParallelism();
    const session = api.session(g.graph, threadConfig(cores, cores));
    const feeds = feedsFrom(weights, getFlatWeights(trainableVariables(model)));
    await api.run(
      session,
      feeds,
      [],
      weights.map((w) => w.assign),
    );
    return new GraphInference(api, session, xs, classes, probabilities);
  }

  private async fetch(output: Output, xs: Float32Array, n: number): Promise<TensorData> {
    const [out] = await this.api.run(
      this.session,
      [[this.xs, [DT.float, [n, IMAGE_SIZE], xs.subarray(0, n * IMAGE_SIZE)]]],
      [output],
      [],
    );
    return out;
  }

  /** Predicted classes of n flat images. */
  async classes(xs: Float32Array, n: number): Promise<Int32Array> {
    return (await this.fetch(this.classOutput, xs, n)) as Int32Array;
  }

  /** Class probabilities of n flat images, n x 10, row-major. */
  async probabilities(xs: Float32Array, n: number): Promise<Float32Array> {
    return (await this.fetch(this.probabilityOutput, xs, n)) as Float32Array;
  }

  close(): void {
    this.api.closeSession(this.session);
  }
}
