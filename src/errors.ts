/**
 * An error caused by the user's input or environment (a bad file, option or
 * network). The CLI prints its message on one line, without a stack trace.
 */
export class UserError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
    this.name = 'UserError';
  }
}

/** Message of any thrown value, for reporting. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
