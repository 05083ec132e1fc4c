/**
 * The `serve` page: draw on a canvas, see the 28×28 input and the model's
 * answer. A browser script (compiled with tsconfig.page.json, no imports): TF.js,
 * its wasm backend and our preprocessing arrive as globals from our own server.
 */
declare const tf: typeof import('@tensorflow/tfjs');
declare const mnistDeepPreprocess: typeof import('../../preprocess/mnistify');

interface WasmBackendGlobal {
  setWasmPaths(prefix: string): void;
}

/** /info.json, written by src/serve/info.ts. */
interface PageInfo {
  modelDir: string;
  model: string | null;
  dataset: 'mnist' | 'fashion-mnist';
  datasetKnown: boolean;
  classNames: string[];
  testAccuracy: number | null;
  steps: number | null;
  report: boolean;
}

interface MnistDeep {
  /** Resolves once the model is loaded (with the TF.js backend in use). */
  ready: Promise<{ backend: string }>;
  /** 784 numbers in [0, 1], bright digit on black, row by row → 10 probabilities. */
  predict(pixels: ArrayLike<number>): Promise<number[]>;
}

// eslint-disable-next-line @typescript-eslint/no-unused-vars -- merges into the DOM's Window
interface Window {
  mnistDeep: MnistDeep;
}

(() => {
  const byId = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
  const pad = byId<HTMLCanvasElement>('pad');
  const input = byId<HTMLCanvasElement>('input');
  const bars = byId<HTMLOListElement>('bars');
  const topLine = byId<HTMLParagraphElement>('top');
  const statusLine = byId<HTMLParagraphElement>('status');
  const padCtx = pad.getContext('2d', { willReadFrequently: true }) as CanvasRenderingContext2D;
  const inputCtx = input.getContext('2d') as CanvasRenderingContext2D;
  const TOP_CLASSES = 5;
  let classNames: string[] = Array.from({ length: 10 }, (_, i) => String(i));
  // Fashion-MNIST garments fill the field, centred by their box; digits are MNIST's 20 px, centred by mass.
  let layout: 'digit' | 'garment' = 'digit';

  function fail(message: string): never {
    statusLine.textContent = message;
    throw new Error(message);
  }

  async function loadInfo(): Promise<PageInfo> {
    const res = await fetch('info.json');
    if (!res.ok) fail(`info.json: HTTP ${res.status}`);
    return (await res.json()) as PageInfo;
  }

  function showInfo(info: PageInfo): void {
    classNames = info.classNames;
    const fashion = info.dataset === 'fashion-mnist';
    layout = fashion ? 'garment' : 'digit';
    bars.classList.toggle('names', fashion);
    if (fashion) {
      byId('input-hint').textContent =
        '28×28 as in Fashion-MNIST: cropped to the drawing, scaled so its longer side fills the field, centred.';
      byId('hint').textContent = 'Draw the garment as a bright shape: mouse, pen or finger.';
    }
    byId('title').textContent = fashion ? 'Draw a piece of clothing' : 'Draw a digit';
    document.title = `mnist-deep: ${fashion ? 'Fashion-MNIST' : 'draw a digit'}`;
    const parts = [
      info.model ?? 'model',
      fashion
        ? 'Fashion-MNIST (10 kinds of clothing, drawn as a bright shape on black)'
        : info.datasetKnown
          ? 'MNIST'
          : 'MNIST (assumed: the model has no metadata)',
    ];
    if (info.testAccuracy !== null) parts.push(`test accuracy ${(info.testAccuracy * 100).toFixed(2)}%`);
    if (info.steps !== null) parts.push(`${info.steps} steps`);
    parts.push(info.modelDir);
    byId('model-info').textContent = parts.join(' · ');
    byId('report').hidden = !info.report;
  }

  async function loadModel(): Promise<{ model: import('@tensorflow/tfjs').LayersModel; softmaxInside: boolean }> {
    const model = await tf.loadLayersModel('model/model.json');
    const inShape = model.inputs[0]?.shape;
    const outShape = model.outputs[0]?.shape;
    if (inShape?.length !== 2 || inShape[1] !== 784 || outShape?.length !== 2 || outShape[1] !== 10) {
      fail(
        `model.json: input ${JSON.stringify(inShape)} / output ${JSON.stringify(outShape)} do not fit 784 pixels and 10 classes`,
      );
    }
    // Our models end in logits; a model that already ends in softmax is taken as is.
    const last = model.layers[model.layers.length - 1].getConfig() as { activation?: string };
    return { model, softmaxInside: last.activation === 'softmax' };
  }

  async function start(): Promise<{ backend: string; run: (pixels: Float32Array) => Promise<number[]> }> {
    const wasm = (tf as unknown as { wasm?: WasmBackendGlobal }).wasm;
    wasm?.setWasmPaths('wasm/');
    const [info] = await Promise.all([loadInfo(), tf.ready()]);
    showInfo(info);
    const backend = tf.getBackend();
    byId('backend').textContent = `TF.js ${tf.version.tfjs}, backend ${backend}`;
    const { model, softmaxInside } = await loadModel();
    const run = async (pixels: Float32Array) => {
      const probs = tf.tidy(() => {
        const y = model.predict(tf.tensor2d(pixels, [1, 784])) as import('@tensorflow/tfjs').Tensor;
        return softmaxInside ? y : tf.softmax(y);
      });
      try {
        return Array.from(await probs.data());
      } finally {
        probs.dispose();
      }
    };
    await run(new Float32Array(784)); // warm-up: the first call compiles kernels
    return { backend, run };
  }

  const started = start();
  started.catch((err: unknown) => {
    if (!statusLine.textContent)
      statusLine.textContent = `could not load the model: ${err instanceof Error ? err.message : String(err)}`;
  });

  async function predict(pixels: ArrayLike<number>): Promise<number[]> {
    if (!pixels || pixels.length !== 784) throw new Error(`predict: expected 784 numbers, got ${pixels?.length}`);
    const x = Float32Array.from(pixels);
    if (x.some((v) => !(v >= 0 && v <= 1))) throw new Error('predict: pixels must be numbers in [0, 1]');
    return (await started).run(x);
  }

  window.mnistDeep = { ready: started.then(({ backend }) => ({ backend })), predict };

  // --- drawing -------------------------------------------------------------
  const STROKE = pad.width / 14; // MNIST strokes are about 2 of 28 pixels wide

  /** Bumped by Clear, so that a prediction still in flight for the old drawing is not shown. */
  let generation = 0;

  function clearPad(): void {
    generation++;
    padCtx.fillStyle = '#000';
    padCtx.fillRect(0, 0, pad.width, pad.height);
    inputCtx.clearRect(0, 0, 28, 28);
    bars.replaceChildren();
    topLine.textContent = '–';
  }

  function at(e: PointerEvent): [number, number] {
    const r = pad.getBoundingClientRect();
    return [((e.clientX - r.left) * pad.width) / r.width, ((e.clientY - r.top) * pad.height) / r.height];
  }

  let last: [number, number] | undefined;

  function line(to: [number, number]): void {
    const from = last ?? to;
    padCtx.strokeStyle = '#fff';
    padCtx.lineWidth = STROKE;
    padCtx.lineCap = 'round';
    padCtx.lineJoin = 'round';
    padCtx.beginPath();
    padCtx.moveTo(from[0], from[1]);
    padCtx.lineTo(to[0], to[1]);
    padCtx.stroke();
    last = to;
  }

  pad.addEventListener('pointerdown', (e) => {
    pad.setPointerCapture(e.pointerId);
    last = undefined;
    line(at(e));
    schedule();
  });
  pad.addEventListener('pointermove', (e) => {
    if (!pad.hasPointerCapture(e.pointerId)) return;
    for (const c of e.getCoalescedEvents?.() ?? [e]) line(at(c));
    schedule();
  });
  const end = (e: PointerEvent) => {
    if (pad.hasPointerCapture(e.pointerId)) pad.releasePointerCapture(e.pointerId);
    last = undefined;
    schedule();
  };
  pad.addEventListener('pointerup', end);
  pad.addEventListener('pointercancel', end);
  byId('clear').addEventListener('click', clearPad);

  // --- classifying while drawing: at most one prediction in flight, the latest drawing wins.
  let busy = false;
  let again = false;

  function schedule(): void {
    if (busy) again = true;
    else void classify();
  }

  function showInput(pixels: Float32Array): void {
    const image = inputCtx.createImageData(28, 28);
    pixels.forEach((v, i) => {
      const g = Math.round(v * 255);
      image.data.set([g, g, g, 255], i * 4);
    });
    inputCtx.putImageData(image, 0, 0);
  }

  function showBars(probs: number[]): void {
    const order = probs
      .map((p, i) => [p, i] as const)
      .sort((a, b) => b[0] - a[0])
      .slice(0, TOP_CLASSES);
    topLine.textContent = `${classNames[order[0][1]]} (${(order[0][0] * 100).toFixed(1)}%)`;
    bars.replaceChildren(
      ...order.map(([p, i]) => {
        const li = document.createElement('li');
        const label = document.createElement('span');
        label.textContent = classNames[i];
        const track = document.createElement('span');
        track.className = 'track';
        const fill = document.createElement('span');
        fill.className = 'fill';
        fill.style.display = 'block';
        fill.style.width = `${(p * 100).toFixed(1)}%`;
        track.append(fill);
        const pct = document.createElement('span');
        pct.className = 'pct';
        pct.textContent = `${(p * 100).toFixed(1)}%`;
        li.append(label, track, pct);
        return li;
      }),
    );
  }

  async function classify(): Promise<void> {
    busy = true;
    document.body.dataset.busy = 'true';
    try {
      do {
        again = false;
        const image = padCtx.getImageData(0, 0, pad.width, pad.height);
        let pixels: Float32Array;
        try {
          // White ink on black: already MNIST's polarity.
          pixels = mnistDeepPreprocess.mnistify(image, { polarity: 'light-on-dark', layout }).pixels;
        } catch {
          continue; // nothing drawn yet (or too faint to find)
        }
        const drawn = generation;
        const probs = await predict(pixels);
        if (drawn !== generation) continue;
        showInput(pixels);
        showBars(probs);
      } while (again);
    } catch (err) {
      statusLine.textContent = err instanceof Error ? err.message : String(err);
    } finally {
      busy = false;
      // For automation: the shown prediction belongs to the current drawing.
      document.body.dataset.busy = 'false';
    }
  }

  clearPad();
  document.body.dataset.busy = 'false';
})();
