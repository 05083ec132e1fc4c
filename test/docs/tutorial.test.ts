/**
 * docs/tutorial.md sets the tutorial's program beside our code; a rename or a
 * rewrite would leave it pointing at nothing. Every `file:symbol` it names
 * must exist with that symbol declared, every file it names must exist, and
 * each quoted line of our code must still be in the file named above it.
 */
import { strict as assert } from 'node:assert';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';

const ROOT = resolve(__dirname, '../../..');
const PAGE = readFileSync(resolve(ROOT, 'docs/tutorial.md'), 'utf8');

/** `path` or `path:Symbol` or `path:Class.member` in backticks, for our sources and the addon. */
const REFERENCE = /`((?:src|addon)\/[\w./-]+\.(?:ts|cc))(?::([\w.]+))?`/g;

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Whether `text` declares `name` (TypeScript or C++), or a member `name` of class `owner`. */
function declares(text: string, symbol: string): boolean {
  const [owner, member] = symbol.includes('.') ? symbol.split('.') : [undefined, symbol];
  const declaration = (name: string) =>
    new RegExp(
      `(?:function|class|const|let|interface|type|enum)\\s+${escape(name)}\\b|^\\w[\\w:<>*\\s]*\\s\\*?${escape(name)}\\(`,
      'm',
    );
  if (owner === undefined) return declaration(member).test(text);
  const start = text.search(declaration(owner));
  if (start < 0) return false;
  return new RegExp(`^\\s+(?:(?:private|readonly|static|async)\\s+)*${escape(member)}\\s*[(<]`, 'm').test(
    text.slice(start),
  );
}

describe('docs/tutorial.md', () => {
  const refs = [...PAGE.matchAll(REFERENCE)].map((m) => ({ file: m[1], symbol: m[2] }));

  it('names our files and functions (the reading order has something to check)', () => {
    assert.ok(refs.filter((r) => r.symbol).length >= 20, `only ${refs.length} references found`);
  });

  it('every file it names exists', () => {
    assert.deepEqual(
      refs.filter((r) => !existsSync(resolve(ROOT, r.file))).map((r) => r.file),
      [],
    );
  });

  it('every file:symbol it names is declared in that file', () => {
    const missing = refs
      .filter((r) => r.symbol && existsSync(resolve(ROOT, r.file)))
      .filter((r) => !declares(readFileSync(resolve(ROOT, r.file), 'utf8'), r.symbol as string))
      .map((r) => `${r.file}:${r.symbol}`);
    assert.deepEqual(missing, []);
  });

  it('each quoted block of our code is still in the file its first line names', () => {
    const blocks = [...PAGE.matchAll(/```ts\n\/\/ (\S+)\n([\s\S]*?)```/g)];
    assert.ok(blocks.length >= 5, `only ${blocks.length} quoted blocks`);
    const stale = blocks.flatMap(([, file, body]) => {
      const path = resolve(ROOT, file);
      if (!existsSync(path)) return [`${file}: no such file`];
      const lines = new Set(
        readFileSync(path, 'utf8')
          .split('\n')
          .map((l) => l.trim()),
      );
      return body
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l && !lines.has(l))
        .map((l) => `${file}: ${l}`);
    });
    assert.deepEqual(stale, []);
  });

  it('is linked from the README', () => {
    assert.match(readFileSync(resolve(ROOT, 'README.md'), 'utf8'), /\]\(docs\/tutorial\.md\)/);
  });
});
