/**
 * The engine contract (contract.test.ts) for the tensor and step engines on webgpu, in a
 * process of its own: a GPU's adapter where there is one, else Dawn's software
 * adapter, else it skips saying why.
 */
process.env.MNIST_DEEP_CONTRACT = 'webgpu';
require('./contract.test');
