/**
 * One batch size's prepared training step and forward pass: every activation,
 * gradient and scratch buffer, uniform and bind group made once, and the
 * dispatches in order (forward, loss, backward, optimizer), to be replayed by
 * one command encoder per step. The weights, gradients and optimizer slots
 * (one flat buffer each, shared by every batch size) are in `Parameters`.
 */
import { IMAGE_SIZE, NUM_CLASSES } from '../../data/shapes';
import { activationGrad } from './activation-grad';
import { adam } from './adam';
import { biasGrad, biasSplits } from './bias-grad';
import { convFilterGrad, filterSplits } from './conv-filter-grad';
import { convForward } from './conv-forward';
import { convInputGrad } from './conv-input-grad';
import { dropout } from './dropout';
import { Dispatch, Gpu, GpuBuffer, Slice, USAGE, alignFloats, whole } from './gpu';
import { matmul } from './matmul';
import { maxPool } from './max-pool';
import { maxPoolGrad } from './max-pool-grad';
import type { Node } from './plan';
import { sgd } from './sgd';
import { softmaxXent } from './softmax-xent';

/** Each trainable variable's place in the flat buffers: aligned, so that kernels can bind it alone. */
export interface Parameters {
  sizes: number[];
  /** Word offsets in the GPU buffers (multiples of ALIGN_FLOATS). */
  offsets: number[];
  /** Words in each GPU buffer. */
  total: number;
  weights: GpuBuffer;
  grads: GpuBuffer;
  /** Adam's m and v; none for SGD. */
  slots: GpuBuffer[];
  /** { rate, dropout key }, written every step. */
  step: GpuBuffer;
}

export function layoutOf(sizes: number[]): { offsets: number[]; total: number } {
  let total = 0;
  const offsets = sizes.map((s) => {
    const at = total;
    total += alignFloats(s);
    return at;
  });
  return { offsets, total };
}

const slice = (buffer: GpuBuffer, offset: number, length: number): Slice => ({ buffer, offset, length });

export class Network {
  /** The batch as it is uploaded: pixels, then (aligned) the one-hot labels. */
  readonly upload: Float32Array;
  readonly batchBuffer: GpuBuffer;
  private readonly labelsAt: number;
  /** out[0] the mean loss, out[1] the correct predictions. */
  readonly out: Slice;
  readonly readback: GpuBuffer;
  readonly train: Dispatch[];
  private evalDispatches?: Dispatch[];

  private readonly outputs: Slice[];
  private readonly extras: Slice[];
  private readonly dOutputs: Slice[];
  private readonly partials: Slice;

  constructor(
    private readonly gpu: Gpu,
    private readonly nodes: Node[],
    private readonly params: Parameters,
    readonly batch: number,
    private readonly optimizer: 'adam' | 'sgd',
    /** false: no dropout in training either (tests comparing engines). */
    private readonly withDropout = true,
  ) {
    const B = batch;
    this.labelsAt = alignFloats(B * IMAGE_SIZE);
    this.upload = new Float32Array(this.labelsAt + B * NUM_CLASSES);
    this.batchBuffer = gpu.storage(this.upload.length, 'batch');
    const act = (n: number, what: string) => whole(gpu.storage(B * n, what));
    this.outputs = nodes.map((n) => act(n.outSize, `${n.name} output`));
    // Pool: the argmax; dropout: the mask; others: their ReLU-gradient buffer.
    this.extras = nodes.map((n) => act(n.outSize, `${n.name} extra`));
    this.dOutputs = nodes.map((n) => act(n.outSize, `${n.name} output gradient`));
    this.partials = whole(gpu.storage(this.scratchWords(), 'partial sums'));
    this.out = whole(gpu.storage(4, 'loss'));
    this.readback = gpu.buffer(16, USAGE.MAP_READ | USAGE.COPY_DST, 'loss readback');
    const inputs: Slice[] = [];
    this.train = [...this.forward(withDropout, inputs), ...this.backward(inputs), this.update()];
  }

  get xs(): Slice {
    return slice(this.batchBuffer, 0, this.batch * IMAGE_SIZE);
  }

  get labels(): Slice {
    return slice(this.batchBuffer, this.labelsAt, this.batch * NUM_CLASSES);
  }

  /** The forward pass and loss without dropout, for accuracy. */
  get evaluation(): Dispatch[] {
    return (this.evalDispatches ??= this.forward(false, []));
  }

  /** Copies a batch into `upload` (what one writeBuffer sends). */
  fill(xs: Float32Array, ys: Float32Array): void {
    this.upload.set(xs.subarray(0, this.batch * IMAGE_SIZE), 0);
    this.upload.set(ys.subarray(0, this.batch * NUM_CLASSES), this.labelsAt);
  }

  private scratchWords(): number {
    let words = 1;
    for (const n of this.nodes) {
      if (n.kind === 'conv') {
        const filter = n.g.kH * n.g.kW * n.g.inC * n.g.outC;
        words = Math.max(words, filterSplits(n.g, this.batch) * filter);
        words = Math.max(words, biasSplits(this.batch * n.g.outH * n.g.outW) * n.g.outC);
      } else if (n.kind === 'dense') words = Math.max(words, biasSplits(this.batch) * n.outSize);
    }
    return words;
  }

  private param(buffer: GpuBuffer, index: number): Slice {
    return slice(buffer, this.params.offsets[index], this.params.sizes[index]);
  }

  /** Forward dispatches from the batch to the loss (`applyDropout`: with dropout); `inputs` gets each node's input. */
  private forward(applyDropout: boolean, inputs: Slice[]): Dispatch[] {
    const { gpu, batch: B, params } = this;
    const out: Dispatch[] = [];
    let x = this.xs;
    this.nodes.forEach((n, i) => {
      inputs.push(x);
      let y = this.outputs[i];
      if (n.kind === 'conv' || n.kind === 'dense') {
        const w = this.param(params.weights, n.weights.kernel);
        const bias = n.weights.bias === undefined ? undefined : this.param(params.weights, n.weights.bias);
        out.push(
          n.kind === 'conv'
            ? convForward(gpu, n.g, B, { x, w, bias, y }, n.relu)
            : matmul(gpu, { M: B, N: n.outSize, K: n.inSize }, { a: x, b: w, bias, y }, { relu: n.relu }),
        );
      } else if (n.kind === 'pool') out.push(maxPool(gpu, n.g, B, { x, y, argmax: this.extras[i] }));
      else if (applyDropout && n.rate > 0)
        out.push(dropout(gpu, B * n.outSize, n.rate, params.step, { x, y, mask: this.extras[i] }));
      else y = x;
      x = y;
    });
    const dlogits = this.dOutputs[this.nodes.length - 1];
    out.push(softmaxXent(gpu, B, NUM_CLASSES, { logits: x, labels: this.labels, dlogits, out: this.out }));
    return out;
  }

  private backward(inputs: Slice[]): Dispatch[] {
    const { gpu, batch: B, params } = this;
    const out: Dispatch[] = [];
    const firstWeighted = this.nodes.findIndex((n) => n.kind === 'conv' || n.kind === 'dense');
    for (let i = this.nodes.length - 1; i >= 0; i--) {
      const n = this.nodes[i];
      const dy = this.dOutputs[i];
      const dx = i > firstWeighted ? this.dOutputs[i - 1] : undefined;
      if (n.kind === 'conv' || n.kind === 'dense') {
        let dz = dy;
        if (n.relu) {
          dz = this.extras[i];
          out.push(activationGrad(gpu, B * n.outSize, { dy, y: this.outputs[i], dz }));
        }
        const w = this.param(params.weights, n.weights.kernel);
        const dw = this.param(params.grads, n.weights.kernel);
        const x = inputs[i];
        const rows = n.kind === 'conv' ? B * n.g.outH * n.g.outW : B;
        const channels = n.kind === 'conv' ? n.g.outC : n.outSize;
        if (n.kind === 'conv') {
          out.push(...convFilterGrad(gpu, n.g, B, { x, dy: dz, partials: this.partials, dw }));
          if (dx) out.push(convInputGrad(gpu, n.g, B, { dy: dz, w, dx }));
        } else {
          out.push(matmul(gpu, { M: n.inSize, N: n.outSize, K: B }, { a: x, b: dz, y: dw }, { transA: true }));
          if (dx) out.push(matmul(gpu, { M: B, N: n.inSize, K: n.outSize }, { a: dz, b: w, y: dx }, { transB: true }));
        }
        if (n.weights.bias !== undefined) {
          const db = this.param(params.grads, n.weights.bias);
          out.push(...biasGrad(gpu, rows, channels, { dy: dz, partials: this.partials, db }));
        }
      } else if (dx && n.kind === 'pool') out.push(maxPoolGrad(gpu, n.g, B, { dy, argmax: this.extras[i], dx }));
      else if (dx && n.kind === 'dropout')
        out.push(
          activationGrad(
            gpu,
            B * n.outSize,
            this.withDropout && n.rate > 0 ? { dy, mask: this.extras[i], dz: dx } : { dy, dz: dx },
          ),
        );
      if (!dx) break;
    }
    return out;
  }

  private update(): Dispatch {
    const { gpu, params } = this;
    const all = (b: GpuBuffer) => slice(b, 0, params.total);
    if (this.optimizer === 'sgd')
      return sgd(gpu, params.total, params.step, { w: all(params.weights), g: all(params.grads) });
    const [m, v] = params.slots;
    return adam(gpu, params.total, params.step, { w: all(params.weights), m: all(m), v: all(v), g: all(params.grads) });
  }
}
