/**
 * A small typed front over the graph addon: unique op names, constants,
 * placeholders and resource variables, and errors that name the op.
 */
import { UserError } from '../../errors';
import { Attr, DT, DataType, GraphApi, GraphHandle, OpHandle, Output, TensorValue } from '../../native/graph-api';

export type Input = Output | readonly Output[];

/** A resource variable: its handle, one read of it, and an assignment fed from `value`. */
export interface GraphVariable {
  name: string;
  dtype: DataType;
  shape: number[];
  handle: Output;
  read: Output;
  value: Output;
  assign: OpHandle;
}

export class GraphBuilder {
  readonly graph: GraphHandle;
  private readonly used = new Map<string, number>();

  constructor(readonly api: GraphApi) {
    this.graph = api.graph();
  }

  /** A fresh name: `base`, then `base_1`, `base_2`, … */
  private name(base: string): string {
    const n = this.used.get(base) ?? 0;
    this.used.set(base, n + 1);
    return n === 0 ? base : `${base}_${n}`;
  }

  /** Adds an operation; TensorFlow's rejection becomes one line naming the op. */
  opHandle(type: string, inputs: readonly Input[], attrs: readonly Attr[] = [], control: OpHandle[] = [], name = type) {
    try {
      return this.api.op(this.graph, type, this.name(name), inputs, attrs, control);
    } catch (err) {
      const first = (err instanceof Error ? err.message : String(err)).split('\n')[0].split('; NodeDef')[0];
      throw new UserError(`the training graph: TensorFlow rejected op ${first}`);
    }
  }

  /** Adds an operation and returns its first output. */
  op(type: string, inputs: readonly Input[], attrs: readonly Attr[] = [], control: OpHandle[] = [], name = type) {
    return [this.opHandle(type, inputs, attrs, control, name), 0] as const satisfies Output;
  }

  output(op: OpHandle, index: number): Output {
    return [op, index];
  }

  constant(value: TensorValue, name = 'Const'): Output {
    return this.op(
      'Const',
      [],
      [
        ['dtype', 'type', value[0]],
        ['value', 'tensor', value],
      ],
      [],
      name,
    );
  }

  scalar(v: number): Output {
    return this.constant([DT.float, [], new Float32Array([v])]);
  }

  ints(values: readonly number[]): Output {
    return this.constant([DT.int32, [values.length], new Int32Array(values)]);
  }

  int32(v: number): Output {
    return this.constant([DT.int32, [], new Int32Array([v])]);
  }

  int64(v: number): Output {
    return this.constant([DT.int64, [], new BigInt64Array([BigInt(v)])]);
  }

  placeholder(dtype: DataType, shape: readonly number[], name = 'Placeholder'): Output {
    return this.op(
      'Placeholder',
      [],
      [
        ['dtype', 'type', dtype],
        ['shape', 'shape', shape],
      ],
      [],
      name,
    );
  }

  /** `shape` as the variable holds it; `name` is also its shared name (unique in the session). */
  variable(base: string, dtype: DataType, shape: number[]): GraphVariable {
    const name = this.name(base);
    const handle = this.op(
      'VarHandleOp',
      [],
      [
        ['dtype', 'type', dtype],
        ['shape', 'shape', shape],
        ['shared_name', 'string', name],
      ],
      [],
      name,
    );
    const read = this.op('ReadVariableOp', [handle], [['dtype', 'type', dtype]], [], `${name}/read`);
    const value = this.placeholder(dtype, shape, `${name}/value`);
    const assign = this.opHandle('AssignVariableOp', [handle, value], [['dtype', 'type', dtype]], [], `${name}/assign`);
    return { name, dtype, shape, handle, read, value, assign };
  }

  /** Another read of `v` (a read per use keeps each use ordered by its own inputs). */
  read(v: GraphVariable): Output {
    return this.op('ReadVariableOp', [v.handle], [['dtype', 'type', v.dtype]], [], `${v.name}/read`);
  }
}

/** The float op helpers used by the layers and the optimizer. */
export const f32: Attr = ['T', 'type', DT.float];

const elements = (v: GraphVariable) => v.shape.reduce((a, b) => a * b, 1);

/** How many floats `vars` hold together (their length as one flat array). */
export function flatSize(vars: GraphVariable[]): number {
  return vars.reduce((n, v) => n + elements(v), 0);
}

/** Feeds for the assignments of `vars` from one flat array in their order (a checkpoint's, or the model's). */
export function feedsFrom(vars: GraphVariable[], flat: Float32Array): [Output, TensorValue][] {
  let offset = 0;
  return vars.map((v) => {
    const part = flat.slice(offset, offset + elements(v));
    offset += part.length;
    return [v.value, [DT.float, v.shape, part]];
  });
}
