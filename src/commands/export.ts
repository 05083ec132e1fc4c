/**
 * `mnist-deep export`: writes a trained model as a SavedModel, ONNX or Keras 3 (src/export/ does the work) and
 * prints where, how big, and the input and output names (or one JSON line). Registered from
 * here so that cli.ts stays one screen per command; the work is loaded only when it runs.
 */
import { Command, Option } from 'commander';
import type { ExportOptions } from '../export';
import { displayPath } from '../fs/paths';
import { SETTING_DEFAULTS } from '../train/settings';
import { defaultSaveDir } from '../train/config';
import { jsonOption, pathArg } from './options';
import { Output } from './output';

/** Kept here, not imported from src/export, so that `--help` loads no TensorFlow.js. */
const FORMATS = ['savedmodel', 'onnx', 'keras'] as const;

export async function runExport(opts: ExportOptions & { json?: boolean }): Promise<void> {
  const { exportSaved } = await import('../export');
  const out = new Output(Boolean(opts.json));
  const r = await exportSaved(opts);
  if (opts.json) {
    const { format, path, bytes, input, output, signature } = r;
    out.emit({ format, path, bytes, input, output, ...(signature && { signature }) });
    return;
  }
  out.say(`${r.format} model written to ${displayPath(r.path)} (${r.bytes.toLocaleString('en')} bytes)`);
  out.say(`input ${r.input}: float32 [batch, 784], pixels in [0, 1]; output ${r.output}: float32 [batch, 10]`);
  if (r.signature) out.say(`signature ${r.signature}; it also gives classes: int32 [batch]`);
}

export function addExportCommand(program: Command, action: (fn: typeof runExport) => typeof runExport): void {
  program
    .command('export')
    .description(
      'write a trained model as a TensorFlow SavedModel (savedmodel/), ONNX (model.onnx) or Keras 3 (model.keras), for other runtimes',
    )
    .addOption(new Option('--format <name>', 'file format').choices(FORMATS).makeOptionMandatory())
    .option(
      '--model-dir <dir>',
      'folder holding model.json and weights.bin',
      pathArg,
      defaultSaveDir(SETTING_DEFAULTS.model),
    )
    .option(
      '--out <path>',
      'file (SavedModel: folder) to write (default: savedmodel/, model.onnx or model.keras in the model folder)',
      pathArg,
    )
    .option('--overwrite', 'replace the --out file when it exists')
    .addOption(jsonOption())
    .action(action(runExport));
}
