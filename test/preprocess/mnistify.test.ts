import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { FIELD, RgbaImage, mnistify } from '../../src/preprocess/mnistify';
import { digitAt, mnistTestSet, renderDigit, similarity } from '../../scripts/digits';

const { images, labels } = mnistTestSet();
/** The first test image of each class. */
const samples = Array.from({ length: 10 }, (_, c) => digitAt(images, labels.labels.indexOf(c)));
const asFloat = (d: Uint8Array) => Float32Array.from(d, (v) => v / 255);

function centreOfMass(p: Float32Array): { x: number; y: number } {
  let m = 0;
  let x = 0;
  let y = 0;
  for (let i = 0; i < p.length; i++) {
    m += p[i];
    x += p[i] * (i % FIELD);
    y += p[i] * Math.floor(i / FIELD);
  }
  return { x: x / m, y: y / m };
}

function extent(p: Float32Array, threshold = 0.25): { w: number; h: number } {
  let x0 = FIELD,
    x1 = -1,
    y0 = FIELD,
    y1 = -1;
  p.forEach((v, i) => {
    if (v < threshold) return;
    const x = i % FIELD;
    const y = Math.floor(i / FIELD);
    x0 = Math.min(x0, x);
    x1 = Math.max(x1, x);
    y0 = Math.min(y0, y);
    y1 = Math.max(y1, y);
  });
  return { w: x1 - x0 + 1, h: y1 - y0 + 1 };
}

function uniform(width: number, height: number, rgba: [number, number, number, number]): RgbaImage {
  const data = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) data.set(rgba, i * 4);
  return { width, height, data };
}

test('the compiled module imports nothing, so the browser can load the same file', () => {
  const js = readFileSync(require.resolve('../../src/preprocess/mnistify'), 'utf8');
  assert.doesNotMatch(js, /require\(|import\s/);
});

test('an MNIST digit as it is (bright on black, 28x28) comes back nearly unchanged', () => {
  for (const d of samples) {
    const out = mnistify(
      renderDigit(d, { size: 28, width: 28, height: 28, x: 0, y: 0, ink: [255, 255, 255], paper: [0, 0, 0] }),
    );
    assert.equal(out.polarity, 'light-on-dark');
    assert.equal(out.pixels.length, 784);
    assert.ok(similarity(out.pixels, asFloat(d)) > 0.9, `similarity ${similarity(out.pixels, asFloat(d))}`);
  }
});

test('output is in [0,1], the longer side is 20 px and the centre of mass is at the centre', () => {
  for (const d of samples) {
    const { pixels } = mnistify(renderDigit(d, { size: 300, width: 400, height: 350, x: 90, y: 10 }));
    assert.ok(pixels.every((v) => v >= 0 && v <= 1));
    assert.equal(Math.max(...pixels), 1);
    // 20 px in continuous coordinates: 19 to 22 pixels above 0.2, by sub-pixel position.
    const { w, h } = extent(pixels, 0.2);
    assert.ok(Math.max(w, h) >= 19 && Math.max(w, h) <= 22, `extent ${w}x${h}`);
    const c = centreOfMass(pixels);
    assert.ok(Math.abs(c.x - 14) <= 0.5 && Math.abs(c.y - 14) <= 0.5, `centre of mass ${c.x},${c.y}`);
  }
});

test('the same digit drawn at 8 px, 500 px, off-centre, inverted, transparent or in colour gives nearly the same input', () => {
  for (const [c, d] of samples.entries()) {
    const reference = mnistify(renderDigit(d, { size: 112, width: 112, height: 112, x: 0, y: 0 })).pixels;
    assert.ok(
      similarity(reference, asFloat(d)) > 0.85,
      `class ${c}: reference vs MNIST ${similarity(reference, asFloat(d))}`,
    );
    const variants: Array<[string, RgbaImage, number]> = [
      // 8 px: the field drawn at 11 px so that the digit itself (20/28 of it) is 8 px tall.
      ['8 px', renderDigit(d, { size: 11, width: 30, height: 24, x: 3, y: 9 }), 0.85],
      ['500 px', renderDigit(d, { size: 700, width: 760, height: 720, x: 40, y: 5 }), 0.98],
      ['off-centre', renderDigit(d, { size: 60, width: 300, height: 200, x: 230, y: 0 }), 0.98],
      [
        'bright on black',
        renderDigit(d, { size: 90, width: 120, height: 100, x: 20, y: 5, ink: [255, 255, 255], paper: [0, 0, 0] }),
        0.98,
      ],
      ['black on transparent', renderDigit(d, { size: 90, width: 100, height: 100, x: 5, y: 5, paperAlpha: 0 }), 0.98],
      [
        'white on transparent',
        renderDigit(d, { size: 90, width: 100, height: 100, x: 5, y: 5, ink: [255, 255, 255], paperAlpha: 0 }),
        0.98,
      ],
      [
        'blue on yellow',
        renderDigit(d, { size: 90, width: 100, height: 100, x: 5, y: 5, ink: [20, 40, 200], paper: [250, 230, 90] }),
        0.98,
      ],
      [
        'grey on grey',
        renderDigit(d, { size: 90, width: 100, height: 100, x: 5, y: 5, ink: [90, 90, 90], paper: [170, 170, 170] }),
        0.98,
      ],
    ];
    for (const [name, image, min] of variants) {
      const s = similarity(mnistify(image).pixels, reference);
      assert.ok(s > min, `class ${c}, ${name}: similarity ${s.toFixed(3)} <= ${min}`);
    }
  }
});

test('polarity: guessed from the picture, or as given', () => {
  const d = samples[3];
  assert.equal(mnistify(renderDigit(d, { size: 56, width: 60, height: 60, x: 2, y: 2 })).polarity, 'dark-on-light');
  const bright = renderDigit(d, {
    size: 56,
    width: 60,
    height: 60,
    x: 2,
    y: 2,
    ink: [255, 255, 255],
    paper: [0, 0, 0],
  });
  assert.equal(mnistify(bright).polarity, 'light-on-dark');
  const given = mnistify(bright, { polarity: 'light-on-dark' });
  assert.equal(given.polarity, 'light-on-dark');
  assert.deepEqual(given.pixels, mnistify(bright).pixels);
  // The wrong polarity, given: nothing is brighter than the black background.
  assert.throws(
    () => mnistify(bright, { polarity: 'dark-on-light' }),
    /read as dark-on-light \(is that the right polarity\?\)/,
  );
});

test('faint noise does not widen the crop', () => {
  const d = samples[1];
  const clean = renderDigit(d, { size: 100, width: 200, height: 200, x: 50, y: 50 });
  const noisy = { ...clean, data: Uint8ClampedArray.from(clean.data) };
  // Paper texture: a light grey speck every 7 pixels, 12% as dark as the ink.
  for (let i = 0; i < 200 * 200; i += 7)
    for (let c = 0; c < 3; c++) noisy.data[i * 4 + c] = Math.min(noisy.data[i * 4 + c], 225);
  assert.ok(similarity(mnistify(noisy).pixels, mnistify(clean).pixels) > 0.97);
});

test('garment layout fills the 28x28 field on its longer side', () => {
  const { pixels } = mnistify(renderDigit(samples[0], { size: 100, width: 120, height: 120, x: 10, y: 10 }), {
    layout: 'garment',
  });
  const { w, h } = extent(pixels, 0.05);
  assert.ok(Math.max(w, h) >= 27, `extent ${w}x${h}`);
});

test('blank, empty, transparent and malformed images throw a clear error', () => {
  assert.throws(() => mnistify(uniform(50, 40, [255, 255, 255, 255])), /no digit found: the image is blank/);
  assert.throws(() => mnistify(uniform(50, 40, [0, 0, 0, 255])), /no digit found/);
  assert.throws(() => mnistify(uniform(50, 40, [10, 200, 30, 0])), /fully transparent/);
  assert.throws(() => mnistify(uniform(1, 1, [0, 0, 0, 255])), /blank/);
  assert.throws(() => mnistify({ width: 0, height: 0, data: new Uint8Array(0) }), /empty \(0x0 pixels\)/);
  assert.throws(() => mnistify({ width: 2, height: 2, data: new Uint8Array(15) }), /expected 16/);
  assert.throws(() => mnistify({ width: -1, height: 2, data: new Uint8Array(0) }), /invalid image size/);
});
