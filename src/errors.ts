/**
 * An error caused by the user's input or environment (a bad file, option or
 * network). The CLI prints its message on one line, without a stack trace,
 * and its hint, when there is one, on a second line.
 */
export class UserError extends Error {
  readonly exitCode: number;
  readonly hint: string | undefined;

  /** `opts`: the exit code (1 by default), or the exit code and a hint. */
  constructor(message: string, opts: number | { exitCode?: number; hint?: string } = {}) {
    super(message);
    this.name = 'UserError';
    const o = typeof opts === 'number' ? { exitCode: opts } : opts;
    this.exitCode = o.exitCode ?? 1;
    this.hint = o.hint;
  }
}

/** A command line that cannot be run as written: exit code 2. */
export class UsageError extends UserError {
  constructor(message: string, hint?: string) {
    super(message, { exitCode: 2, hint });
    this.name = 'UsageError';
  }
}

/** Message of any thrown value, for reporting. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Out-of-memory failures in words: WebAssembly's ("memory access out of bounds", "Out of
 * memory": the batch does not fit wasm's 4 GiB) and TensorFlow's ("OOM when allocating").
 */
export function explainOutOfMemory(err: unknown, option: string, value: number | undefined): unknown {
  const msg = errorMessage(err);
  if (
    err instanceof UserError ||
    !/memory access out of bounds|out of memory|OOM when allocating|Array buffer allocation failed|bad_alloc/i.test(msg)
  )
    return err;
  return new UserError(
    `${option} ${value ?? ''}: a batch this large does not fit in memory (${msg.split('\n')[0]}); try a smaller ${option}`,
  );
}
