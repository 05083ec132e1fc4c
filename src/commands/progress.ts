import { SingleBar } from 'cli-progress';
import type { Progress } from '../data/download';

/** A byte progress bar on stderr when it is a TTY; undefined (quiet) otherwise. */
export function byteProgress(stream: NodeJS.WriteStream = process.stderr): Progress | undefined {
  if (!stream.isTTY) return undefined;
  let bar: SingleBar | undefined;
  let started = 0;
  return {
    start(file, total) {
      started = Date.now();
      bar = new SingleBar({
        stream,
        format: `${file.split('/').pop()} [{bar}] {percentage}% {mb} MB {rate} MB/s ETA {eta}s`,
        hideCursor: true,
      });
      bar.start(total ?? 0, 0, { mb: '0.0', rate: '0.0' });
    },
    update(received) {
      const secs = Math.max((Date.now() - started) / 1000, 1e-3);
      bar?.update(received, { mb: (received / 1e6).toFixed(1), rate: (received / 1e6 / secs).toFixed(1) });
    },
    stop() {
      bar?.stop();
      bar = undefined;
    },
  };
}
