/** Model names, apart from the builders so the CLI can list them without loading TensorFlow.js. */
export const MODEL_NAMES = ['softmax', 'cnn'] as const;
export type ModelName = (typeof MODEL_NAMES)[number];
