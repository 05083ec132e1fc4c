/**
 * The event-file format piece by piece, on real files: CRC32C against published check values,
 * TFRecord framing (torn and corrupt tails), the Event protobuf, the writer and reader, the
 * failure rule (a full disk: /dev/full), trimming on resume, the pictures and the log folder.
 */
import { strict as assert } from 'node:assert';
import { appendFileSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { PNG } from 'pngjs';
import { UserError } from '../../src/errors';
import { crc32c, maskedCrc32c } from '../../src/tensorboard/crc32c';
import { confusionPicture, wrongDigitsPicture } from '../../src/tensorboard/images';
import { chooseLogdir, checkLogdir, freshRunDir, timeStamp } from '../../src/tensorboard/logdir';
import { DT_STRING, decodeEvent, encodeEvent } from '../../src/tensorboard/proto';
import { eventFiles, readEventDir, readEventFile, scalarSeries } from '../../src/tensorboard/reader';
import { RunEvents } from '../../src/tensorboard/run';
import { image, markdownTable, scalar, text } from '../../src/tensorboard/summaries';
import { frameRecord, parseRecords } from '../../src/tensorboard/tfrecord';
import { EventFileWriter, FILE_VERSION } from '../../src/tensorboard/writer';
import { tempDir } from '../helpers/fixtures';

const tmp = tempDir();
after(tmp.cleanup);
let n = 0;
const fresh = (name: string) => join(tmp.dir, `${name}-${n++}`);

describe('CRC32C', () => {
  it('gives the published check values (RFC 3720 B.4 and the "123456789" check)', () => {
    assert.equal(crc32c(Buffer.from('123456789')), 0xe3069283);
    assert.equal(crc32c(Buffer.alloc(0)), 0);
    assert.equal(crc32c(Buffer.alloc(32, 0)), 0x8a9136aa);
    assert.equal(crc32c(Buffer.alloc(32, 0xff)), 0x62a8ab43);
    assert.equal(crc32c(Buffer.from(Array.from({ length: 32 }, (_, i) => i))), 0x46dd794e);
  });

  it('masks as TFRecord does: rotate right 15, add 0xa282ead8, modulo 2^32', () => {
    assert.equal(maskedCrc32c(Buffer.alloc(0)), 0xa282ead8);
    const crc = 0xe3069283;
    assert.equal(maskedCrc32c(Buffer.from('123456789')), (((crc >>> 15) | (crc << 17)) + 0xa282ead8) >>> 0);
  });
});

describe('TFRecord framing', () => {
  const records = [Buffer.from('first'), Buffer.alloc(0), Buffer.alloc(70_000, 7)];
  const file = Buffer.concat(records.map(frameRecord));

  it('frames as length, masked CRC of the length, data, masked CRC of the data', () => {
    const one = frameRecord(Buffer.from('first'));
    assert.equal(one.length, 8 + 4 + 5 + 4);
    assert.equal(one.readBigUInt64LE(0), 5n);
    assert.equal(one.readUInt32LE(8), maskedCrc32c(one.subarray(0, 8)));
    assert.equal(one.subarray(12, 17).toString(), 'first');
    assert.equal(one.readUInt32LE(17), maskedCrc32c(Buffer.from('first')));
  });

  it('reads back every record', () => {
    const parsed = parseRecords(file);
    assert.deepEqual(parsed.records, records);
    assert.equal(parsed.validBytes, file.length);
    assert.equal(parsed.problem, undefined);
  });

  it('stops at a torn tail or a corrupt record, keeping the whole ones before it', () => {
    const firstTwo = frameRecord(records[0]).length + frameRecord(records[1]).length;
    for (const cut of [firstTwo + 3, firstTwo + 12, file.length - 1]) {
      const parsed = parseRecords(file.subarray(0, cut));
      assert.equal(parsed.records.length, 2);
      assert.equal(parsed.validBytes, firstTwo);
      assert.match(parsed.problem ?? '', /torn/);
    }
    const corrupt = Buffer.from(file);
    corrupt[firstTwo + 20] ^= 1;
    assert.match(parseRecords(corrupt).problem ?? '', /CRC does not match at byte \d+/);
    const badLength = Buffer.from(file);
    badLength[0] ^= 1;
    assert.equal(parseRecords(badLength).records.length, 0);
    assert.match(parseRecords(badLength).problem ?? '', /length whose CRC/);
  });
});

describe('Event protobuf', () => {
  it('encodes the fields with TensorFlow numbers, and decodes them back', () => {
    const bytes = encodeEvent({ wallTime: 1.5, step: 7, fileVersion: FILE_VERSION });
    // wall_time (1, double), step (2, varint), file_version (3, bytes), by hand.
    const expected = Buffer.concat([
      Buffer.from([0x09]),
      Buffer.from(new Float64Array([1.5]).buffer),
      Buffer.from([0x10, 7, 0x1a, FILE_VERSION.length]),
      Buffer.from(FILE_VERSION),
    ]);
    assert.deepEqual(Buffer.from(bytes), expected);
    assert.deepEqual(decodeEvent(bytes), { wallTime: 1.5, step: 7, fileVersion: FILE_VERSION });
  });

  it('holds scalars (as float32), images and text tensors, and steps past 2^32', () => {
    const png = Buffer.from([137, 80, 78, 71]);
    const event = {
      wallTime: 1_800_000_000.25,
      step: 2 ** 40,
      summary: {
        value: [
          scalar('train/loss', 0.1),
          image('pic', png, { width: 3, height: 2, channels: 1 }),
          text('notes', 'a | b'),
        ],
      },
    };
    const back = decodeEvent(encodeEvent(event));
    assert.equal(back.step, 2 ** 40);
    assert.equal(back.wallTime, event.wallTime);
    const [loss, pic, notes] = back.summary?.value ?? [];
    assert.equal(loss.simpleValue, Math.fround(0.1));
    assert.deepEqual(pic.image, { width: 3, height: 2, colorspace: 1, encodedImageString: png });
    assert.equal(notes.metadata?.pluginData?.pluginName, 'text');
    assert.equal(notes.tensor?.dtype, DT_STRING);
    assert.equal(Buffer.from(notes.tensor?.stringVal?.[0] ?? []).toString(), 'a | b');
  });

  it('writes a scalar of exactly 0 (proto3 leaves zeros out, but not a oneof member), and leaves out step 0', () => {
    const bytes = Buffer.from(encodeEvent({ wallTime: 0, step: 0, summary: { value: [scalar('a', 0)] } }));
    // summary (5) { value (1) { tag (1) "a", simple_value (2) 0.0f } }: nothing for wall_time or step.
    assert.equal(bytes.toString('hex'), '2a0a0a080a01611500000000');
    assert.deepEqual(decodeEvent(bytes), { wallTime: 0, step: 0, summary: { value: [{ tag: 'a', simpleValue: 0 }] } });
  });

  it('markdown tables escape what would break them', () => {
    assert.equal(markdownTable(['k', 'v'], [['a|b', 'c\nd']]), '| k | v |\n| --- | --- |\n| a\\|b | c d |');
  });
});

describe('writer and reader', () => {
  it('writes file_version first, then each event, readable at once', () => {
    const dir = fresh('run');
    const w = EventFileWriter.create(dir, Date.UTC(2026, 0, 2) + 999);
    assert.match(w.file, /events\.out\.tfevents\.1767312000\.[^/]+$/);
    for (let step = 0; step < 5; step++)
      w.append({ wallTime: 1, step: step * 10, summary: { value: [scalar('x', step / 4)] } });
    // No close: a live TensorBoard reads the file while it is open.
    const { events, problem } = readEventFile(w.file);
    assert.equal(problem, undefined);
    assert.deepEqual(events[0], { wallTime: 1767312000.999, step: 0, fileVersion: FILE_VERSION });
    assert.deepEqual(
      scalarSeries(events)
        .get('x')
        ?.map((p) => [p.step, p.value]),
      [0, 1, 2, 3, 4].map((i) => [i * 10, i / 4]),
    );
    w.close();
  });

  it('two writers begun in the same second get two files', () => {
    const dir = fresh('same-second');
    const a = EventFileWriter.create(dir, 5000);
    const b = EventFileWriter.create(dir, 5000);
    assert.notEqual(a.file, b.file);
    assert.equal(eventFiles(dir).length, 2);
    a.close();
    b.close();
  });

  it('a path through a file is a one-line error', () => {
    const file = fresh('plain');
    writeFileSync(file, 'x');
    assert.throws(
      () => EventFileWriter.create(join(file, 'run')),
      (e: unknown) => e instanceof UserError && /: cannot write: a part of the path is not a folder$/.test(e.message),
    );
  });
});

/**
 * Runs `script` in a Node child whose files may grow to `kb` KiB only (RLIMIT_FSIZE): its writes
 * past that fail with EFBIG, as they would on a full disk. Node ignores SIGXFSZ.
 */
function withFileSizeLimit(kb: number, script: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('bash', ['-c', `ulimit -f ${kb} && exec "$0" -e "$1"`, process.execPath, script], {
    encoding: 'utf8',
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
const noBash = existsSync('/bin/bash') ? false : 'needs bash for ulimit -f';
const SRC = join(__dirname, '../../src/tensorboard');

describe('the failure rule', () => {
  it('a failed write is said once, taken back off the file, and later writes are skipped', { skip: noBash }, () => {
    const dir = fresh('failing');
    const r = withFileSizeLimit(
      8,
      `const { RunEvents } = require(${JSON.stringify(join(SRC, 'run.js'))});
       const { scalar } = require(${JSON.stringify(join(SRC, 'summaries.js'))});
       const run = RunEvents.open(${JSON.stringify(dir)}, { startStep: 0, warn: (l) => console.log('WARN ' + l) });
       for (let s = 0; s < 1000; s++) run.values(s, [scalar('train/loss', s), scalar('train/long_name_for_bytes', s)]);
       console.log('DONE');`,
    );
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 2, r.stdout);
    assert.match(
      lines[0],
      /^WARN TensorBoard events stopped: .*events\.out\.tfevents\.\S+: cannot write: file too large .*; training goes on without them$/,
    );
    assert.equal(lines[1], 'DONE');
    const { events, problem } = readEventFile(eventFiles(dir)[0]);
    assert.equal(problem, undefined, 'the file ends on a whole record');
    const loss = scalarSeries(events).get('train/loss') ?? [];
    assert.ok(loss.length > 50 && loss.length < 1000, `${loss.length} steps written`);
    assert.deepEqual(
      loss.map((p) => p.step),
      loss.map((_, i) => i),
    );
  });

  it('a folder that cannot be used is a one-line error naming the option', () => {
    const file = fresh('a-file');
    writeFileSync(file, 'x');
    const opened = (dir: string) => () => RunEvents.open(dir, { warn: () => {} });
    assert.throws(opened(file), (e: unknown) => e instanceof UserError && e.message.startsWith(`--logdir ${file}: `));
    assert.throws(
      () => checkLogdir(file, '--logdir'),
      (e: unknown) => e instanceof UserError && e.message === `--logdir ${file}: exists and is not a folder`,
    );
    assert.throws(
      () => checkLogdir(join(file, 'run'), '--logdir'),
      (e: unknown) => e instanceof UserError && e.message === `--logdir ${join(file, 'run')}: ${file} is not a folder`,
    );
  });

  it(
    'an unwritable folder is a one-line error',
    { skip: process.getuid?.() === 0 ? 'root can write anywhere' : false },
    () => {
      const dir = fresh('read-only');
      mkdirSync(dir, { mode: 0o555 });
      assert.throws(
        () => checkLogdir(join(dir, 'run'), '--logdir'),
        (e: unknown) =>
          e instanceof UserError &&
          e.message === `--logdir ${join(dir, 'run')}: cannot write to ${dir}: permission denied`,
      );
    },
  );
});

describe('resuming', () => {
  const steps = (dir: string) =>
    readEventDir(dir).flatMap((e) => (e.summary?.value ?? []).map((v) => `${v.tag}@${e.step}`));

  it("drops the events a resumed run writes again, keeps the finished run's evaluation", () => {
    const dir = fresh('resume');
    const first = RunEvents.open(dir, { startStep: 0, warn: () => {} });
    for (const s of [0, 10, 20, 30]) first.values(s, [scalar('train/loss', s)]);
    first.values(20, [scalar('validation/accuracy', 0.5)]);
    first.close();
    const before = readFileSync(eventFiles(dir)[0]);
    const ownFiles = first.files;
    RunEvents.open(dir, { startStep: 40, warn: () => {}, ownFiles }).close();
    assert.deepEqual(readFileSync(eventFiles(dir)[0]), before, 'nothing to drop: untouched');
    RunEvents.open(dir, { startStep: 20, warn: () => {}, ownFiles }).close();
    assert.deepEqual(steps(dir), ['train/loss@0', 'train/loss@10', 'validation/accuracy@20']);
  });

  it('leaves a file it did not write alone, and one with a torn tail whole, saying so once', () => {
    const dir = fresh('torn');
    const first = RunEvents.open(dir, { startStep: 0, warn: () => {} });
    first.values(0, [scalar('train/loss', 1)]);
    first.values(10, [scalar('train/loss', 1)]);
    first.close();
    const file = eventFiles(dir)[0];
    RunEvents.open(dir, { startStep: 5, warn: () => {} }).close();
    assert.deepEqual(steps(dir), ['train/loss@0', 'train/loss@10'], 'not named as its own: untouched');
    appendFileSync(file, Buffer.from([1, 2, 3]));
    const bytes = readFileSync(file);
    const warned: string[] = [];
    RunEvents.open(dir, { startStep: 5, warn: (l) => warned.push(l), ownFiles: first.files }).close();
    assert.deepEqual(readFileSync(file), bytes, 'no byte dropped');
    assert.equal(warned.length, 1);
    assert.match(warned[0], /: a torn record header at byte \d+; left as it is \(its steps from 5 on may show twice/);
  });
});

describe('pictures', () => {
  it('the wrong digits: 8 a row, twice their size, grey PNG', () => {
    const digit = (v: number) => ({ pixels: new Float32Array(784).fill(v), label: 3, predicted: 5 });
    const pic = wrongDigitsPicture(Array.from({ length: 10 }, (_, i) => digit(i / 10)));
    const png = PNG.sync.read(pic.png);
    assert.deepEqual([png.width, png.height, pic.channels], [pic.width, pic.height, 1]);
    assert.equal(pic.width, (8 * 30 + 2) * 2);
    assert.equal(pic.height, (2 * 38 + 2) * 2);
    // The second digit (0.1 grey) fills its cell.
    const at = (x: number, y: number) => png.data[(y * png.width + x) * 4];
    assert.equal(at((2 + 30 + 14) * 2, (2 + 14) * 2), Math.round(0.1 * 255));
  });

  it('the confusion matrix: a cell per pair, darker for a larger share of its row', () => {
    const m = Array.from({ length: 10 }, (_, i) =>
      Array.from({ length: 10 }, (_, j) => (i === j ? 90 : j === 0 ? 10 : 0)),
    );
    const pic = confusionPicture(m);
    const png = PNG.sync.read(pic.png);
    assert.equal(pic.channels, 3);
    assert.equal(png.width, 24 + 360 + 1);
    const pixel = (i: number, j: number) => {
      const k = ((24 + i * 36 + 2) * png.width + 24 + j * 36 + 2) * 4;
      return png.data[k] + png.data[k + 1] + png.data[k + 2];
    };
    assert.ok(pixel(3, 3) < pixel(3, 0), 'the diagonal is darker');
    assert.ok(pixel(3, 0) < pixel(3, 5), 'a 10% cell is shaded, an empty one white');
    assert.equal(pixel(3, 5), 765);
  });
});

describe('log folder', () => {
  const now = new Date(2026, 11, 2, 9, 5, 7);

  it('names fresh runs <model>-<YYYYMMDD-HHMMSS> under runs/ or $MNIST_DEEP_LOGDIR', () => {
    assert.equal(timeStamp(now), '20261202-090507');
    assert.equal(chooseLogdir({ option: undefined, name: 'cnn', now }), undefined);
    assert.equal(chooseLogdir({ option: true, name: 'cnn', now }), join(process.cwd(), 'runs', 'cnn-20261202-090507'));
    assert.equal(chooseLogdir({ option: undefined, name: 'cnn', env: '/tb', now }), '/tb/cnn-20261202-090507');
    assert.equal(chooseLogdir({ option: undefined, name: 'cnn', env: ' ', now }), undefined);
    assert.equal(chooseLogdir({ option: 'x/y', name: 'cnn', env: '/tb', now }), join(process.cwd(), 'x', 'y'));
  });

  it('a resumed run keeps its folder unless another is named', () => {
    assert.equal(chooseLogdir({ option: undefined, current: '/old', name: 'cnn', now }), '/old');
    assert.equal(chooseLogdir({ option: true, current: '/old', name: 'cnn', now }), '/old');
    assert.equal(chooseLogdir({ option: '/new', current: '/old', name: 'cnn', now }), '/new');
  });

  it('two runs started in the same second get two folders', () => {
    const root = fresh('root');
    const a = freshRunDir(root, 'softmax', now);
    mkdirSync(a, { recursive: true });
    const b = freshRunDir(root, 'softmax', now);
    assert.equal(b, `${a}-2`);
    assert.deepEqual(readdirSync(root), ['softmax-20261202-090507']);
  });
});
