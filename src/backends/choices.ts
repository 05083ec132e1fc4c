/** Backend names, kept apart from index.ts so the CLI can list them without loading TensorFlow.js. */
export const BACKEND_CHOICES = ['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu'] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];
export type BackendName = Exclude<BackendChoice, 'auto'>;

/** Backends that use the whole machine by themselves (all cores, or a GPU): no worker threads for them. */
export const runsOwnParallelism = (backend: BackendName): boolean => backend === 'tensorflow' || backend === 'webgpu';
