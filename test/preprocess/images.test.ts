import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { MAX_PIXELS, decodeImage, exifOrientation, readImageFile, sniffFormat } from '../../src/preprocess/images';
import { tempDir } from '../helpers/fixtures';
import { makeFifo } from '../helpers/special';
import { digitAt, jpegOf, mnistTestSet, pngOf, renderDigit } from '../../scripts/digits';

const { images } = mnistTestSet();
const picture = renderDigit(digitAt(images, 0), {
  size: 40,
  width: 48,
  height: 44,
  x: 4,
  y: 2,
  ink: [200, 20, 20],
  paper: [250, 250, 240],
});
const rgba = Buffer.from(picture.data);

/** A copy of a file whose header claims another size; nothing else changes. */
function withDeclaredSize(bytes: Buffer, width: number, height: number): Buffer {
  const b = Buffer.from(bytes);
  if (sniffFormat(b) === 'png') {
    b.writeUInt32BE(width, 16);
    b.writeUInt32BE(height, 20);
  } else {
    const sof = b.indexOf(Buffer.from([0xff, 0xc0]));
    b.writeUInt16BE(height, sof + 5);
    b.writeUInt16BE(width, sof + 7);
  }
  return b;
}

test('PNG and JPEG decode to the same RGBA picture (JPEG within its loss)', () => {
  const png = decodeImage(pngOf(picture));
  assert.equal(png.format, 'png');
  assert.deepEqual([png.width, png.height], [48, 44]);
  assert.deepEqual(Buffer.from(png.data), rgba);
  const jpg = decodeImage(jpegOf(picture, 95));
  assert.equal(jpg.format, 'jpeg');
  assert.deepEqual([jpg.width, jpg.height], [48, 44]);
  let worst = 0;
  for (let i = 0; i < rgba.length; i++) if (i % 4 !== 3) worst = Math.max(worst, Math.abs(jpg.data[i] - rgba[i]));
  assert.ok(worst < 60, `largest JPEG error ${worst}`);
});

test('greyscale and 16-bit PNGs are read as RGBA', () => {
  const grey = new PNG({
    width: 48,
    height: 44,
    colorType: 0,
    inputColorType: 6,
    bitDepth: 16,
  } as ConstructorParameters<typeof PNG>[0]);
  rgba.copy(grey.data);
  const bytes = PNG.sync.write(grey, { colorType: 0, inputColorType: 6, bitDepth: 16 });
  const back = decodeImage(bytes);
  assert.equal(back.data.length, 48 * 44 * 4);
  assert.equal(back.data[3], 255);
});

test('bad files: each gets a clear reason, and huge ones are refused before decoding', () => {
  const png = pngOf(picture);
  const jpg = jpegOf(picture);
  assert.throws(() => decodeImage(Buffer.from('hello world')), /not a PNG or JPEG image \(it starts with "hello wo"\)/);
  assert.throws(() => decodeImage(Buffer.alloc(0)), /not a PNG or JPEG image \(the file is empty\)/);
  assert.throws(() => decodeImage(png.subarray(0, 20)), /truncated PNG/);
  assert.throws(() => decodeImage(png.subarray(0, png.length - 30)), /cannot decode PNG: truncated or corrupt/);
  assert.throws(() => decodeImage(jpg.subarray(0, 10)), /truncated JPEG/);
  assert.throws(() => decodeImage(jpg.subarray(0, jpg.length >> 1)), /cannot decode JPEG: truncated or corrupt/);
  for (const bytes of [png, jpg]) {
    assert.throws(() => decodeImage(withDeclaredSize(bytes, 0, 0)), /the image is empty \(0x0 pixels\)/);
    const t0 = Date.now();
    assert.throws(
      () => decodeImage(withDeclaredSize(bytes, 30_000, 30_000)),
      /30000x30000 pixels, more than the 50 megapixels accepted; refused without decoding/,
    );
    // Decoding 900 megapixels would take minutes and gigabytes; generous for a loaded machine.
    assert.ok(Date.now() - t0 < 2000, `${Date.now() - t0} ms`);
  }
  assert.equal(MAX_PIXELS, 50_000_000);
});

test('readImageFile: missing files and folders are named as such', () => {
  const tmp = tempDir();
  try {
    const file = join(tmp.dir, 'a.png');
    writeFileSync(file, pngOf(picture));
    assert.equal(readImageFile(file).width, 48);
    assert.throws(() => readImageFile(join(tmp.dir, 'nope.png')), /^Error: not found$/);
    assert.throws(() => readImageFile(tmp.dir), /is a directory, expected a regular file/);
  } finally {
    tmp.cleanup();
  }
});

/** The JPEG with an EXIF segment (APP1) right after its start marker, saying `orientation`. */
function withOrientation(jpg: Buffer, orientation: number, little: boolean): Buffer {
  const tiff = Buffer.alloc(26);
  const w16 = (v: number, at: number) => (little ? tiff.writeUInt16LE(v, at) : tiff.writeUInt16BE(v, at));
  const w32 = (v: number, at: number) => (little ? tiff.writeUInt32LE(v, at) : tiff.writeUInt32BE(v, at));
  tiff.write(little ? 'II' : 'MM', 0, 'latin1');
  w16(42, 2);
  w32(8, 4);
  w16(1, 8); // one IFD entry:
  w16(0x0112, 10); // Orientation,
  w16(3, 12); // SHORT,
  w32(1, 14); // one value,
  w16(orientation, 18); // this one
  const header = Buffer.from([0xff, 0xe1, 0, 0]);
  header.writeUInt16BE(2 + 6 + tiff.length, 2);
  return Buffer.concat([jpg.subarray(0, 2), header, Buffer.from('Exif\0\0', 'latin1'), tiff, jpg.subarray(2)]);
}

test('JPEG: the EXIF orientation of a phone photo is undone', () => {
  // 40x30, grey, with a red block in the stored top-left corner.
  const w = 40;
  const h = 30;
  const data = new Uint8Array(w * h * 4).fill(128);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) if (x < 8 && y < 8) data.set([230, 20, 20, 255], (y * w + x) * 4);
  for (let i = 3; i < data.length; i += 4) data[i] = 255;
  const jpg = jpegOf({ width: w, height: h, data }, 95);
  assert.equal(exifOrientation(jpg), 1);
  // Where the stored top-left corner is shown, for orientations 1 to 8.
  const corner = [
    'top-left',
    'top-right',
    'bottom-right',
    'bottom-left',
    'top-left',
    'top-right',
    'bottom-right',
    'bottom-left',
  ];
  for (const little of [false, true]) {
    for (let o = 1; o <= 8; o++) {
      const bytes = withOrientation(jpg, o, little);
      assert.equal(exifOrientation(bytes), o);
      const img = decodeImage(bytes);
      assert.deepEqual([img.width, img.height], o >= 5 ? [h, w] : [w, h], `orientation ${o}`);
      const at = (x: number, y: number) => img.data[(y * img.width + x) * 4];
      const red = {
        'top-left': at(2, 2),
        'top-right': at(img.width - 3, 2),
        'bottom-right': at(img.width - 3, img.height - 3),
        'bottom-left': at(2, img.height - 3),
      };
      for (const [name, r] of Object.entries(red)) {
        assert.ok(
          name === corner[o - 1] ? r > 190 : r < 160,
          `orientation ${o}${little ? ' (II)' : ''}: ${name} red ${r}`,
        );
      }
    }
  }
});

test('readImageFile refuses a FIFO named like an image at once (the read policy), never waiting for a writer', () => {
  const tmp = tempDir();
  try {
    const fifo = makeFifo(join(tmp.dir, 'digit.png'));
    assert.throws(() => readImageFile(fifo), /^Error: is a FIFO \(named pipe\), expected a regular file$/);
  } finally {
    tmp.cleanup();
  }
});
