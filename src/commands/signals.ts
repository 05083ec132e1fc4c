/**
 * Ctrl-C, SIGTERM and SIGHUP (a closed terminal) during long work: the first
 * asks the work to stop at a safe point (the caller polls `received`); a second
 * exits at once (files are only ever replaced by atomic renames, so nothing is
 * left half-written).
 */
import { STOP_SIGNALS, StopSignal, exitCodeFor } from '../stop-signals';

export interface SignalTrap {
  readonly received: StopSignal | undefined;
  /**
   * Removes the trap, once a signal that arrived during synchronous work (a
   * checkpoint being written) has reached it: Node delivers signals from the
   * event loop, so removing the listeners straight after such work would drop
   * the signal, and the run would go on as if none had come.
   */
  dispose(): Promise<void>;
}

/** Lets the event loop turn (twice) so that pending signals are delivered to their listeners. */
export const deliverPendingSignals = async () => {
  for (let i = 0; i < 2; i++) await new Promise((resolve) => setImmediate(resolve));
};

export function trapSignals(onFirst: (signal: StopSignal) => void): SignalTrap {
  let received: StopSignal | undefined;
  const handler = (signal: StopSignal) => {
    if (received) process.exit(exitCodeFor(signal));
    received = signal;
    onFirst(signal);
  };
  for (const s of STOP_SIGNALS) process.on(s, handler);
  return {
    get received() {
      return received;
    },
    async dispose() {
      await deliverPendingSignals();
      for (const s of STOP_SIGNALS) process.off(s, handler);
    },
  };
}

/** Until disposed, any stop signal runs `onSignal` and exits at once with its code (for work that is safe to cut). */
export function exitOnSignals(onSignal: (signal: StopSignal) => void): () => void {
  const handler = (signal: StopSignal) => {
    onSignal(signal);
    process.exit(exitCodeFor(signal));
  };
  for (const s of STOP_SIGNALS) process.on(s, handler);
  return () => {
    for (const s of STOP_SIGNALS) process.off(s, handler);
  };
}
