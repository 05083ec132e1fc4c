/** Download progress for commands: a cli-progress byte bar on the status line (stderr, terminals only). */
import type { Progress } from '../data/download';
import { ByteBar } from '../terminal/progress';
import { StatusLine, statusLine } from '../terminal/status';

/** A byte bar per file; undefined (quiet) when there is no status line. */
export function byteProgress(status: StatusLine = statusLine()): Progress | undefined {
  if (!status.enabled) return undefined;
  let bar: ByteBar | undefined;
  return {
    start(file, total) {
      bar = new ByteBar(status, file.split('/').pop() ?? file, total);
    },
    update(received) {
      bar?.update(received);
    },
    stop() {
      bar = undefined;
      status.clear();
    },
  };
}
