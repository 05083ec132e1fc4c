/**
 * Commander's parse errors in our one error style: `mnist-deep: error: …` on
 * one line, exit code 2, and a hint line (commander's "did you mean", or where
 * the help is).
 */
import { CommanderError } from 'commander';
import { UsageError } from '../errors';
import { commandLine, shellWord } from '../terminal/command-line';

/** Commander's codes for --help and --version, which are not errors. */
const NOT_ERRORS = new Set(['commander.helpDisplayed', 'commander.help', 'commander.version']);

/** Whether commander stopped for --help or --version (exit code 0), not for an error. */
export function isHelpOrVersion(err: CommanderError): boolean {
  return NOT_ERRORS.has(err.code) && err.exitCode === 0;
}

/** Words people type for our commands that are too far from the names for commander's own guess. */
const SYNONYMS: Record<string, string> = {
  evaluate: 'eval',
  evaluation: 'eval',
  fit: 'train',
  classify: 'predict',
  infer: 'predict',
  server: 'serve',
};

const sentence = (s: string) => s.charAt(0).toLowerCase() + s.slice(1).replace(/\.$/, '');

/**
 * "error: option '--steps <n>' argument 'x' is invalid. must be …" becomes
 * "--steps x: must be …"; "(Did you mean --steps?)" becomes the hint.
 */
export function toUsageError(err: CommanderError, command: string | undefined): UsageError {
  // No command given: commander has just printed the help.
  if (err.code === 'commander.help') return new UsageError('no command given');
  const [first, ...rest] = err.message.replace(/^error: /, '').split('\n');
  const unknown = /^unknown command '(.*)'$/.exec(first)?.[1];
  const didYouMean =
    rest.map((l) => /^\(Did you mean (.*)\?\)$/.exec(l.trim())?.[1]).find(Boolean) ??
    (unknown !== undefined ? SYNONYMS[unknown.toLowerCase()] : undefined);
  let message: string;
  const invalid = /^option '(\S+)[^']*' argument '(.*)' is invalid\. (.*)$/.exec(first);
  const missing = /^option '(\S+)[^']*' argument missing$/.exec(first);
  if (invalid) message = `${invalid[1]} ${shellWord(invalid[2])}: ${sentence(invalid[3])}`;
  else if (missing) message = `${missing[1]} needs a value`;
  else message = sentence(first);
  const help = commandLine(...(command ? [command] : []), '--help');
  return new UsageError(message, didYouMean ? `did you mean ${didYouMean}?` : `for usage, run: ${help}`);
}
