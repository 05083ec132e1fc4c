/**
 * The tensor engine: weights and optimizer state stay tfjs variables on the
 * backend (TensorFlow's memory on tensorflow), updated by a few tensor ops per
 * variable; nothing is copied to JavaScript but the loss. Only tfjs' public ops
 * are used, so it runs on any backend that has the gradients.
 *
 * Adam is TF 1's AdamOptimizer, as the flat engine's: lr_t = lr·√(1-β₂ᵗ)/(1-β₁ᵗ),
 * w -= lr_t·m/(√v + ε). (tf.train.adam adds ε after the bias correction, a
 * different formula; hence our own ops.)
 */
import type * as tfl from '@tensorflow/tfjs';
import { loadTf } from '../backends/tf';
import { adamOnWebGpu } from '../backends/webgpu-kernels';
import type { Batch } from '../data/batches';
import { IMAGE_SIZE, NUM_CLASSES } from '../data/shapes';
import { crossEntropy } from '../models';
import { ADAM, adamStepSize, learningRateAt, slotCount } from '../optim';
import { withDropoutSeeds } from './dropout-seed';
import { checkStateFits, parameterCount, setFlatWeights, trainableVariables } from './replica';
import type { EngineOptions, EngineState, StepResult, TrainingEngine } from './types';

const { beta1: BETA1, beta2: BETA2, epsilon: EPSILON } = ADAM;

/** The variables' values, concatenated in order, read from the backend asynchronously. */
async function flatData(vars: tfl.Variable[]): Promise<Float32Array> {
  const out = new Float32Array(parameterCount(vars));
  let offset = 0;
  for (const v of vars) {
    out.set((await v.data()) as Float32Array, offset);
    offset += v.size;
  }
  return out;
}

export class TensorEngine implements TrainingEngine {
  readonly kind = 'tensor';
  readonly threads = 1;
  private readonly vars: tfl.Variable[];
  /** Adam: [first moments, second moments], one variable per weight variable; SGD: none. */
  private readonly slots: tfl.Variable[][];
  /** Kept scalars, so that each step does not upload the same constants again. */
  private readonly constants: Record<'beta1' | 'oneMinusBeta1' | 'beta2' | 'oneMinusBeta2' | 'epsilon', tfl.Scalar>;
  private optimizerStep: number;

  constructor(
    readonly model: tfl.LayersModel,
    private readonly options: EngineOptions,
    initial?: EngineState,
  ) {
    const tf = loadTf();
    this.vars = trainableVariables(model);
    const size = parameterCount(this.vars);
    const slots = slotCount(options.optimizer);
    if (initial) {
      checkStateFits(initial, size, slots, options.model);
      setFlatWeights(this.vars, initial.weights);
    }
    this.slots = Array.from({ length: slots }, (_, k) => {
      let offset = 0;
      return this.vars.map((v) => {
        const from = initial?.optimizer.slots[k];
        const value = tf.tidy(() =>
          from ? tf.tensor(from.subarray(offset, offset + v.size), v.shape) : tf.zerosLike(v),
        );
        offset += v.size;
        const slot = tf.variable(value, false);
        value.dispose();
        return slot;
      });
    });
    this.constants = {
      beta1: tf.scalar(BETA1),
      oneMinusBeta1: tf.scalar(1 - BETA1),
      beta2: tf.scalar(BETA2),
      oneMinusBeta2: tf.scalar(1 - BETA2),
      epsilon: tf.scalar(EPSILON),
    };
    this.optimizerStep = initial?.optimizer.step ?? 0;
  }

  async step(batch: Batch, step: number): Promise<StepResult> {
    const tf = loadTf();
    const lr = learningRateAt(this.options, this.optimizerStep);
    const t = this.optimizerStep + 1;
    const loss = withDropoutSeeds(this.model, { seed: this.options.seed, step, thread: 0 }, () =>
      tf.tidy(() => {
        const x = tf.tensor2d(batch.xs, [batch.size, IMAGE_SIZE]);
        const y = tf.tensor2d(batch.ys, [batch.size, NUM_CLASSES]);
        const training = this.options.dropout !== false;
        const { value, grads } = tf.variableGrads(
          () => crossEntropy(y, this.model.apply(x, { training }) as tfl.Tensor),
          this.vars,
        );
        if (this.options.optimizer === 'adam') this.adam(grads, lr, t);
        else this.sgd(grads, lr);
        return value;
      }),
    );
    this.optimizerStep = t;
    try {
      return { loss: (await loss.data())[0] };
    } finally {
      loss.dispose();
    }
  }

  private sgd(grads: tfl.NamedTensorMap, lr: number): void {
    const tf = loadTf();
    const rate = tf.scalar(lr);
    for (const w of this.vars) w.assign(w.sub(grads[w.name].mul(rate)));
  }

  private adam(grads: tfl.NamedTensorMap, lr: number, t: number): void {
    const tf = loadTf();
    const c = this.constants;
    const rateValue = adamStepSize(lr, t);
    const [ms, vs] = this.slots;
    // On webgpu: three fused kernels per variable instead of a dozen (see backends/webgpu-kernels.ts).
    if (adamOnWebGpu(this.vars, grads, ms, vs, rateValue, BETA1, BETA2, EPSILON)) return;
    const rate = tf.scalar(rateValue);
    this.vars.forEach((w, i) => {
      const g = grads[w.name];
      const m = ms[i].mul(c.beta1).add(g.mul(c.oneMinusBeta1));
      const v = vs[i].mul(c.beta2).add(g.square().mul(c.oneMinusBeta2));
      ms[i].assign(m);
      vs[i].assign(v);
      w.assign(w.sub(m.mul(rate).div(v.sqrt().add(c.epsilon))));
    });
  }

  async exportState(): Promise<EngineState> {
    return {
      weights: await flatData(this.vars),
      optimizer: {
        name: this.options.optimizer,
        step: this.optimizerStep,
        slots: await Promise.all(this.slots.map(flatData)),
      },
    };
  }

  async close(): Promise<void> {
    for (const slot of this.slots.flat()) slot.dispose();
    for (const c of Object.values(this.constants)) c.dispose();
  }
}
