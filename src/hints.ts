/**
 * Command lines the tool prints for the user to paste ("resume with: …"). Built
 * in one place so that how the tool is named (`npx mnist-deep` from the project
 * folder) can follow how it was started.
 */

/** Quotes `arg` for a POSIX shell when it needs it. */
export function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_/.,:=@%+-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** `npx mnist-deep <args>`, each argument quoted as the shell needs. */
export function commandHint(args: string[]): string {
  return ['npx', 'mnist-deep', ...args.map(shellQuote)].join(' ');
}
