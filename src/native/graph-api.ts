/**
 * The graph addon's interface (addon/graph/graph.cc), typed, and its loading.
 * TensorFlow's C API for graphs: ops with typed attributes, symbolic
 * gradients, sessions, and runs on libuv's thread pool.
 */
import { errorMessage } from '../errors';
import { graphAddonPath } from './layout';

/** TF_DataType values the engine uses. */
export const DT = { float: 1, int32: 3, int64: 9, bool: 10 } as const;
export type DataType = (typeof DT)[keyof typeof DT];

declare const handle: unique symbol;
export type GraphHandle = { readonly [handle]: 'graph' };
export type OpHandle = { readonly [handle]: 'op' };
export type SessionHandle = { readonly [handle]: 'session' };
/** One output of an operation: [operation, index]. */
export type Output = readonly [OpHandle, number];

export type TensorData = Float32Array | Int32Array | Float64Array | Uint8Array;
/** [dtype, dims, data]; int64 data is passed as a BigInt64Array. */
export type TensorValue = readonly [DataType, readonly number[], TensorData | BigInt64Array];

export type Attr =
  | readonly [string, 'int', number]
  | readonly [string, 'float', number]
  | readonly [string, 'bool', boolean]
  | readonly [string, 'type', DataType]
  | readonly [string, 'string', string]
  | readonly [string, 'shape', readonly number[]]
  | readonly [string, 'ints', readonly number[]]
  | readonly [string, 'tensor', TensorValue];

export interface GraphApi {
  readonly tensorflowVersion: string;
  graph(): GraphHandle;
  op(
    graph: GraphHandle,
    type: string,
    name: string,
    inputs: readonly (Output | readonly Output[])[],
    attrs: readonly Attr[],
    controlInputs: readonly OpHandle[],
  ): OpHandle;
  /** d(sum of ys)/d(x) for each x. */
  gradients(graph: GraphHandle, ys: readonly Output[], xs: readonly Output[]): Output[];
  /** `config`: a serialized tensorflow.ConfigProto. */
  session(graph: GraphHandle, config: Uint8Array): SessionHandle;
  closeSession(session: SessionHandle): void;
  /**
   * Fetched tensors come back as typed arrays (int64 as Float64Array). With `runOptions` (a serialized
   * tensorflow.RunOptions), one more element follows them: the serialized RunMetadata.
   */
  run(
    session: SessionHandle,
    feeds: readonly (readonly [Output, TensorValue])[],
    fetches: readonly Output[],
    targets: readonly OpHandle[],
    runOptions?: Uint8Array,
  ): Promise<TensorData[]>;
  /** Whether TensorFlow runs its oneDNN kernels here, and whether it would without TF_ENABLE_ONEDNN_OPTS (absent: unknown). */
  oneDnn(): { enabled?: boolean; tensorflowDefault?: boolean };
  /** The graph as a serialized tensorflow.GraphDef (TF_GraphToGraphDef). */
  graphDef(graph: GraphHandle): Uint8Array;
}

let loaded: { api?: GraphApi; why?: string } | undefined;

/**
 * The addon, loaded once; undefined with the reason when `native` did not
 * build it or it does not load. Load it after the tensorflow backend, whose
 * loader opens TensorFlow's libraries quietly.
 */
export function loadGraphApi(): { api?: GraphApi; why?: string } {
  if (loaded) return loaded;
  const file = graphAddonPath();
  if (!file) return (loaded = { why: 'the graph addon is not built (run `npx mnist-deep native`)' });
  try {
    loaded = { api: require(file) as GraphApi };
  } catch (err) {
    loaded = { why: `the graph addon does not load: ${errorMessage(err).split('\n')[0]}` };
  }
  return loaded;
}
