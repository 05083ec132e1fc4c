/**
 * What a run does with its validations (`--keep best`, `--early-stop P`): it
 * remembers the best validation accuracy and its step, writes that step's
 * weights atomically beside the checkpoint, counts the validations since the
 * best one, and says when patience has run out. Its state goes into each
 * checkpoint, so that a resumed run goes on with the same best and count.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TrainingEngine } from '../engine/types';
import { UserError } from '../errors';
import { writeFileAtomic } from '../fs/atomic';
import { BEST_WEIGHTS_FILE } from '../run-files';
import type { KeepChoice, ValidationLog } from '../run-types';

/** What a checkpoint keeps of the validations seen. */
export interface WatchState {
  best?: { step: number; validationAccuracy: number };
  /** Validations since the best one (the early-stopping count). */
  sinceBest: number;
}

export interface WatchSettings {
  keep?: KeepChoice;
  earlyStop?: number;
  saveDir: string;
}

export class ValidationWatch {
  private state: WatchState;

  constructor(
    private readonly s: WatchSettings,
    from?: WatchState,
  ) {
    this.state = from ? { ...from } : { sinceBest: 0 };
  }

  get current(): WatchState {
    return { ...this.state };
  }

  /** Takes a validation in; 'stop' when it is the P-th in a row without a better accuracy. */
  async seen(v: ValidationLog, engine: TrainingEngine): Promise<'stop' | undefined> {
    const best = this.state.best;
    if (!best || v.validationAccuracy > best.validationAccuracy) {
      this.state = { best: { step: v.step, validationAccuracy: v.validationAccuracy }, sinceBest: 0 };
      if (this.s.keep === 'best') {
        const { weights } = await engine.exportState();
        writeFileAtomic(
          join(this.s.saveDir, BEST_WEIGHTS_FILE),
          Buffer.from(weights.buffer, weights.byteOffset, weights.byteLength),
        );
      }
      return undefined;
    }
    this.state.sinceBest++;
    return this.s.earlyStop !== undefined && this.state.sinceBest >= this.s.earlyStop ? 'stop' : undefined;
  }

  /** `--keep best`: the kept weights, checked against the model's size; undefined when none were kept. */
  bestWeights(size: number): Float32Array | undefined {
    if (this.s.keep !== 'best' || !this.state.best) return undefined;
    const file = join(this.s.saveDir, BEST_WEIGHTS_FILE);
    let bytes: Buffer;
    try {
      bytes = readFileSync(file);
    } catch (err) {
      throw new UserError(`${file}: cannot read the best step's weights (${(err as Error).message})`);
    }
    if (bytes.length !== size * 4)
      throw new UserError(`${file}: ${bytes.length} bytes, but the model has ${size} weights (${size * 4} bytes)`);
    return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
  }
}
