/**
 * What the scripts share (scripts/common.ts): one median, which both
 * benchmarks report (scripts/gpu/webgpu-bench.ts once took the upper middle
 * value of an even count), random MNIST-like data, and option parsing with
 * the CLI's own parsers.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { Command } from 'commander';
import { positiveInt } from '../../src/commands/options';
import { listOf, median, oneOf, parseScriptArgs, randomSplit } from '../../scripts/common';

describe('scripts: shared helpers', () => {
  it('median: the middle value, or the mean of the two middle ones', () => {
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 3, 2]), 2.5);
    assert.equal(median([10, 20]), 15);
    assert.equal(median([7]), 7);
    const xs = [5, 3, 9, 1];
    median(xs);
    assert.deepEqual(xs, [5, 3, 9, 1], 'the input is not sorted in place');
    assert.throws(() => median([]), /no values/);
  });

  it('randomSplit: MNIST-shaped, mostly zero pixels, the same for the same seed', () => {
    const a = randomSplit(50, 7);
    const b = randomSplit(50, 7);
    assert.equal(a.count, 50);
    const batchA = a.nextBatch(50);
    const batchB = b.nextBatch(50);
    assert.equal(batchA.xs.length, 50 * 784);
    assert.deepEqual(batchA.xs, batchB.xs);
    const zeros = batchA.xs.filter((p) => p === 0).length / batchA.xs.length;
    assert.ok(zeros > 0.7 && zeros < 0.9, `${zeros} of the pixels are zero`);
  });

  it("parses options with commander and the CLI's parsers, refusing what the CLI refuses", () => {
    const program = () =>
      new Command('s')
        .exitOverride()
        .configureOutput({ writeErr: () => {} })
        .option('--steps <n>', 'steps', positiveInt, 40)
        .option('--backends <list>', 'backends', listOf(oneOf(['wasm', 'cpu'] as const)), ['wasm']);
    assert.deepEqual(parseScriptArgs(program(), []), { steps: 40, backends: ['wasm'] });
    assert.deepEqual(parseScriptArgs(program(), ['--steps', '7', '--backends', 'cpu,wasm']), {
      steps: 7,
      backends: ['cpu', 'wasm'],
    });
    assert.throws(() => parseScriptArgs(program(), ['--steps', '0x10']), /--steps <n>' argument '0x10' is invalid/);
    assert.throws(() => parseScriptArgs(program(), ['--backends', 'gpu']), /"gpu" is not one of wasm, cpu/);
    assert.throws(() => parseScriptArgs(program(), ['--stpes', '3']), /unknown option '--stpes'/);
  });
});
