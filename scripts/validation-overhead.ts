/**
 * `npm run validation-overhead`: what validating every epoch (`train`'s default
 * --validate-every) costs a run, measured both ways in one sitting. Trains the
 * same recipe through the real CLI with --validate-every 0 (only the closing
 * evaluation, as before validations) and with the default, alternating the two
 * (A B B A …) so that a drift in the machine's load falls on both, and prints
 * each run's training time (the result's `seconds`: the loop, its validations
 * and checkpoints), the seconds its validations took inside it (the result's
 * `validations`), and the median overhead both ways: between the runs, and
 * within each validating run (its validations' seconds over the rest, which no
 * drift between runs touches). Issue 33's bar: ≤ 5% on the seed CNN recipe on
 * the graph engine.
 *
 *   npm run validation-overhead -- [--model cnn] [--recipe seed] [--backend tensorflow]
 *                                  [--steps N] [--pairs N] [--json FILE]
 *
 * --steps N caps the runs (a quick check; the overhead then rounds differently:
 * one validation per epoch of 1,100 steps at the seed recipe's batch of 50).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { BACKEND_CHOICES } from '../src/backends/choices';
import { positiveInt } from '../src/commands/options';
import { MODEL_NAMES } from '../src/models/names';
import { RECIPES } from '../src/train/config';
import { jsonLines, median, parseScriptArgs } from './common';

interface Args {
  model: string;
  recipe: string;
  backend: string;
  steps?: number;
  pairs: number;
  json?: string;
}

interface Timed {
  validating: boolean;
  seconds: number;
  validations: number;
  /** The seconds of `seconds` spent validating. */
  validationSeconds: number;
  load: string;
}

const BIN = resolve(__dirname, '../../bin/mnist-deep.js');
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

function parseArgs(argv: string[]): Args {
  const program = new Command('validation-overhead')
    .addOption(new Option('--model <name>', 'model').choices(MODEL_NAMES).default('cnn'))
    .addOption(new Option('--recipe <name>', 'recipe').choices(RECIPES).default('seed'))
    .addOption(new Option('--backend <name>', 'backend').choices(BACKEND_CHOICES).default('tensorflow'))
    .option('--steps <n>', "cap every run at n steps; default: the recipe's length", positiveInt)
    .option('--pairs <n>', 'runs of each kind (alternating A B B A …)', positiveInt, 2)
    .option('--json <file>', 'also write the runs as JSON');
  return parseScriptArgs<Args>(program, argv);
}

function train(args: Args, validating: boolean, saveDir: string): Promise<Timed> {
  const cli = ['train', '--model', args.model, '--recipe', args.recipe, '--backend', args.backend];
  cli.push('--save-dir', saveDir, '--json', '--checkpoint-every', '0');
  if (!validating) cli.push('--validate-every', '0');
  if (args.steps) cli.push('--steps', String(args.steps));
  const before = load();
  return new Promise((done, fail) => {
    execFile(process.execPath, [BIN, ...cli], { maxBuffer: 256 << 20 }, (err, stdout) => {
      if (err) return fail(new Error(`mnist-deep ${cli.join(' ')} failed: ${err.message}`));
      const lines = jsonLines(stdout) as Record<string, unknown>[];
      const result = lines[lines.length - 1] ?? {};
      const validations = lines.filter((l) => l.event === 'validation').length;
      const inRun = result.validations as { seconds?: number } | undefined;
      const validationSeconds = Number(inRun?.seconds ?? 0);
      done({
        validating,
        seconds: Number(result.seconds),
        validations,
        validationSeconds,
        load: `${before} → ${load()}`,
      });
    });
  });
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const root = mkdtempSync(join(tmpdir(), 'mnist-deep-validation-overhead-'));
  const runs: Timed[] = [];
  try {
    for (let i = 0; i < args.pairs * 2; i++) {
      // A B B A A B …: each kind runs first as often as last.
      const validating = i % 4 === 1 || i % 4 === 2;
      process.stderr.write(
        `--- run ${i + 1} of ${args.pairs * 2}: ${validating ? 'validating every epoch' : '--validate-every 0'}\n`,
      );
      runs.push(await train(args, validating, join(root, String(i))));
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  const off = median(runs.filter((r) => !r.validating).map((r) => r.seconds));
  const on = median(runs.filter((r) => r.validating).map((r) => r.seconds));
  const within = median(
    runs.filter((r) => r.validating).map((r) => r.validationSeconds / (r.seconds - r.validationSeconds)),
  );
  const rows = runs.map(
    (r) =>
      `| ${r.validating ? 'every epoch' : '0 (end only)'} | ${r.validations} | ${r.seconds.toFixed(1)} s | ${r.validationSeconds.toFixed(1)} s | ${r.load} |`,
  );
  process.stdout.write(
    `${cpus().length} cores (${cpus()[0]?.model ?? 'unknown CPU'}), Node.js ${process.versions.node}; ` +
      `${args.model}, ${args.recipe} recipe, ${args.backend}${args.steps ? `, ${args.steps} steps` : ''}\n\n` +
      [
        '| --validate-every | validations | training time | of it validating | load (before → after) |',
        '|---|---:|---:|---:|---|',
        ...rows,
      ].join('\n') +
      `\n\nbetween runs: median ${off.toFixed(1)} s → ${on.toFixed(1)} s: validation adds ${(((on - off) / off) * 100).toFixed(1)}%\n` +
      `within the validating runs: their validations add a median ${(within * 100).toFixed(1)}% to their training\n`,
  );
  if (args.json) writeFileSync(args.json, JSON.stringify(runs, null, 2) + '\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`validation-overhead: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
