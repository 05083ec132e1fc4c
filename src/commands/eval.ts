/**
 * `mnist-deep eval`: prints a saved model's test accuracy, per-class accuracy and confusion
 * matrix (or one JSON line); src/saved-eval/run.ts does the work.
 */
import { DATASETS } from '../data/datasets';
import { perClassAccuracy, formatConfusion } from '../eval/metrics';
import { EvalOptions, evaluateSaved } from '../saved-eval/run';
import { displayPath } from '../fs/paths';
import { commandDataset, dataOrigin } from './data';
import { Output, noteKernels } from './output';

export interface EvalCommandOptions extends EvalOptions {
  json?: boolean;
}

export async function runEval(opts: EvalCommandOptions): Promise<void> {
  const out = new Output(Boolean(opts.json));
  const split = opts.split ?? 'test';
  const { dir, dataset, raw, backend, result, keptStep } = await evaluateSaved(opts, {
    loadData: commandDataset,
    evaluating: (work) => out.working(`evaluating ${split} set`, 'images', work),
    reportWritten: (file) => out.say(`report written to ${file}`),
    // Through Output like every line: file-supplied text (the folder a model names) is escaped there.
    eventsWritten: (file) => {
      const line = `TensorBoard events written to ${displayPath(file)}`;
      if (opts.json) out.notice(line);
      else out.say(line);
    },
    warning: (line) => out.notice(`mnist-deep: warning: ${line}`),
  });
  noteKernels(out, backend);
  const perClass = perClassAccuracy(result.confusion);

  if (opts.json) {
    out.emit({
      ...(split === 'validation' ? { validationAccuracy: result.accuracy } : { testAccuracy: result.accuracy }),
      ...(keptStep !== undefined && { keptStep }),
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
  out.say(`${dir} on ${dataset} ${split} set from ${dataOrigin(raw)} (${result.examples} images), backend ${backend}`);
  if (keptStep !== undefined) out.say(`the weights of step ${keptStep}, the best validation accuracy (--keep best)`);
  out.say(`${split} accuracy ${result.accuracy.toFixed(4)}`);
  out.say('');
  out.say('per-class accuracy:');
  perClass.forEach((acc, i) =>
    out.say(`  ${labels[i].padEnd(width)}  ${Number.isNaN(acc) ? '   n/a' : acc.toFixed(4)}`),
  );
  out.say('');
  out.say('confusion matrix (rows: true class, columns: predicted):');
  for (const line of formatConfusion(result.confusion, labels).split('\n')) out.say(line);
}
