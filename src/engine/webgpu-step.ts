/**
 * The webgpu step engine: the whole training step prepared once on the GPU,
 * as the graph engine prepares it for TensorFlow. At start: our WGSL kernels'
 * pipelines (src/engine/webgpu/), and every buffer (weights, gradients and
 * Adam's slots as one flat buffer each; activations, the batch), uniform and
 * bind group. Each step: one writeBuffer for the batch, one for the step's
 * learning rate and dropout key, one command encoder replaying the same
 * dispatches, one submit; only the loss comes back. This skips TF.js's
 * op-by-op dispatch, which bound a batch-50 step on an H200 (docs/gpu.md).
 *
 * The tfjs model's variables are brought up to date by `exportState` and
 * `close`, not after every step. Runs on TF.js's own WebGPU device, so the
 * webgpu backend must be the active one.
 */
import type * as tfl from '@tensorflow/tfjs';
import { loadTf } from '../backends/tf';
import type { Batch } from '../data/batches';
import { IMAGE_SIZE, NUM_CLASSES } from '../data/shapes';
import { UserError } from '../errors';
import { adamStepSize, learningRateAt, slotCount } from '../optim';
import { mixSeed } from './dropout-seed';
import { UnsupportedLayerError } from './layer-settings';
import { checkStateFits, parameterCount, setFlatWeights, trainableVariables } from './replica';
import type { BatchScore, EngineOptions, EngineState, StepResult, TrainingEngine } from './types';
import { Gpu, GpuBuffer, GpuDevice } from './webgpu/gpu';
import { Network, Parameters, layoutOf } from './webgpu/network';
import { Node, planOf } from './webgpu/plan';

const MAP_READ = 0x1;
/** Steps queued ahead of the GPU when their losses are not read. */
const IN_FLIGHT = 3;

/** TF.js's WebGPU device, where the webgpu backend is the active one. */
export function tfjsDevice(): GpuDevice {
  const tf = loadTf();
  if (tf.getBackend() !== 'webgpu')
    throw new UserError(`the webgpu step engine trains on webgpu, not ${tf.getBackend()}`);
  return (tf.backend() as unknown as { device: GpuDevice }).device;
}

/** Runs `make`, turning WebGPU's validation errors (a bad kernel or binding) into a thrown one. */
export async function validated<T>(device: GpuDevice, make: () => T): Promise<T> {
  device.pushErrorScope('validation');
  let value: T;
  try {
    value = make();
  } catch (err) {
    await device.popErrorScope();
    throw err;
  }
  const error = await device.popErrorScope();
  if (error) throw new Error(`WebGPU: ${error.message.split('\n')[0]}`);
  return value;
}

async function mapped(buffer: GpuBuffer, words: number): Promise<Float32Array> {
  await buffer.mapAsync(MAP_READ);
  try {
    return new Float32Array(buffer.getMappedRange(0, words * 4).slice(0));
  } finally {
    buffer.unmap();
  }
}

export class WebGpuStepEngine implements TrainingEngine {
  readonly kind = 'webgpu-step';
  readonly threads = 1;
  private readonly networks = new Map<number, Network>();
  private optimizerStep: number;
  private pending: Promise<unknown> = Promise.resolve();
  /** Steps submitted without a readback, not yet known to be done. */
  private readonly inFlight: Promise<void>[] = [];
  private closed = false;

  private constructor(
    readonly model: tfl.LayersModel,
    private readonly options: EngineOptions,
    private readonly gpu: Gpu,
    private readonly nodes: Node[],
    private readonly params: Parameters,
    step: number,
  ) {
    this.optimizerStep = step;
  }

  static async create(
    model: tfl.LayersModel,
    options: EngineOptions,
    initial?: EngineState,
  ): Promise<WebGpuStepEngine> {
    const nodes = planOf(model);
    if (nodes[0].inSize !== IMAGE_SIZE || nodes[nodes.length - 1].outSize !== NUM_CLASSES)
      throw new UnsupportedLayerError(
        `the webgpu step engine trains models from ${IMAGE_SIZE} pixels to ${NUM_CLASSES} logits`,
      );
    const vars = trainableVariables(model);
    const size = parameterCount(vars);
    const slots = slotCount(options.optimizer);
    if (initial) checkStateFits(initial, size, slots, options.model);
    const device = tfjsDevice();
    const gpu = new Gpu(device);
    const sizes = vars.map((v) => v.size);
    const { offsets, total } = layoutOf(sizes);
    const params: Parameters = {
      sizes,
      offsets,
      total,
      weights: gpu.storage(total, 'weights'),
      grads: gpu.storage(total, 'gradients'),
      slots: Array.from({ length: slots }, (_, k) => gpu.storage(total, `slot ${k}`)),
      step: gpu.uniform({ rate: 0, key: 0 }, ['rate']),
    };
    const engine = new WebGpuStepEngine(model, options, gpu, nodes, params, initial?.optimizer.step ?? 0);
    try {
      const weights = initial?.weights ?? (await WebGpuStepEngine.modelWeights(vars, size));
      engine.upload(params.weights, weights);
      initial?.optimizer.slots.forEach((s, k) => engine.upload(params.slots[k], s));
      await engine.network(options.batchSize);
    } catch (err) {
      gpu.destroy();
      throw err;
    }
    return engine;
  }

  /** The model's own weights, read asynchronously (a GPU tensor cannot be read synchronously). */
  private static async modelWeights(vars: tfl.Variable[], size: number): Promise<Float32Array> {
    const out = new Float32Array(size);
    let offset = 0;
    for (const v of vars) {
      out.set((await v.data()) as Float32Array, offset);
      offset += v.size;
    }
    return out;
  }

  /** Writes a checkpoint-ordered flat array into a GPU buffer's aligned layout. */
  private upload(buffer: GpuBuffer, flat: Float32Array): void {
    const { sizes, offsets } = this.params;
    let at = 0;
    sizes.forEach((s, i) => {
      this.gpu.device.queue.writeBuffer(buffer, offsets[i] * 4, flat.subarray(at, at + s));
      at += s;
    });
  }

  /** Reads a GPU buffer back into checkpoint order. */
  private async download(buffer: GpuBuffer): Promise<Float32Array> {
    const { sizes, offsets, total } = this.params;
    const gpuData = await this.gpu.read({ buffer, offset: 0, length: total });
    const out = new Float32Array(sizes.reduce((a, b) => a + b, 0));
    let at = 0;
    sizes.forEach((s, i) => {
      out.set(gpuData.subarray(offsets[i], offsets[i] + s), at);
      at += s;
    });
    return out;
  }

  /** The prepared step for this batch size (made on first use). */
  private async network(batch: number): Promise<Network> {
    let net = this.networks.get(batch);
    if (!net) {
      const { optimizer, dropout } = this.options;
      net = await validated(
        this.gpu.device,
        () => new Network(this.gpu, this.nodes, this.params, batch, optimizer, dropout !== false),
      );
      this.networks.set(batch, net);
    }
    return net;
  }

  /** Runs one at a time, in call order. */
  private serial<T>(run: () => Promise<T>): Promise<T> {
    const next = this.pending.then(run);
    this.pending = next.catch(() => undefined);
    return next;
  }

  /** Uploads the batch and replays the step (`train`) or the forward pass; with `read`, maps out[0..1] (loss, correct). */
  private async run(net: Network, batch: Batch, train: boolean, read = true): Promise<Float32Array | undefined> {
    const { device } = this.gpu;
    net.fill(batch.xs, batch.ys);
    device.queue.writeBuffer(net.batchBuffer, 0, net.upload);
    const encoder = device.createCommandEncoder();
    Gpu.record(encoder, train ? net.train : net.evaluation);
    if (read) encoder.copyBufferToBuffer(net.out.buffer, 0, net.readback, 0, 8);
    device.queue.submit([encoder.finish()]);
    if (read) return mapped(net.readback, 2);
    // Steps not read back are queued ahead, but at most IN_FLIGHT of them.
    this.inFlight.push(device.queue.onSubmittedWorkDone());
    if (this.inFlight.length > IN_FLIGHT) await this.inFlight.shift();
    return undefined;
  }

  step(batch: Batch, step: number, readLoss = true): Promise<StepResult> {
    return this.serial(async () => {
      const net = await this.network(batch.size);
      const t = this.optimizerStep + 1;
      const lr = learningRateAt(this.options, this.optimizerStep);
      const rate = this.options.optimizer === 'adam' ? adamStepSize(lr, t) : lr;
      const key = this.options.dropout === false ? 0 : mixSeed(this.options.seed, step, 0);
      this.gpu.writeUniform(this.params.step, { rate, key }, ['rate']);
      const out = await this.run(net, batch, true, readLoss);
      this.optimizerStep = t;
      return out ? { loss: out[0] } : { loss: NaN, unread: true };
    });
  }

  /** The batch's loss and accuracy with dropout off, through the same prepared forward pass. */
  evaluate(batch: Batch): Promise<BatchScore> {
    return this.serial(async () => {
      const net = await this.network(batch.size);
      const [loss, correct] = (await this.run(net, batch, false)) as Float32Array;
      return { loss, accuracy: correct / batch.size };
    });
  }

  /** The batch's accuracy with dropout off, through the same prepared forward pass. */
  accuracy(batch: Batch): Promise<number> {
    return this.serial(async () => {
      const net = await this.network(batch.size);
      const [, correct] = (await this.run(net, batch, false)) as Float32Array;
      return correct / batch.size;
    });
  }

  exportState(): Promise<EngineState> {
    return this.serial(async () => {
      const weights = await this.download(this.params.weights);
      const slots: Float32Array[] = [];
      for (const s of this.params.slots) slots.push(await this.download(s));
      setFlatWeights(trainableVariables(this.model), weights);
      return { weights, optimizer: { name: this.options.optimizer, step: this.optimizerStep, slots } };
    });
  }

  /** Copies the weights into the tfjs model, then frees every buffer. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      const weights = await this.serial(() => this.download(this.params.weights));
      setFlatWeights(trainableVariables(this.model), weights);
    } finally {
      this.gpu.destroy();
    }
  }
}
