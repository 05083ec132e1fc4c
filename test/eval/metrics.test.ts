import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { accuracyOf, addToConfusion, emptyConfusion, formatConfusion, perClassAccuracy } from '../../src/eval/metrics';

describe('metrics', () => {
  it('builds a confusion matrix, accuracy and per-class accuracy on a hand-made case', () => {
    const m = emptyConfusion(3);
    addToConfusion(m, [0, 0, 1, 1, 1, 2, 2, 2, 2, 0], [0, 1, 1, 1, 0, 2, 2, 2, 1, 0]);
    assert.deepEqual(m, [
      [2, 1, 0],
      [1, 2, 0],
      [0, 1, 3],
    ]);
    assert.equal(accuracyOf(m), 7 / 10);
    assert.deepEqual(perClassAccuracy(m), [2 / 3, 2 / 3, 3 / 4]);
  });

  it('reports NaN for a class with no examples', () => {
    const m = emptyConfusion(2);
    addToConfusion(m, [0], [1]);
    assert.ok(Number.isNaN(perClassAccuracy(m)[1]));
    assert.equal(accuracyOf(m), 0);
  });

  it('formats an aligned table with class names', () => {
    const m = [
      [1234, 5],
      [0, 77],
    ];
    const lines = formatConfusion(m, ['cat', 'dog']).split('\n');
    assert.equal(lines.length, 3);
    assert.ok(
      lines.every((l) => l.length === lines[0].length),
      'aligned',
    );
    assert.match(lines[1], /^cat\s+1234\s+5$/);
  });
});
