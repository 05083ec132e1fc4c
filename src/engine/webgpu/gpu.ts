/**
 * The little of WebGPU the step engine uses, typed here (the project does not
 * depend on @webgpu/types), and a helper that owns every buffer and pipeline
 * the engine creates: pipelines compiled once per kernel source, buffers
 * created once and destroyed together, uniforms written once at creation.
 */

export interface GpuBuffer {
  readonly size: number;
  mapAsync(mode: number): Promise<void>;
  getMappedRange(offset?: number, size?: number): ArrayBuffer;
  unmap(): void;
  destroy(): void;
}
export type GpuBindGroup = object;
interface GpuBindGroupLayout {
  readonly label?: string;
}
export interface GpuComputePipeline {
  getBindGroupLayout(index: number): GpuBindGroupLayout;
}
interface GpuComputePass {
  setPipeline(p: GpuComputePipeline): void;
  setBindGroup(index: number, group: GpuBindGroup): void;
  dispatchWorkgroups(x: number, y?: number, z?: number): void;
  end(): void;
}
export interface GpuCommandEncoder {
  beginComputePass(): GpuComputePass;
  copyBufferToBuffer(src: GpuBuffer, srcOffset: number, dst: GpuBuffer, dstOffset: number, size: number): void;
  finish(): object;
}
export interface GpuDevice {
  readonly queue: {
    writeBuffer(buffer: GpuBuffer, offset: number, data: ArrayBufferView, dataOffset?: number, size?: number): void;
    submit(commands: object[]): void;
    onSubmittedWorkDone(): Promise<void>;
  };
  readonly limits: Record<string, number>;
  createBuffer(d: { size: number; usage: number; label?: string }): GpuBuffer;
  createShaderModule(d: { code: string; label?: string }): object;
  createComputePipeline(d: {
    layout: 'auto';
    compute: { module: object; entryPoint: string };
    label?: string;
  }): GpuComputePipeline;
  createBindGroup(d: {
    layout: GpuBindGroupLayout;
    entries: { binding: number; resource: { buffer: GpuBuffer; offset?: number; size?: number } }[];
  }): GpuBindGroup;
  createCommandEncoder(): GpuCommandEncoder;
  pushErrorScope(filter: 'validation' | 'out-of-memory' | 'internal'): void;
  popErrorScope(): Promise<{ message: string } | null>;
}

/** WebGPU's usage and map-mode flags (the spec's values). */
export const USAGE = { MAP_READ: 0x1, COPY_SRC: 0x4, COPY_DST: 0x8, UNIFORM: 0x40, STORAGE: 0x80 } as const;
const MAP_READ_MODE = 0x1;

/** Bytes between bound sub-ranges of a buffer: the largest minStorageBufferOffsetAlignment WebGPU allows. */
export const ALIGN_BYTES = 256;
export const ALIGN_FLOATS = ALIGN_BYTES / 4;
export const alignFloats = (n: number): number => Math.ceil(n / ALIGN_FLOATS) * ALIGN_FLOATS;

/** A sub-range of a buffer, in floats (4-byte words), as a kernel binds it. */
export interface Slice {
  buffer: GpuBuffer;
  /** First word; a multiple of ALIGN_FLOATS. */
  offset: number;
  length: number;
}

export const whole = (buffer: GpuBuffer): Slice => ({ buffer, offset: 0, length: buffer.size / 4 });

/** One recorded dispatch: a pipeline, its bind group and its grid. */
export interface Dispatch {
  pipeline: GpuComputePipeline;
  group: GpuBindGroup;
  grid: [number, number, number];
}

/** A uniform's fields: u32 unless named in `floats`. */
export type UniformValues = Record<string, number>;

/** `values` in order as 32-bit words (u32, or f32 for the keys in `floats`), padded to 16 bytes. */
function packUniform(values: UniformValues, floats: string[]): Uint32Array {
  const keys = Object.keys(values);
  const u32 = new Uint32Array(Math.ceil(Math.max(1, keys.length) / 4) * 4);
  const f32 = new Float32Array(u32.buffer);
  keys.forEach((k, i) => {
    if (floats.includes(k)) f32[i] = values[k];
    else u32[i] = values[k] >>> 0;
  });
  return u32;
}

export class Gpu {
  private readonly buffers: GpuBuffer[] = [];
  private readonly pipelines = new Map<string, GpuComputePipeline>();

  constructor(readonly device: GpuDevice) {}

  /** A storage buffer of `words` 4-byte words (at least one), zero-filled. */
  storage(words: number, label?: string): GpuBuffer {
    return this.buffer(Math.max(1, words) * 4, USAGE.STORAGE | USAGE.COPY_SRC | USAGE.COPY_DST, label);
  }

  buffer(bytes: number, usage: number, label?: string): GpuBuffer {
    const b = this.device.createBuffer({ size: Math.ceil(bytes / 16) * 16, usage, label });
    this.buffers.push(b);
    return b;
  }

  /** A uniform buffer holding `values` in order (u32, or f32 for the keys in `floats`), written now. */
  uniform(values: UniformValues, floats: string[] = []): GpuBuffer {
    const words = packUniform(values, floats);
    const b = this.buffer(words.byteLength, USAGE.UNIFORM | USAGE.COPY_DST);
    this.device.queue.writeBuffer(b, 0, words);
    return b;
  }

  /** Rewrites a buffer made by `uniform` with new values of the same keys. */
  writeUniform(buffer: GpuBuffer, values: UniformValues, floats: string[] = []): void {
    this.device.queue.writeBuffer(buffer, 0, packUniform(values, floats));
  }

  /** The pipeline of a WGSL source (entry point `main`), compiled once. */
  pipeline(code: string, label: string): GpuComputePipeline {
    let p = this.pipelines.get(code);
    if (!p) {
      const module = this.device.createShaderModule({ code, label });
      p = this.device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' }, label });
      this.pipelines.set(code, p);
    }
    return p;
  }

  /** A dispatch of `code` over `grid` workgroups, with bindings 0, 1, … in order. */
  dispatch(code: string, label: string, bindings: (GpuBuffer | Slice)[], grid: [number, number, number]): Dispatch {
    const pipeline = this.pipeline(code, label);
    const entries = bindings.map((b, binding) => {
      const s = 'buffer' in b ? b : { buffer: b, offset: 0, length: b.size / 4 };
      return { binding, resource: { buffer: s.buffer, offset: s.offset * 4, size: s.length * 4 } };
    });
    const group = this.device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries });
    return { pipeline, group, grid };
  }

  /** Records `dispatches` in one compute pass of `encoder`. */
  static record(encoder: GpuCommandEncoder, dispatches: Dispatch[]): void {
    const pass = encoder.beginComputePass();
    for (const d of dispatches) {
      pass.setPipeline(d.pipeline);
      pass.setBindGroup(0, d.group);
      pass.dispatchWorkgroups(...d.grid);
    }
    pass.end();
  }

  /** Copies `slice` back to JavaScript (after everything queued so far). */
  async read(slice: Slice): Promise<Float32Array> {
    const staging = this.device.createBuffer({ size: slice.length * 4, usage: USAGE.MAP_READ | USAGE.COPY_DST });
    try {
      const encoder = this.device.createCommandEncoder();
      encoder.copyBufferToBuffer(slice.buffer, slice.offset * 4, staging, 0, slice.length * 4);
      this.device.queue.submit([encoder.finish()]);
      await staging.mapAsync(MAP_READ_MODE);
      return new Float32Array(staging.getMappedRange().slice(0));
    } finally {
      staging.destroy();
    }
  }

  destroy(): void {
    for (const b of this.buffers) b.destroy();
    this.buffers.length = 0;
  }
}

/** Workgroups for `n` threads of `size`, as (x, y) under WebGPU's 65,535 per dimension. */
export function grid1d(n: number, size: number): [number, number, number] {
  const groups = Math.max(1, Math.ceil(n / size));
  if (groups <= 65535) return [groups, 1, 1];
  return [65535, Math.ceil(groups / 65535), 1];
}
