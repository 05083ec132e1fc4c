/**
 * Run by npm when the package is installed (and, in a clone, after it is
 * built): sets the native backend up as `mnist-deep native` does, the way
 * tfjs-node's own install fetched libtensorflow. It never fails the install:
 * without Python, pip, a compiler or the network, or with MNIST_DEEP_NATIVE=0,
 * it says why in one line and training uses wasm.
 */
import { nativeDisabled } from '../backends';
import { errorMessage } from '../errors';
import { statusLine } from '../terminal/status';
import { runNative } from './native';

const LATER = 'training will use wasm (about 5× slower); set it up later with `npx mnist-deep native`';

export async function runInstallSetup(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const skip = (why: string): void => {
    statusLine().print(process.stderr, `mnist-deep: native backend not set up (${why}); ${LATER}`);
  };
  if (nativeDisabled(env)) return skip('MNIST_DEEP_NATIVE=0');
  if (process.platform !== 'linux') return skip(`no TensorFlow wheel for ${process.platform} here`);
  statusLine().print(
    process.stderr,
    'mnist-deep: setting up the native tensorflow backend (MNIST_DEEP_NATIVE=0 skips this)',
  );
  try {
    await runNative({});
  } catch (err) {
    skip(errorMessage(err).split('\n')[0]);
  }
}
