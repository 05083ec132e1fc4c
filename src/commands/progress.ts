import type { Progress } from '../data/download';
import { formatBytes } from '../terminal/progress';
import { RateEstimator, formatDuration } from '../terminal/eta';
import { StatusLine, statusLine } from '../terminal/status';

/** A byte counter for downloads on the status line (stderr, terminals only); undefined (quiet) otherwise. */
export function byteProgress(status: StatusLine = statusLine()): Progress | undefined {
  if (!status.enabled) return undefined;
  let name = '';
  let size: number | undefined;
  let rate: RateEstimator | undefined;
  return {
    start(file, total) {
      name = file.split('/').pop() ?? file;
      size = total;
      rate = new RateEstimator(0, performance.now(), 3, 0.2);
      status.set(`${name} ${formatBytes(0)}`, true);
    },
    update(received) {
      rate?.update(received);
      const perSec = rate?.rate;
      const left = size === undefined ? undefined : rate?.secondsLeft(size - received);
      const of = size === undefined ? '' : ` of ${formatBytes(size)}`;
      const speed = perSec === undefined ? '' : `  ${formatBytes(perSec)}/s`;
      status.set(
        `${name} ${formatBytes(received)}${of}${speed}${left === undefined ? '' : `  ETA ${formatDuration(left)}`}`,
      );
    },
    stop() {
      status.clear();
    },
  };
}
