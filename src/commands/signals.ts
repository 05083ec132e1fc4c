/**
 * Ctrl-C and SIGTERM during long work: the first asks the work to stop at a
 * safe point (the caller polls `received`); a second exits at once (files are
 * only ever replaced by atomic renames, so nothing is left half-written).
 */
export type StopSignal = 'SIGINT' | 'SIGTERM';

export const exitCodeFor = (signal: StopSignal) => (signal === 'SIGINT' ? 130 : 143);

export interface SignalTrap {
  readonly received: StopSignal | undefined;
  dispose(): void;
}

export function trapSignals(onFirst: (signal: StopSignal) => void): SignalTrap {
  let received: StopSignal | undefined;
  const handler = (signal: StopSignal) => {
    if (received) process.exit(exitCodeFor(signal));
    received = signal;
    onFirst(signal);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    get received() {
      return received;
    },
    dispose() {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}
