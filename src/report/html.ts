/**
 * report.html from the facts of one run: one self-contained page (inline CSS and SVG, images as
 * data: URIs, no script) that opens from disk with no network. A Content-Security-Policy keeps it
 * so: the page could not fetch anything even if a label tried.
 */
import { STEP_LOG_FILE } from '../run-files';
import { barChart, escapeXml, heatMap, lineChart } from './svg';
import type { TrainingCurve } from '../savedir/steplog';

export interface WrongExample {
  /** Index in the test set. */
  index: number;
  label: number;
  predicted: number;
  confidence: number;
  /** The 28x28 image as a data: URI. */
  image: string;
}

export interface ReportData {
  title: string;
  /** [name, value] rows: model, recipe, data set, steps, backend, time, versions… */
  settings: Array<[string, string]>;
  curve: TrainingCurve;
  /** The run's steps: the curves' axis covers the whole run, not only its last logged step. */
  steps?: number;
  classNames: readonly string[];
  test: { accuracy: number; examples: number; confusion: number[][]; perClass: number[] };
  wrong: WrongExample[];
  /** How many test images are wrong in all. */
  wrongCount: number;
}

const CSS = `
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #222; margin: 24px auto; max-width: 1200px; padding: 0 16px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
.headline { font-size: 16px; margin: 4px 0 12px; } .headline strong { font-size: 22px; }
.row { display: flex; flex-wrap: wrap; gap: 16px; align-items: flex-start; }
.chart { background: #fff; border: 1px solid #e4e4e4; border-radius: 4px; }
.chart-title { font-weight: 600; font-size: 13px; } .tick, .legend, .value { font-size: 11px; fill: #444; } .axis-label { font-size: 12px; fill: #222; }
.axis { stroke: #555; stroke-width: 1; } .grid { stroke: #eee; stroke-width: 1; } .bar { fill: #3b7dd8; }
.count { font-size: 11px; fill: #222; } .count.on-dark { fill: #fff; }
table.settings { border-collapse: collapse; } table.settings td { padding: 2px 12px 2px 0; vertical-align: top; } table.settings td:first-child { color: #666; }
.wrong { display: grid; grid-template-columns: repeat(auto-fill, minmax(112px, 1fr)); gap: 10px; }
figure { margin: 0; text-align: center; font-size: 12px; } figure img { width: 84px; height: 84px; image-rendering: pixelated; border: 1px solid #ccc; background: #000; }
.note { color: #666; font-size: 12px; }
`;

function curves(data: ReportData): string {
  const { train, validation } = data.curve;
  if (!train.length && !validation.length) {
    return `<p class="note">No step log (${STEP_LOG_FILE}) was found next to this model, so there are no training curves.</p>`;
  }
  const loss = lineChart({
    title: 'Training loss',
    xLabel: 'step',
    xMax: data.steps,
    yLabel: 'loss (log scale)',
    logY: true,
    series: [
      { name: "loss on the step's batch", color: '#c0392b', style: 'line', points: train.map((r) => [r.step, r.loss]) },
    ],
  });
  const accuracy = lineChart({
    title: 'Accuracy',
    xLabel: 'step',
    xMax: data.steps,
    yLabel: 'accuracy',
    yRange: [0, 1],
    series: [
      {
        name: 'training batch',
        color: '#2980b9',
        style: train.length > 1 ? 'line' : 'points',
        points: train.map((r) => [r.step, r.trainAccuracy]),
      },
      {
        name: 'validation set',
        color: '#27ae60',
        style: 'points',
        points: validation.map((r) => [r.step, r.validationAccuracy]),
      },
    ],
  });
  return `<div class="row">${loss}${accuracy}</div>`;
}

function wrongGallery(data: ReportData): string {
  if (!data.wrong.length) return '<p class="note">The model gets every test image right.</p>';
  const names = data.classNames;
  const tiles = data.wrong.map((w) => {
    const caption = `true ${names[w.label]}, predicted ${names[w.predicted]} (${w.confidence.toFixed(3)})`;
    return (
      `<figure><img src="${w.image}" width="28" height="28" alt="${escapeXml(`test image ${w.index}: ${caption}`)}">` +
      `<figcaption>#${w.index}<br>true <b>${escapeXml(names[w.label])}</b><br>predicted <b>${escapeXml(names[w.predicted])}</b><br>${w.confidence.toFixed(3)}</figcaption></figure>`
    );
  });
  return `<p class="note">The ${data.wrong.length} test images (of ${data.wrongCount} wrong) that the model gets wrong with the highest confidence, as the model sees them (28x28, bright on black).</p>\n<div class="wrong">${tiles.join('\n')}</div>`;
}

/**
 * Per-class accuracy on an axis that starts near the worst class (a 0-1 axis makes 0.971 and
 * 0.995 look alike); the axis label says where it starts.
 */
function perClassChart(data: ReportData, labels: string[]): string {
  const finite = data.test.perClass.filter(Number.isFinite);
  const worst = finite.length ? Math.min(...finite) : 0;
  const lo = Math.max(0, Math.floor((worst - 0.01) * 20) / 20);
  return barChart({
    title: 'Accuracy per true class (recall)',
    labels,
    values: data.test.perClass,
    xLabel: lo > 0 ? `accuracy (axis from ${lo.toFixed(2)})` : 'accuracy',
    range: [lo, 1],
  });
}

export function renderReport(data: ReportData): string {
  const names = data.classNames;
  const labels = names.map((n, i) => (n === String(i) ? n : `${i} ${n}`));
  const settings = data.settings
    .map(([k, v]) => `<tr><td>${escapeXml(k)}</td><td>${escapeXml(v)}</td></tr>`)
    .join('\n');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeXml(data.title)}</title>
<style>${CSS}</style>
</head>
<body>
<h1>${escapeXml(data.title)}</h1>
<p class="headline">test accuracy <strong id="test-accuracy">${data.test.accuracy.toFixed(4)}</strong> on ${data.test.examples} test images (${data.wrongCount} wrong)</p>
<h2>Training curves</h2>
${curves(data)}
<h2>Per class</h2>
<div class="row">
${perClassChart(data, labels)}
${heatMap({ title: 'Confusion matrix (test set)', labels, matrix: data.test.confusion })}
</div>
<h2>Most confidently wrong</h2>
${wrongGallery(data)}
<h2>Settings</h2>
<table class="settings">
${settings}
</table>
</body>
</html>
`;
}
