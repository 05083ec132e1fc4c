/**
 * The two pictures a run's event file holds, drawn as PNGs with pngjs: the most confidently
 * wrong test digits in a grid (each captioned "true>predicted") and the confusion matrix as a
 * heat map with its counts. TensorBoard shows images, not SVG, so the report's charts cannot be
 * reused; the digits and the numbers are drawn with a 3x5 pixel font, which needs no font files.
 */
import { PNG } from 'pngjs';
import { IMAGE_COLS, IMAGE_ROWS, IMAGE_SIZE } from '../data/shapes';

export interface Picture {
  png: Buffer;
  width: number;
  height: number;
  /** 1 grey, 3 RGB. */
  channels: number;
}

type Rgb = [number, number, number];

/** 3x5 glyphs, rows top to bottom, 3 bits each (4 = left column). */
const GLYPHS: Record<string, number[]> = {
  '0': [7, 5, 5, 5, 7],
  '1': [2, 6, 2, 2, 7],
  '2': [7, 1, 7, 4, 7],
  '3': [7, 1, 7, 1, 7],
  '4': [5, 5, 7, 1, 1],
  '5': [7, 4, 7, 1, 7],
  '6': [7, 4, 7, 5, 7],
  '7': [7, 1, 1, 1, 1],
  '8': [7, 5, 7, 5, 7],
  '9': [7, 5, 7, 1, 7],
  '>': [4, 2, 1, 2, 4],
};
/** A glyph's advance: 3 pixels and a gap, times the scale. */
const advance = (scale: number) => 4 * scale;
const textWidth = (s: string, scale: number) => s.length * advance(scale) - scale;

class Canvas {
  readonly png: PNG;

  constructor(
    readonly width: number,
    readonly height: number,
    background: Rgb,
  ) {
    this.png = new PNG({ width, height });
    this.fill(0, 0, width, height, background);
  }

  set(x: number, y: number, [r, g, b]: Rgb): void {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    const i = (y * this.width + x) * 4;
    this.png.data[i] = r;
    this.png.data[i + 1] = g;
    this.png.data[i + 2] = b;
    this.png.data[i + 3] = 255;
  }

  fill(x0: number, y0: number, w: number, h: number, color: Rgb): void {
    for (let y = y0; y < y0 + h; y++) for (let x = x0; x < x0 + w; x++) this.set(x, y, color);
  }

  text(left: number, top: number, s: string, scale: number, color: Rgb): void {
    const x0 = Math.floor(left);
    const y0 = Math.floor(top);
    [...s].forEach((ch, k) => {
      GLYPHS[ch]?.forEach((bits, row) => {
        for (let col = 0; col < 3; col++) {
          if (bits & (4 >> col))
            this.fill(x0 + k * advance(scale) + col * scale, y0 + row * scale, scale, scale, color);
        }
      });
    });
  }

  /** The PNG, each pixel drawn as `zoom` x `zoom` (TensorBoard shows images at their own size). */
  encode(channels: 1 | 3, zoom = 1): Picture {
    const width = this.width * zoom;
    const height = this.height * zoom;
    const out = new PNG({ width, height });
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const from = (Math.floor(y / zoom) * this.width + Math.floor(x / zoom)) * 4;
        this.png.data.copy(out.data, (y * width + x) * 4, from, from + 4);
      }
    }
    const png = PNG.sync.write(out, { colorType: channels === 1 ? 0 : 2 });
    return { png, width, height, channels };
  }
}

export interface WrongDigit {
  /** 28x28 values in [0, 1]. */
  pixels: ArrayLike<number>;
  label: number;
  predicted: number;
}

const DIGIT_COLUMNS = 8;
const GAP = 2;
const CAPTION = 8;

/** The digits in rows of 8, each with its "true>predicted" caption below, white on black, at twice their size. */
export function wrongDigitsPicture(digits: WrongDigit[]): Picture {
  const cols = Math.max(1, Math.min(DIGIT_COLUMNS, digits.length));
  const rows = Math.max(1, Math.ceil(digits.length / DIGIT_COLUMNS));
  const cellW = IMAGE_COLS + GAP;
  const cellH = IMAGE_ROWS + CAPTION + GAP;
  const canvas = new Canvas(cols * cellW + GAP, rows * cellH + GAP, [0, 0, 0]);
  digits.forEach((d, k) => {
    const x0 = GAP + (k % DIGIT_COLUMNS) * cellW;
    const y0 = GAP + Math.floor(k / DIGIT_COLUMNS) * cellH;
    for (let i = 0; i < IMAGE_SIZE; i++) {
      const v = Math.round(Math.max(0, Math.min(1, d.pixels[i])) * 255);
      canvas.set(x0 + (i % IMAGE_COLS), y0 + Math.floor(i / IMAGE_COLS), [v, v, v]);
    }
    const caption = `${d.label}>${d.predicted}`;
    canvas.text(x0 + (IMAGE_COLS - textWidth(caption, 1)) / 2, y0 + IMAGE_ROWS + 2, caption, 1, [255, 255, 255]);
  });
  return canvas.encode(1, 2);
}

const CELL = 36;
const MARGIN = 24;
const LOW: Rgb = [255, 255, 255];
const HIGH: Rgb = [20, 70, 160];

/**
 * The confusion matrix (rows: true class, columns: predicted), each cell shaded by its share of
 * its row and labelled with its count; the class numbers along the top and the left.
 */
export function confusionPicture(confusion: number[][]): Picture {
  const n = confusion.length;
  const canvas = new Canvas(MARGIN + n * CELL + 1, MARGIN + n * CELL + 1, LOW);
  const grey: Rgb = [90, 90, 90];
  for (let k = 0; k < n; k++) {
    const label = String(k);
    const centred = (size: number, used: number) => (size - used) / 2;
    // Above column k, and left of row k.
    canvas.text(MARGIN + k * CELL + centred(CELL, textWidth(label, 2)), centred(MARGIN, 10), label, 2, grey);
    canvas.text(centred(MARGIN, textWidth(label, 2)), MARGIN + k * CELL + centred(CELL, 10), label, 2, grey);
  }
  confusion.forEach((row, i) => {
    const total = row.reduce((a, b) => a + b, 0);
    row.forEach((count, j) => {
      const share = total > 0 ? count / total : 0;
      const color = LOW.map((lo, c) => Math.round(lo + (HIGH[c] - lo) * share)) as Rgb;
      const x0 = MARGIN + j * CELL;
      const y0 = MARGIN + i * CELL;
      canvas.fill(x0 + 1, y0 + 1, CELL - 1, CELL - 1, color);
      if (count === 0) return;
      const s = String(count);
      const scale = textWidth(s, 2) <= CELL - 4 ? 2 : 1;
      canvas.text(
        x0 + Math.floor((CELL - textWidth(s, scale)) / 2),
        y0 + Math.floor((CELL - 5 * scale) / 2),
        s,
        scale,
        share > 0.5 ? [255, 255, 255] : [0, 0, 0],
      );
    });
  });
  // Grid lines between the cells.
  for (let k = 0; k <= n; k++) {
    canvas.fill(MARGIN + k * CELL, MARGIN, 1, n * CELL + 1, [210, 210, 210]);
    canvas.fill(MARGIN, MARGIN + k * CELL, n * CELL + 1, 1, [210, 210, 210]);
  }
  return canvas.encode(3);
}
