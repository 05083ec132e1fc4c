/**
 * `mnist-deep eval`: prints a saved model's test accuracy, per-class accuracy and confusion
 * matrix (or one JSON line); src/eval/saved.ts does the work.
 */
import { DATASETS } from '../data/datasets';
import { perClassAccuracy, formatConfusion } from '../eval/metrics';
import { EvalOptions, evaluateSaved } from '../eval/saved';
import { displayPath } from '../fs/paths';
import { commandDataset, dataOrigin } from './data';
import { Output, noteKernels } from './output';

export interface EvalCommandOptions extends EvalOptions {
  json?: boolean;
}

export async function runEval(opts: EvalCommandOptions): Promise<void> {
  const out = new Output(Boolean(opts.json));
  const { dir, dataset, raw, backend, result } = await evaluateSaved(opts, {
    loadData: commandDataset,
    evaluating: (work) => out.working('evaluating test set', 'images', work),
    reportWritten: (file) => out.say(`report written to ${file}`),
    eventsWritten: (file) =>
      (opts.json ? process.stderr : process.stdout).write(`TensorBoard events written to ${displayPath(file)}\n`),
    warning: (line) => process.stderr.write(`mnist-deep: warning: ${line}\n`),
  });
  noteKernels(out, backend);
  const perClass = perClassAccuracy(result.confusion);

  if (opts.json) {
    out.emit({
      testAccuracy: result.accuracy,
      perClassAccuracy: perClass,
      confusionMatrix: result.confusion,
      examples: result.examples,
      backend,
    });
    return;
  }
  // MNIST's class names are its digits: each class printed once; Fashion-MNIST's as "0 T-shirt/top".
  const labels = DATASETS[dataset].classNames.map((n, i) => (n === String(i) ? n : `${i} ${n}`));
  const width = Math.max(...labels.map((n) => n.length));
  out.say(`${dir} on ${dataset} test set from ${dataOrigin(raw)} (${result.examples} images), backend ${backend}`);
  out.say(`test accuracy ${result.accuracy.toFixed(4)}`);
  out.say('');
  out.say('per-class accuracy:');
  perClass.forEach((acc, i) =>
    out.say(`  ${labels[i].padEnd(width)}  ${Number.isNaN(acc) ? '   n/a' : acc.toFixed(4)}`),
  );
  out.say('');
  out.say('confusion matrix (rows: true class, columns: predicted):');
  for (const line of formatConfusion(result.confusion, labels).split('\n')) out.say(line);
}
