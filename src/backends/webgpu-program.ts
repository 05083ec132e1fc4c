/**
 * What our WebGPU kernels hand TF.js's WebGPU backend: a program (its
 * WebGPUProgram), its uniforms, and the backend's method that runs it (its
 * class drags in the WebGPU DOM types, so only the methods used are named).
 */
import type { DataType, TensorInfo } from '@tensorflow/tfjs';
import type { WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';

export interface Uniform {
  type: 'int32' | 'float32';
  data: number[];
}

export interface WebGpuBackend {
  runWebGPUProgram(program: WebGPUProgram, inputs: TensorInfo[], dtype: DataType, uniforms?: Uniform[]): TensorInfo;
  disposeData(dataId: object): void;
}
