/**
 * `eval --report FILE`: the write policy for a file the user names. A new
 * file or an earlier report is fine; a run folder's own files, any other
 * existing file, devices, FIFOs, folders and '' are refused, and left as they were.
 */
import { strict as assert } from 'node:assert';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { checkReportTarget } from '../../src/report/target';
import { makeCharDevice, makeFifo } from '../helpers/special';
import { tempDir } from '../helpers/fixtures';

const tmp = tempDir();
after(tmp.cleanup);

describe('--report target', () => {
  it('accepts a new file and an earlier report', () => {
    assert.equal(checkReportTarget(join(tmp.dir, 'new.html')), join(tmp.dir, 'new.html'));
    const old = join(tmp.dir, 'old.html');
    writeFileSync(old, '<!DOCTYPE html>\n<html lang="en">\n<head>\n<title>mnist-deep report: cnn on mnist</title>');
    assert.equal(checkReportTarget(old), old);
  });

  it("refuses a run folder's own files, by name, whether or not they exist", () => {
    const run = join(tmp.dir, 'run');
    mkdirSync(run);
    writeFileSync(join(run, 'weights.bin'), 'weights');
    for (const name of [
      'weights.bin',
      'model.json',
      'checkpoint.json',
      'metadata.json',
      'steps.jsonl',
      'checkpoint-5.bin',
      'mnist-deep.lock',
    ])
      assert.throws(
        () => checkReportTarget(join(run, name)),
        new RegExp(`${name.replace('.', '\\.')} is a run folder's own file name`),
      );
    assert.equal(readFileSync(join(run, 'weights.bin'), 'utf8'), 'weights');
  });

  it('refuses any other existing file, a folder, a FIFO, a device and an empty name', () => {
    const notes = join(tmp.dir, 'notes.txt');
    writeFileSync(notes, 'my notes');
    assert.throws(
      () => checkReportTarget(notes),
      /notes\.txt: exists and is not an mnist-deep report; refusing to overwrite it/,
    );
    assert.throws(() => checkReportTarget(tmp.dir), /is a folder; give a file name such as/);
    const fifo = join(tmp.dir, 'pipe.html');
    makeFifo(fifo);
    assert.throws(() => checkReportTarget(fifo), /pipe\.html: is a FIFO \(named pipe\); refusing to replace it/);
    const dev = makeCharDevice(join(tmp.dir, 'null'));
    if (dev) {
      assert.throws(() => checkReportTarget(dev), /null: is a character device; refusing to replace it/);
      assert.ok(statSync(dev).isCharacterDevice());
    }
    assert.throws(() => checkReportTarget(''), /--report: must not be empty/);
    assert.equal(readFileSync(notes, 'utf8'), 'my notes');
  });
});
