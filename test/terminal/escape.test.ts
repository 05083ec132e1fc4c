/** The output policy: control characters from files, names and the network are shown, never sent to the terminal. */
import { strict as assert } from 'node:assert';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { visible } from '../../src/terminal/escape';
import { StatusLine } from '../../src/terminal/status';

describe('output policy', () => {
  it('shows C0, DEL, C1 controls, ESC sequences and bidi overrides visibly; leaves other text alone', () => {
    assert.equal(visible('plain ünïcödé 数字 7'), 'plain ünïcödé 数字 7');
    assert.equal(visible('a\nb\rc\td'), 'a\\nb\\rc\\td');
    assert.equal(visible('\x1b]8;;http://x\x07link\x1b]8;;\x07'), '\\e]8;;http://x\\x07link\\e]8;;\\x07');
    assert.equal(visible('\x1b[31mred\x1b[0m'), '\\e[31mred\\e[0m');
    assert.equal(visible('\x00\x7f\x9b2J'), '\\x00\\x7f\\x9b2J');
    assert.equal(visible('abc\u202etxt.exe'), 'abc\\u202etxt.exe');
  });

  it('every printed line passes through it: one call, one line', () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (d: Buffer) => (text += d.toString()));
    new StatusLine(process.stderr, false).print(out, 'file\x1b[2J\nforged: 7 1.000');
    assert.equal(text, 'file\\e[2J\\nforged: 7 1.000\n');
  });
});
