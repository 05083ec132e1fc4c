/**
 * Mutated IDX files (random bytes, truncations, header edits; seeded): every
 * outcome is either a valid parse with consistent counts or our clear error —
 * never another exception, a hang or a wrong count.
 */
import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { parseImages, parseLabels, readImages, readLabels } from '../../src/data/idx';
import { Rng } from '../../src/data/rng';
import { UserError } from '../../src/errors';
import { imagesIdx, labelsIdx, tempDir } from '../helpers/fixtures';

const tmp = tempDir();
after(tmp.cleanup);

type Mutation = (b: Buffer, rng: Rng) => Buffer;

const mutations: Mutation[] = [
  // flip random bytes anywhere
  (b, rng) => {
    const c = Buffer.from(b);
    for (let k = 1 + rng.int(4); k > 0; k--) c[rng.int(c.length)] = rng.int(256);
    return c;
  },
  // edit a header byte
  (b, rng) => {
    const c = Buffer.from(b);
    c[rng.int(Math.min(16, c.length))] = rng.int(256);
    return c;
  },
  // truncate
  (b, rng) => b.subarray(0, rng.int(b.length)),
  // append junk
  (b, rng) => Buffer.concat([b, Buffer.from(Array.from({ length: 1 + rng.int(50) }, () => rng.int(256)))]),
  // set the count field to something large
  (b, rng) => {
    const c = Buffer.from(b);
    if (c.length >= 8) c.writeUInt32BE(rng.int(2) ? 0xffffffff : rng.int(1000), 4);
    return c;
  },
];

function outcome(
  parse: () => { count: number },
  expectedLength: (count: number) => number,
  actualLength: number,
): 'ok' | 'error' {
  try {
    const r = parse();
    assert.equal(expectedLength(r.count), actualLength, 'a parse that succeeds accounts for every byte');
    return 'ok';
  } catch (err) {
    if (!(err instanceof UserError)) throw new Error(`unexpected ${String(err)}`, { cause: err });
    assert.ok(!err.message.includes('\n'));
    return 'error';
  }
}

describe('IDX fuzz', () => {
  it('survives 3,000 mutated raw files', () => {
    const rng = new Rng(1234);
    const images = imagesIdx(3, { seed: 1 });
    const labels = labelsIdx([0, 9, 5, 1]);
    const counts = { ok: 0, error: 0 };
    for (let i = 0; i < 3000; i++) {
      const mutate = mutations[i % mutations.length];
      if (i % 2 === 0) {
        const b = mutate(images, rng);
        counts[
          outcome(
            () => parseImages(b, `case-${i}`),
            (n) => 16 + n * 784,
            b.length,
          )
        ]++;
      } else {
        const b = mutate(labels, rng);
        counts[
          outcome(
            () => parseLabels(b, `case-${i}`),
            (n) => 8 + n,
            b.length,
          )
        ]++;
      }
    }
    assert.ok(counts.ok > 50 && counts.error > 1000, JSON.stringify(counts));
  });

  it('survives 300 mutated gzip files read from disk', () => {
    const rng = new Rng(99);
    const gz = gzipSync(imagesIdx(2, { seed: 2 }));
    const lgz = gzipSync(labelsIdx([3, 4]));
    for (let i = 0; i < 300; i++) {
      const src = i % 2 ? lgz : gz;
      const b = mutations[i % mutations.length](src, rng);
      const file = join(tmp.dir, `f${i}.gz`);
      writeFileSync(file, b);
      try {
        const r = i % 2 ? readLabels(file) : readImages(file);
        assert.ok(r.count >= 0);
      } catch (err) {
        assert.ok(err instanceof UserError, `case ${i}: ${String(err)}`);
        assert.ok((err as Error).message.startsWith(file), (err as Error).message);
      }
    }
  });
});
