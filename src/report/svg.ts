/**
 * The report's three kinds of chart as plain SVG text: line plots with axes, horizontal bars and
 * a heat map. Small and ours rather than a charting library: the page then needs no script at
 * all (nothing to inline, nothing to fail in the browser), and the output is deterministic text
 * that the tests can read.
 */

export function escapeXml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );
}

const fmt = (v: number) => String(Number(v.toPrecision(6)));

/** About `count` round tick values (1, 2 or 5 times a power of ten apart) covering [lo, hi]. */
export function linearTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw * (1 - 1e-9)) ?? 10 * power;
  const ticks: number[] = [];
  for (let t = Math.ceil(lo / step - 1e-9) * step; t <= hi + step * 1e-9; t += step)
    ticks.push(Number(t.toPrecision(12)));
  return ticks;
}

/** Powers of ten in [lo, hi] (lo > 0), with 2 and 5 times them when there are few. */
export function logTicks(lo: number, hi: number): number[] {
  const ticks: number[] = [];
  const multiples = Math.log10(hi / lo) < 2 ? [1, 2, 5] : [1];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
    for (const m of multiples) {
      const t = Number((m * 10 ** e).toPrecision(12));
      if (t >= lo * (1 - 1e-9) && t <= hi * (1 + 1e-9)) ticks.push(t);
    }
  }
  return ticks;
}

export interface Series {
  name: string;
  points: Array<[number, number]>;
  color: string;
  /** 'line' joins the points; 'points' marks each one (for sparse measurements). */
  style: 'line' | 'points';
}

export interface LineChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  width?: number;
  height?: number;
  logY?: boolean;
  /** Fixed y range (e.g. [0, 1] for accuracies); otherwise the data's. */
  yRange?: [number, number];
  /** The x axis reaches at least this far (a run's last step, beyond its last logged one). */
  xMax?: number;
}

const MARGIN = { left: 64, right: 16, top: 52, bottom: 46 };

export function lineChart(o: LineChartOptions): string {
  const width = o.width ?? 560;
  const height = o.height ?? 300;
  const plotW = width - MARGIN.left - MARGIN.right;
  const plotH = height - MARGIN.top - MARGIN.bottom;
  const all = o.series.flatMap((s) => s.points).filter(([, y]) => Number.isFinite(y) && (!o.logY || y > 0));
  const xs = all.map(([x]) => x);
  let xLo = Math.min(0, ...xs);
  let xHi = Math.max(1, o.xMax ?? 1, ...xs);
  if (xHi === xLo) xHi = xLo + 1;
  let [yLo, yHi] = o.yRange ?? [Math.min(...all.map(([, y]) => y)), Math.max(...all.map(([, y]) => y))];
  if (!all.length && !o.yRange) [yLo, yHi] = o.logY ? [0.1, 1] : [0, 1];
  if (!(yHi > yLo)) {
    yHi = o.logY ? yLo * 10 : yLo + 1;
  }
  if (o.logY && !o.yRange) {
    // A little room above and below the data.
    yLo /= 1.2;
    yHi *= 1.2;
  }
  const xTicks = linearTicks(xLo, xHi);
  xLo = Math.min(xLo, xTicks[0]);
  xHi = Math.max(xHi, xTicks[xTicks.length - 1]);
  const yTicks = o.logY ? logTicks(yLo, yHi) : linearTicks(yLo, yHi);
  if (!o.logY && !o.yRange) {
    yLo = Math.min(yLo, yTicks[0]);
    yHi = Math.max(yHi, yTicks[yTicks.length - 1]);
  }
  const fy = o.logY ? (y: number) => Math.log10(y) : (y: number) => y;
  const px = (x: number) => MARGIN.left + ((x - xLo) / (xHi - xLo)) * plotW;
  const py = (y: number) => MARGIN.top + plotH - ((fy(y) - fy(yLo)) / (fy(yHi) - fy(yLo))) * plotH;
  const r = (v: number) => v.toFixed(1);

  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}">`,
  );
  parts.push(`<title>${escapeXml(o.title)}</title>`);
  parts.push(`<text x="${width / 2}" y="18" text-anchor="middle" class="chart-title">${escapeXml(o.title)}</text>`);
  // Grid and ticks.
  for (const t of yTicks) {
    parts.push(
      `<line x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${r(py(t))}" y2="${r(py(t))}" class="grid"/>`,
    );
    parts.push(`<text x="${MARGIN.left - 6}" y="${r(py(t) + 4)}" text-anchor="end" class="tick">${fmt(t)}</text>`);
  }
  for (const t of xTicks) {
    parts.push(
      `<line x1="${r(px(t))}" x2="${r(px(t))}" y1="${MARGIN.top + plotH}" y2="${MARGIN.top + plotH + 5}" class="axis"/>`,
    );
    parts.push(
      `<text x="${r(px(t))}" y="${MARGIN.top + plotH + 18}" text-anchor="middle" class="tick">${fmt(t)}</text>`,
    );
  }
  parts.push(
    `<line x1="${MARGIN.left}" x2="${MARGIN.left}" y1="${MARGIN.top}" y2="${MARGIN.top + plotH}" class="axis"/>`,
  );
  parts.push(
    `<line x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${MARGIN.top + plotH}" y2="${MARGIN.top + plotH}" class="axis"/>`,
  );
  parts.push(
    `<text x="${MARGIN.left + plotW / 2}" y="${height - 8}" text-anchor="middle" class="axis-label">${escapeXml(o.xLabel)}</text>`,
  );
  parts.push(
    `<text transform="translate(16 ${MARGIN.top + plotH / 2}) rotate(-90)" text-anchor="middle" class="axis-label">${escapeXml(o.yLabel)}</text>`,
  );
  // Data.
  for (const s of o.series) {
    const pts = s.points.filter(([, y]) => Number.isFinite(y) && (!o.logY || y > 0));
    if (s.style === 'line' && pts.length > 1) {
      const d = pts.map(([x, y], i) => `${i ? 'L' : 'M'}${r(px(x))} ${r(py(y))}`).join(' ');
      parts.push(
        `<path d="${d}" fill="none" stroke="${s.color}" stroke-width="1.8" class="series" data-series="${escapeXml(s.name)}"/>`,
      );
    } else {
      for (const [x, y] of pts) {
        parts.push(
          `<circle cx="${r(px(x))}" cy="${r(py(y))}" r="4" fill="${s.color}" class="series" data-series="${escapeXml(s.name)}"><title>${escapeXml(`${s.name}: ${fmt(y)} at ${fmt(x)}`)}</title></circle>`,
        );
      }
    }
  }
  // Legend in one row between the title and the plot, where it can hide no data.
  let lx = MARGIN.left;
  for (const s of o.series) {
    const y = 38;
    const mark =
      s.style === 'line'
        ? `<line x1="${lx}" x2="${lx + 18}" y1="${y - 4}" y2="${y - 4}" stroke="${s.color}" stroke-width="2"/>`
        : `<circle cx="${lx + 9}" cy="${y - 4}" r="4" fill="${s.color}"/>`;
    parts.push(`${mark}<text x="${lx + 24}" y="${y}" class="legend">${escapeXml(s.name)}</text>`);
    lx += 24 + s.name.length * 6.5 + 18;
  }
  parts.push('</svg>');
  return parts.join('\n');
}

export interface BarChartOptions {
  title: string;
  labels: readonly string[];
  /** In [0, 1]; NaN draws no bar ("n/a"). */
  values: number[];
  xLabel: string;
  width?: number;
  /** The axis's span (default [0, 1]); bars start at its low end. */
  range?: [number, number];
}

/** Horizontal bars on a 0-1 scale, the value written at the end of each. */
export function barChart(o: BarChartOptions): string {
  const width = o.width ?? 560;
  const rowH = 22;
  const left = 110;
  const right = 60;
  const top = 30;
  const plotW = width - left - right;
  const height = top + o.labels.length * rowH + 44;
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}">`,
  );
  parts.push(`<title>${escapeXml(o.title)}</title>`);
  parts.push(`<text x="${width / 2}" y="18" text-anchor="middle" class="chart-title">${escapeXml(o.title)}</text>`);
  const [lo, hi] = o.range ?? [0, 1];
  const at = (v: number) => (Math.max(lo, Math.min(hi, v)) - lo) / (hi - lo);
  for (const t of linearTicks(lo, hi)) {
    const x = (left + at(t) * plotW).toFixed(1);
    parts.push(`<line x1="${x}" x2="${x}" y1="${top}" y2="${top + o.labels.length * rowH}" class="grid"/>`);
    parts.push(
      `<text x="${x}" y="${top + o.labels.length * rowH + 16}" text-anchor="middle" class="tick">${fmt(t)}</text>`,
    );
  }
  o.labels.forEach((label, i) => {
    const y = top + i * rowH;
    const v = o.values[i];
    parts.push(`<text x="${left - 8}" y="${y + 15}" text-anchor="end" class="tick">${escapeXml(label)}</text>`);
    if (Number.isFinite(v)) {
      const w = at(v) * plotW;
      parts.push(
        `<rect x="${left}" y="${y + 3}" width="${w.toFixed(1)}" height="${rowH - 6}" class="bar"><title>${escapeXml(`${label}: ${v.toFixed(4)}`)}</title></rect>`,
      );
      parts.push(`<text x="${(left + w + 4).toFixed(1)}" y="${y + 15}" class="value">${v.toFixed(3)}</text>`);
    } else {
      parts.push(`<text x="${left + 4}" y="${y + 15}" class="value">n/a</text>`);
    }
  });
  parts.push(`<line x1="${left}" x2="${left}" y1="${top}" y2="${top + o.labels.length * rowH}" class="axis"/>`);
  parts.push(
    `<text x="${left + plotW / 2}" y="${height - 6}" text-anchor="middle" class="axis-label">${escapeXml(o.xLabel)}</text>`,
  );
  parts.push('</svg>');
  return parts.join('\n');
}

/**
 * The confusion matrix as a heat map with the count in every cell. Shade is the cell's share
 * of its row (the true class): blue on the diagonal (right), red off it (wrong), the red scaled
 * up so that the few mistakes still show.
 */
export function heatMap(o: { title: string; labels: readonly string[]; matrix: number[][] }): string {
  const n = o.labels.length;
  const cell = 44;
  const left = 110;
  // Long names (Fashion-MNIST's) go up at an angle above the columns.
  const slanted = o.labels.some((l) => l.length > 3);
  const top = slanted ? 130 : 64;
  const width = left + n * cell + 20;
  const height = top + n * cell + 20;
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}">`,
  );
  parts.push(`<title>${escapeXml(o.title)}</title>`);
  parts.push(`<text x="${width / 2}" y="18" text-anchor="middle" class="chart-title">${escapeXml(o.title)}</text>`);
  parts.push(
    `<text x="${left + (n * cell) / 2}" y="40" text-anchor="middle" class="axis-label">predicted class</text>`,
  );
  parts.push(
    `<text transform="translate(16 ${top + (n * cell) / 2}) rotate(-90)" text-anchor="middle" class="axis-label">true class</text>`,
  );
  o.labels.forEach((label, i) => {
    const cx = left + i * cell + cell / 2;
    parts.push(
      slanted
        ? `<text transform="translate(${cx + 4} ${top - 6}) rotate(-60)" class="tick">${escapeXml(label)}</text>`
        : `<text x="${cx}" y="${top - 8}" text-anchor="middle" class="tick">${escapeXml(label)}</text>`,
    );
    parts.push(
      `<text x="${left - 8}" y="${top + i * cell + cell / 2 + 4}" text-anchor="end" class="tick">${escapeXml(label)}</text>`,
    );
  });
  o.matrix.forEach((row, i) => {
    const total = row.reduce((a, b) => a + b, 0);
    row.forEach((count, j) => {
      const share = total ? count / total : 0;
      const strength = i === j ? share : Math.min(1, Math.sqrt(share * 4));
      const hue = i === j ? '33, 102, 172' : '203, 24, 29';
      const fill = count ? `rgba(${hue}, ${(0.08 + 0.92 * strength).toFixed(3)})` : '#fafafa';
      const x = left + j * cell;
      const y = top + i * cell;
      const dark = strength > 0.55;
      parts.push(
        `<rect x="${x}" y="${y}" width="${cell}" height="${cell}" fill="${fill}" class="cell"><title>${escapeXml(`true ${o.labels[i]}, predicted ${o.labels[j]}: ${count}`)}</title></rect>`,
      );
      parts.push(
        `<text x="${x + cell / 2}" y="${y + cell / 2 + 4}" text-anchor="middle" class="count${dark ? ' on-dark' : ''}">${count}</text>`,
      );
    });
  });
  parts.push('</svg>');
  return parts.join('\n');
}
