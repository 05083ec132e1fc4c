/**
 * Option parsing, in-process (the program builder and the parsers, no CLI
 * spawned): decimal digits only for counts and ports, no empty path or host,
 * x.y.z for --tf-version; and --threads capped at the machine's cores.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { CommanderError } from 'commander';
import { buildProgram } from '../../src/cli';
import { nonNegativeInt, portNumber, positiveFloat, positiveInt, topCount } from '../../src/commands/options';
import { capThreads, resolveConfig } from '../../src/train/config';

/** Parses a command line without running it: the CommanderError it raises, or undefined. */
async function parseError(args: string[]): Promise<CommanderError | undefined> {
  const program = buildProgram();
  // No action runs: every case here fails while parsing.
  for (const c of program.commands) c.action(() => {});
  try {
    await program.parseAsync(['node', 'mnist-deep', ...args]);
    return undefined;
  } catch (err) {
    assert.ok(err instanceof CommanderError, String(err));
    return err;
  }
}

describe('counts and ports: decimal digits only', () => {
  it('refuses hex, binary, octal, exponents, spaces and signs that Number() would take', () => {
    for (const bad of ['0x50', '0b101', '0o17', '1e1', ' 5', '5 ', '+5', '', '5.', '٥']) {
      for (const parse of [positiveInt, nonNegativeInt, portNumber, topCount])
        assert.throws(() => parse(bad), /must be a whole number/, `${parse.name}(${JSON.stringify(bad)})`);
    }
    assert.equal(positiveInt('10'), 10);
    assert.equal(nonNegativeInt('0'), 0);
    assert.equal(portNumber('8784'), 8784);
    assert.equal(topCount('3'), 3);
  });

  it('a learning rate may have a fraction and an exponent, but not hex or spaces', () => {
    assert.equal(positiveFloat('1e-4'), 1e-4);
    assert.equal(positiveFloat('0.5'), 0.5);
    assert.equal(positiveFloat('.5'), 0.5);
    for (const bad of ['0x1', ' 0.5', 'Infinity', '1e', '-1'])
      assert.throws(() => positiveFloat(bad), /greater than 0/);
  });

  it('the commands use them', async () => {
    assert.equal((await parseError(['serve', '--port', '0x50']))?.code, 'commander.invalidArgument');
    assert.equal((await parseError(['train', '--steps', '1e1']))?.code, 'commander.invalidArgument');
    assert.equal((await parseError(['predict', 'x.png', '--top', ' 5']))?.code, 'commander.invalidArgument');
  });
});

describe('empty paths and hosts are refused', () => {
  it('for every path and host option', async () => {
    for (const args of [
      ['serve', '--host', ''],
      ['serve', '--host', ' '],
      ['serve', '--model-dir', ''],
      ['predict', 'x.png', '--model-dir', ''],
      ['eval', '--model-dir', ''],
      ['eval', '--report', ''],
      ['train', '--save-dir', ''],
      ['train', '--data-dir', ''],
      ['train', '--resume', ''],
      ['native', '--wheel', ''],
      ['native', '--tensorflow-dir', ''],
      ['download', '--mirror', ''],
    ]) {
      const err = await parseError(args);
      assert.equal(err?.code, 'commander.invalidArgument', args.join(' '));
    }
  });

  it('--tf-version: x.y.z only', async () => {
    for (const bad of ['abc', '../x', '2.21', '2.21.0-rc1', ''])
      assert.equal((await parseError(['native', '--tf-version', bad]))?.code, 'commander.invalidArgument', bad);
  });
});

describe('--threads', () => {
  it('is capped at the machine cores, with a note saying so', () => {
    const cfg = resolveConfig({ model: 'cnn', threads: 64 });
    assert.equal(capThreads(cfg, 2), '--threads 64: this machine has 2 cores; using 2 threads');
    assert.equal(cfg.threads, 2);
    const fits = resolveConfig({ model: 'cnn', threads: 2 });
    assert.equal(capThreads(fits, 2), undefined);
    assert.equal(fits.threads, 2);
  });
});
