/**
 * The signals that stop long work, defined once: Ctrl-C (SIGINT), SIGTERM and
 * SIGHUP (a closed terminal), and the exit code each gives. A leaf: the train
 * command's trap, the status line's clean-up and a download's partial-file
 * removal all listen for this list.
 */
export type StopSignal = 'SIGINT' | 'SIGTERM' | 'SIGHUP';

export const STOP_SIGNALS: readonly StopSignal[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/** 128 + the signal's number, as a shell reports a process killed by it. */
export const exitCodeFor = (signal: StopSignal) => ({ SIGHUP: 129, SIGINT: 130, SIGTERM: 143 })[signal];
