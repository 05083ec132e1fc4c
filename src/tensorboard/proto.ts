/**
 * The part of TensorFlow's `Event` protobuf (tensorflow/core/util/event.proto, summary.proto,
 * tensor.proto) that our event files use, encoded and decoded with protobufjs from a JSON
 * descriptor: the field numbers and oneofs below are TensorFlow's, the names protobufjs's
 * camelCase. The messages are proto3: a zero step or wall time is left out, as TensorFlow does;
 * the oneofs give their members presence, so that a scalar of exactly 0 is still written.
 */
import { Root } from 'protobufjs/light';

/** DataType.DT_STRING in tensorflow/core/framework/types.proto. */
export const DT_STRING = 7;

const field = (type: string, id: number, repeated = false) => ({ type, id, ...(repeated && { rule: 'repeated' }) });

const root = Root.fromJSON({
  nested: {
    Event: {
      fields: {
        wallTime: field('double', 1),
        step: field('int64', 2),
        fileVersion: field('string', 3),
        summary: field('Summary', 5),
      },
      oneofs: { what: { oneof: ['fileVersion', 'summary'] } },
    },
    Summary: {
      fields: { value: field('Value', 1, true) },
      nested: {
        Value: {
          fields: {
            tag: field('string', 1),
            simpleValue: field('float', 2),
            image: field('Image', 4),
            tensor: field('TensorProto', 8),
            metadata: field('SummaryMetadata', 9),
          },
          oneofs: { value: { oneof: ['simpleValue', 'image', 'tensor'] } },
        },
        Image: {
          fields: {
            height: field('int32', 1),
            width: field('int32', 2),
            colorspace: field('int32', 3),
            encodedImageString: field('bytes', 4),
          },
        },
      },
    },
    TensorProto: {
      fields: {
        dtype: field('int32', 1),
        tensorShape: field('TensorShapeProto', 2),
        stringVal: field('bytes', 8, true),
      },
    },
    TensorShapeProto: {
      fields: { dim: field('Dim', 2, true) },
      nested: { Dim: { fields: { size: field('int64', 1), name: field('string', 2) } } },
    },
    SummaryMetadata: {
      fields: {
        pluginData: field('PluginData', 1),
        displayName: field('string', 2),
        summaryDescription: field('string', 3),
      },
      nested: { PluginData: { fields: { pluginName: field('string', 1), content: field('bytes', 2) } } },
    },
  },
});
const EventType = root.lookupType('Event');

export interface SummaryMetadata {
  pluginData?: { pluginName: string; content?: Uint8Array };
  displayName?: string;
  summaryDescription?: string;
}

export interface ImageSummary {
  height: number;
  width: number;
  /** 1 grey, 3 RGB, 4 RGBA. */
  colorspace: number;
  encodedImageString: Uint8Array;
}

export interface TensorSummary {
  dtype: number;
  tensorShape?: { dim?: Array<{ size: number }> };
  stringVal?: Uint8Array[];
}

export interface SummaryValue {
  tag: string;
  simpleValue?: number;
  image?: ImageSummary;
  tensor?: TensorSummary;
  metadata?: SummaryMetadata;
}

export interface TfEvent {
  /** Seconds since the epoch. */
  wallTime: number;
  step?: number;
  fileVersion?: string;
  summary?: { value?: SummaryValue[] };
}

export function encodeEvent(event: TfEvent): Uint8Array {
  return EventType.encode(EventType.fromObject(event)).finish();
}

/** An event decoded (int64 steps as numbers, a missing step 0); throws on bytes that are not an Event. */
export function decodeEvent(bytes: Uint8Array): TfEvent & { step: number } {
  const object = EventType.toObject(EventType.decode(bytes), { longs: Number });
  return { wallTime: 0, step: 0, ...object };
}
