/**
 * One training step traced by TensorFlow itself: RunOptions with trace_level FULL_TRACE in,
 * RunMetadata's step stats out (tensorflow/core/protobuf/config.proto, framework/step_stats.proto).
 * Only the fields a per-op profile needs are declared; protobufjs skips the rest.
 */
import { Root } from 'protobufjs/light';

const field = (type: string, id: number, repeated = false) => ({ type, id, ...(repeated && { rule: 'repeated' }) });

const root = Root.fromJSON({
  nested: {
    RunOptions: { fields: { traceLevel: field('int32', 1) } },
    RunMetadata: { fields: { stepStats: field('StepStats', 1) } },
    StepStats: { fields: { devStats: field('DeviceStepStats', 1, true) } },
    DeviceStepStats: { fields: { device: field('string', 1), nodeStats: field('NodeExecStats', 2, true) } },
    NodeExecStats: {
      fields: {
        nodeName: field('string', 1),
        allStartMicros: field('int64', 2),
        opStartRelMicros: field('int64', 3),
        opEndRelMicros: field('int64', 4),
        timelineLabel: field('string', 8),
        allStartNanos: field('int64', 13),
        opStartRelNanos: field('int64', 14),
        opEndRelNanos: field('int64', 15),
      },
    },
  },
});

/** RunOptions.TraceLevel.FULL_TRACE. */
const FULL_TRACE = 3;

/** A serialized RunOptions that asks for step stats. */
export const traceRunOptions = (): Uint8Array =>
  root.lookupType('RunOptions').encode({ traceLevel: FULL_TRACE }).finish();

/** One op's execution in a traced step. */
export interface OpTime {
  /** The node's name in the graph (ours, or the gradient's under `gradients/`). */
  node: string;
  /** The kernel TensorFlow ran: the op type after its graph rewrites (`_MklNativeConv2D` with oneDNN). */
  kernel: string;
  /** The op's own compute time. */
  micros: number;
}

interface NodeStats {
  nodeName?: string;
  opStartRelMicros?: number | Long;
  opEndRelMicros?: number | Long;
  opStartRelNanos?: number | Long;
  opEndRelNanos?: number | Long;
  timelineLabel?: string;
}
type Long = { toNumber(): number };
const num = (v: number | Long | undefined) => (v === undefined ? 0 : typeof v === 'number' ? v : v.toNumber());

/** The label reads `[allocator …] name = Kernel(inputs)`; a node without one is named for its kernel. */
function kernelOf(stats: NodeStats): string {
  const m = / = ([\w.]+)\(/.exec(stats.timelineLabel ?? '');
  return m ? m[1] : (stats.nodeName ?? '?');
}

/** Each op's time from a serialized RunMetadata (nanoseconds where TensorFlow gives them). */
export function opTimes(runMetadata: Uint8Array): OpTime[] {
  const meta = root.lookupType('RunMetadata').toObject(root.lookupType('RunMetadata').decode(runMetadata)) as {
    stepStats?: { devStats?: { nodeStats?: NodeStats[] }[] };
  };
  return (meta.stepStats?.devStats ?? []).flatMap((d) =>
    (d.nodeStats ?? []).map((s) => {
      const nanos = num(s.opEndRelNanos) - num(s.opStartRelNanos);
      return {
        node: s.nodeName ?? '',
        kernel: kernelOf(s),
        micros: nanos > 0 ? nanos / 1000 : num(s.opEndRelMicros) - num(s.opStartRelMicros),
      };
    }),
  );
}
