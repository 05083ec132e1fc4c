/**
 * The `mnist-deep` command line. Command modules are required lazily inside
 * each action so that `--help` and `--version` never load TensorFlow.js.
 */
import { Command, CommanderError, Option } from 'commander';
import { UserError, errorMessage } from './errors';
import { packageVersion } from './version';
import { releaseWebGpu } from './backends/webgpu';
import { flushStdout, guardStdout } from './commands/stdout';
import { MODEL_NAMES } from './models/names';
import { DEFAULT_TF_VERSION } from './native/layout';
import { DEFAULT_HOST } from './serve/hosts';
import { DATASET_NAMES } from './data/datasets';
import { OPTIMIZERS } from './optim';
import { DEFAULT_MODEL_DIRS, RECIPES, defaultSaveDir } from './train/config';
import { SETTING_DEFAULTS } from './train/settings';
import { setNativeVerbose } from './backends';
import {
  POLARITY_CHOICES,
  backendOption,
  checkpointDefaults,
  dataDirOption,
  datasetOption,
  existingDir,
  hostArg,
  httpUrl,
  jsonOption,
  nonNegativeInt,
  pathArg,
  portNumber,
  tfVersionArg,
  positiveFloat,
  positiveInt,
  recipeDefaults,
  scheduleOptions,
  validationOptions,
  showRate,
  topCount,
} from './commands/options';
import { addExportCommand } from './commands/export';
import { isHelpOrVersion, toUsageError } from './commands/usage';
import { statusLine } from './terminal/status';

let verbose = false;

/**
 * The one error funnel: `mnist-deep: error: …` on one line, a hint line when
 * there is one (stack with --verbose), and the exit code: 2 for usage, else 1.
 */
export function reportError(err: unknown): void {
  statusLine().clear();
  // A relative path (or a default one) in a current folder that was deleted: say so, not uv_cwd.
  if ((err as NodeJS.ErrnoException | undefined)?.syscall === 'uv_cwd')
    err = new UserError('the current folder no longer exists; give absolute paths, or cd to a folder that exists');
  const code = err instanceof UserError ? err.exitCode : 1;
  const say = (line: string) => statusLine().print(process.stderr, line);
  if (verbose && err instanceof Error && err.stack) err.stack.split('\n').forEach(say);
  // Our messages are one line (a newline in one came from a file name, and is shown escaped); others' first line.
  else say(`mnist-deep: error: ${err instanceof UserError ? err.message : errorMessage(err).split('\n')[0]}`);
  if (err instanceof UserError && err.hint) say(`mnist-deep: hint: ${err.hint}`);
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

const collect = (value: string, previous: string[]) => {
  const url = httpUrl(value);
  return [...previous, url.endsWith('/') ? url : url + '/'];
};

export function buildProgram(): Command {
  const program = new Command('mnist-deep')
    .description("TensorFlow's Deep MNIST for Experts in Node.js: softmax regression and the tutorial CNN")
    .version(packageVersion())
    .option('--verbose', "show stack traces on errors, and TensorFlow's own log lines")
    .configureHelp({ showGlobalOptions: true })
    // Parse errors are thrown and reported like every other error (see usage.ts).
    .exitOverride()
    .configureOutput({ outputError: () => {} })
    .hook('preAction', (cmd) => {
      verbose = Boolean(cmd.opts().verbose);
      setNativeVerbose(verbose);
    });

  program
    .command('download')
    .description('make sure the four IDX files of a data set are present and valid, downloading them if needed')
    .addOption(datasetOption())
    .addOption(dataDirOption())
    .addOption(
      new Option(
        '--mirror <url>',
        'download from this base URL instead of the built-in mirrors (repeatable, tried in order)',
      )
        .argParser(collect)
        .default([], 'the built-in mirrors'),
    )
    .action(action(async (opts) => (await import('./commands/download')).runDownload(opts)));

  program
    .command('info')
    .description('versions, backends (which load, which --backend auto uses) and data sets found')
    .addOption(dataDirOption())
    .addOption(jsonOption())
    .action(action(async (opts) => (await import('./commands/info')).runInfo(opts)));

  program
    .command('native')
    .description("set up the fast tensorflow backend: tfjs-node built against the libraries of TensorFlow's pip wheel")
    .option(
      '--wheel <file>',
      'take the libraries from this tensorflow-cpu (or tensorflow) wheel instead of downloading one with pip',
      pathArg,
    )
    .option(
      '--tensorflow-dir <dir>',
      'take them from an installed TensorFlow package folder (…/site-packages/tensorflow)',
      pathArg,
    )
    .option(
      '--tf-version <x.y.z>',
      `TensorFlow version to download with pip (default: ${DEFAULT_TF_VERSION}, whose wheel's SHA-256 is pinned)`,
      tfVersionArg,
    )
    .option('--remove', 'remove the binding and the cached libraries; --backend auto then uses wasm')
    .action(action(async (opts) => (await import('./commands/native')).runNative({ ...opts, verbose })));

  program
    .command('train')
    .description("train the tutorial's softmax regression or CNN, evaluate it and save it")
    .addOption(new Option('--model <name>', 'model').choices(MODEL_NAMES).default(SETTING_DEFAULTS.model))
    .addOption(
      new Option(
        '--recipe <name>',
        "the recipe's steps, batch size, optimizer and learning rate: seed (the tutorial's) or fast (the CNN in 300,000 examples)",
      )
        .choices(RECIPES)
        .default(SETTING_DEFAULTS.recipe),
    )
    .addOption(datasetOption())
    .addOption(dataDirOption())
    .option('--steps <n>', `training steps (${recipeDefaults((h) => String(h.steps))})`, positiveInt)
    .option('--batch-size <n>', `examples per step (${recipeDefaults((h) => String(h.batchSize))})`, positiveInt)
    .addOption(
      new Option('--optimizer <name>', `optimizer (${recipeDefaults((h) => h.optimizer)})`).choices(OPTIMIZERS),
    )
    .option('--learning-rate <x>', `learning rate (${recipeDefaults(showRate)})`, positiveFloat)
    .addOption(scheduleOptions.lrSchedule())
    .addOption(scheduleOptions.lrFinal())
    .addOption(scheduleOptions.lrStepEvery())
    .addOption(scheduleOptions.warmupSteps())
    .option('--log-every <n>', 'report training accuracy every n steps', positiveInt, SETTING_DEFAULTS.logEvery)
    .option('--eval-batch-size <n>', 'examples per evaluation batch', positiveInt, SETTING_DEFAULTS.evalBatchSize)
    .option(
      '--validation-size <n>',
      'training images held out for validation (the first n)',
      nonNegativeInt,
      SETTING_DEFAULTS.validationSize,
    )
    .addOption(validationOptions.validateEvery())
    .addOption(validationOptions.keep())
    .addOption(validationOptions.earlyStop())
    .option(
      '--seed <n>',
      'seed for weight initialisation, data order and dropout masks',
      nonNegativeInt,
      SETTING_DEFAULTS.seed,
    )
    .addOption(backendOption())
    .option('--save-dir <dir>', `where to save the model (default: ${defaultSaveDir('<model>')})`, pathArg)
    .option('--overwrite', "start afresh in a --save-dir that holds another run's checkpoint or model, replacing them")
    .option(
      '--threads <n>',
      "training threads: data-parallel on wasm/cpu (default: cores, up to 4, for the cnn), TensorFlow's own on the graph engine (default: cores)",
      positiveInt,
    )
    .option(
      '--checkpoint-every <n>',
      `write a checkpoint to the save dir every n steps, 0 never (${checkpointDefaults()})`,
      nonNegativeInt,
    )
    .option(
      '--resume <dir>',
      'continue (or finish) the run whose checkpoint is in this save dir (--steps may raise the total)',
      existingDir,
    )
    .option(
      '--logdir [dir]',
      'write TensorBoard event files to this folder (alone: runs/<model>-<time>, or under $MNIST_DEEP_LOGDIR, which also turns them on)',
      pathArg,
    )
    .addOption(jsonOption())
    .action(
      action(async (opts, cmd: Command) => {
        // Which options the user typed, so that --resume can refuse changes to fixed ones.
        const given = cmd.options.map((o) => o.attributeName()).filter((k) => cmd.getOptionValueSource(k) === 'cli');
        await (await import('./commands/train')).runTrain({ ...opts, given });
      }),
    );

  program
    .command('eval')
    .description('evaluate a saved model on the test set: accuracy, per-class accuracy, confusion matrix')
    .option(
      '--model-dir <dir>',
      'folder holding model.json and weights.bin',
      pathArg,
      defaultSaveDir(SETTING_DEFAULTS.model),
    )
    .addOption(
      new Option('--dataset <name>', "data set (default: the model's, from its metadata.json)").choices(DATASET_NAMES),
    )
    .addOption(dataDirOption())
    .addOption(backendOption())
    .option('--eval-batch-size <n>', 'examples per evaluation batch', positiveInt, SETTING_DEFAULTS.evalBatchSize)
    .addOption(validationOptions.split())
    .addOption(jsonOption())
    .option(
      '--report <file>',
      'also write a visual report: curves, per-class bars, confusion heat map, wrong digits (HTML)',
      pathArg,
    )
    .option(
      '--logdir [dir]',
      "also add the evaluation to TensorBoard events in this folder (alone: the model's training run's)",
      pathArg,
    )
    .action(action(async (opts) => (await import('./commands/eval')).runEval(opts)));

  program
    .command('serve')
    .description('serve a page where you draw a digit and the saved model classifies it in the browser')
    .option(
      '--model-dir <dir>',
      `folder holding model.json and weights.bin (default: ${DEFAULT_MODEL_DIRS.join(', else ')})`,
      pathArg,
    )
    .option('--port <n>', 'port to listen on (0: any free port)', portNumber, 8784)
    .option('--host <addr>', `address to listen on (default: ${DEFAULT_HOST}, this machine only)`, hostArg)
    .option('--open', 'open the page in the default browser')
    .action(action(async (opts) => (await import('./commands/serve')).runServe(opts)));

  program
    .command('predict')
    .description('classify PNG/JPEG images (or folders of them) with a saved model')
    .argument('<image...>', 'image files or folders')
    .option(
      '--model-dir <dir>',
      'folder holding model.json and weights.bin',
      pathArg,
      defaultSaveDir(SETTING_DEFAULTS.model),
    )
    .option('--top <n>', 'how many classes to show per image (1-10)', topCount, 3)
    .addOption(
      new Option(
        '--polarity <how>',
        'how the images show the subject (default: auto for digits, dark-on-light for fashion-mnist)',
      ).choices(POLARITY_CHOICES),
    )
    .addOption(backendOption())
    .addOption(jsonOption())
    .action(action(async (images: string[], opts) => (await import('./commands/predict')).runPredict(images, opts)));

  addExportCommand(program, action);

  return program;
}

export async function main(argv: string[]): Promise<void> {
  // A closed pipe (`mnist-deep train | head`) stops the printing, never the work.
  guardStdout();
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (!(err instanceof CommanderError)) reportError(err);
    else if (isHelpOrVersion(err)) process.exitCode = 0;
    else reportError(toUsageError(err, program.commands.find((c) => argv.slice(2).includes(c.name()))?.name()));
  }
  // Dawn (the webgpu backend) would keep the process alive after the command.
  releaseWebGpu();
  try {
    await flushStdout();
  } catch (err) {
    reportError(err);
  }
}

if (require.main === module) void main(process.argv);
