/**
 * `npm run accuracy`: the tutorial's headline numbers, measured. Trains the
 * seed recipes of both models and the `fast` CNN recipe on real MNIST through
 * the real CLI (one child process per run, fastest backend that loads unless
 * --backend says otherwise) and prints model, recipe, steps, examples,
 * validation and test accuracy, time, backend and the machine's load.
 *
 *   npm run accuracy -- [--steps N] [--runs softmax,cnn,cnn-fast] [--backend NAME]
 *                       [--seeds N] [--markdown FILE] [--json FILE]
 *
 * --steps N caps every run at N steps (a quick check); without it the runs are
 * the recipes' full lengths (the seed CNN: 20,000 steps). --seeds N trains
 * each run N times (--seed 0 … N-1) and adds mean ± sample standard deviation.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { BACKEND_CHOICES } from '../src/backends/choices';
import { positiveInt } from '../src/commands/options';
import { MODEL_NAMES, ModelName } from '../src/models/names';
import { RECIPES, RECIPE_DEFAULTS, RecipeName } from '../src/train/config';
import { SETTING_DEFAULTS } from '../src/train/settings';
import { jsonLines, listOption, oneOf, parseScriptArgs } from './common';

interface Run {
  id: string;
  model: ModelName;
  recipe: RecipeName;
}

/**
 * Every model under every recipe that differs from the first (the seed): the
 * runs named `softmax`, `cnn` and `cnn-fast` (softmax's fast recipe is its seed one).
 */
const RUNS: readonly Run[] = RECIPES.flatMap((recipe) =>
  MODEL_NAMES.filter(
    (model) =>
      recipe === RECIPES[0] ||
      JSON.stringify(RECIPE_DEFAULTS[recipe][model]) !== JSON.stringify(RECIPE_DEFAULTS[RECIPES[0]][model]),
  ).map((model) => ({ id: recipe === RECIPES[0] ? model : `${model}-${recipe}`, model, recipe })),
);

interface Args {
  steps?: number;
  runs: Run[];
  backend: string;
  seeds: number;
  markdown?: string;
  json?: string;
}

interface Row {
  model: string;
  recipe: string;
  seed: number;
  steps: number;
  examples: number;
  validationAccuracy: number;
  testAccuracy: number;
  seconds: number;
  examplesPerSec: number;
  backend: string;
  load: string;
}

function parseArgs(argv: string[]): Args {
  const ids = RUNS.map((r) => r.id);
  const program = new Command('accuracy')
    .option('--steps <n>', "cap every run at n steps (a quick check); default: the recipes' lengths", positiveInt)
    .addOption(listOption('--runs <list>', `runs, comma-separated (${ids.join(', ')})`, oneOf(ids), ids))
    .addOption(
      new Option('--backend <name>', 'backend for every run')
        .choices(BACKEND_CHOICES)
        .default(SETTING_DEFAULTS.backend),
    )
    .option('--seeds <n>', 'train each run n times (--seed 0 … n-1)', positiveInt, 1)
    .option('--markdown <file>', 'also write the table as Markdown')
    .option('--json <file>', 'also write the rows as JSON');
  const opts = parseScriptArgs<Omit<Args, 'runs'> & { runs: string[] }>(program, argv);
  return { ...opts, runs: opts.runs.map((id) => RUNS.find((r) => r.id === id) as Run) };
}

const BIN = resolve(__dirname, '../../bin/mnist-deep.js');
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

/** One training run through the CLI; its last JSON line is the result. */
function train(run: Run, args: Args, seed: number, saveDir: string): Promise<Row> {
  const cli = [
    'train',
    '--seed',
    String(seed),
    '--model',
    run.model,
    '--recipe',
    run.recipe,
    '--backend',
    args.backend,
    '--save-dir',
    saveDir,
    '--json',
  ];
  if (args.steps) cli.push('--steps', String(args.steps));
  const loadBefore = load();
  return new Promise((done, fail) => {
    const child = execFile(process.execPath, [BIN, ...cli], { maxBuffer: 256 << 20 }, (err, stdout) => {
      if (err) return fail(new Error(`${run.id}: mnist-deep ${cli.join(' ')} failed: ${err.message}`));
      const result = (jsonLines(stdout).pop() ?? {}) as Record<string, number | string>;
      const steps = Number(result.steps);
      const seconds = Number(result.seconds);
      const examples = steps * Number(result.batchSize);
      done({
        model: run.model,
        recipe: run.recipe,
        seed,
        steps,
        examples,
        validationAccuracy: Number(result.validationAccuracy),
        testAccuracy: Number(result.testAccuracy),
        seconds,
        examplesPerSec: Number(result.examplesPerSec),
        backend: String(result.backend),
        load: `${loadBefore} → ${load()}`,
      });
    });
    // Progress of the long runs stays visible.
    child.stderr?.on('data', (d: Buffer) => process.stderr.write(d));
  });
}

/** Mean ± sample standard deviation (n - 1), four decimals. */
export function meanSd(values: number[]): string {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  if (values.length < 2) return mean.toFixed(4);
  const sd = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (values.length - 1));
  return `${mean.toFixed(4)} ± ${sd.toFixed(4)}`;
}

function summary(rows: Row[]): string {
  const groups = new Map<string, Row[]>();
  for (const r of rows) groups.set(`${r.model} | ${r.recipe}`, [...(groups.get(`${r.model} | ${r.recipe}`) ?? []), r]);
  const lines = [...groups].map(
    ([key, rs]) =>
      `| ${key} | ${rs.length} | ${meanSd(rs.map((r) => r.validationAccuracy))} | ${meanSd(rs.map((r) => r.testAccuracy))} | ${meanSd(rs.map((r) => r.seconds)).replace(/\.\d+/g, '')} s |`,
  );
  return (
    ['| model | recipe | seeds | validation | test | time |', '|---|---|---:|---:|---:|---:|', ...lines].join('\n') +
    '\n'
  );
}

function markdown(rows: Row[]): string {
  const head =
    '| model | recipe | seed | steps | examples | validation | test | time | examples/s | backend | load (1/5/15 min, before → after) |';
  const sep = '|---|---|---:|---:|---:|---:|---:|---:|---:|---|---|';
  const body = rows.map(
    (r) =>
      `| ${r.model} | ${r.recipe} | ${r.seed} | ${r.steps.toLocaleString('en')} | ${r.examples.toLocaleString('en')} | ${r.validationAccuracy.toFixed(4)} | ` +
      `${r.testAccuracy.toFixed(4)} | ${r.seconds.toFixed(0)} s | ${r.examplesPerSec.toFixed(0)} | ${r.backend} | ${r.load} |`,
  );
  return [head, sep, ...body].join('\n') + '\n';
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const root = mkdtempSync(join(tmpdir(), 'mnist-deep-accuracy-'));
  const rows: Row[] = [];
  try {
    for (const run of args.runs) {
      for (let seed = 0; seed < args.seeds; seed++) {
        process.stderr.write(
          `--- ${run.id}: ${run.model}, ${run.recipe} recipe, seed ${seed}${args.steps ? `, ${args.steps} steps` : ''}\n`,
        );
        rows.push(await train(run, args, seed, join(root, `${run.id}-${seed}`)));
      }
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  const table = markdown(rows) + (args.seeds > 1 ? `\n${summary(rows)}` : '');
  process.stdout.write(
    `${cpus().length} cores (${cpus()[0]?.model ?? 'unknown CPU'}), Node.js ${process.versions.node}\n\n${table}`,
  );
  if (args.markdown) writeFileSync(args.markdown, table);
  if (args.json) writeFileSync(args.json, JSON.stringify(rows, null, 2) + '\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`accuracy: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
