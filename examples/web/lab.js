// The lab page's logic: runs one of the course's experiments (examples/lab/*.mjs, the modules
// `npm run lab` runs, served as one bundle, lab/experiments.js) on WebGPU in this tab, showing what it
// runs while it runs, then its figures inline, its table and its conclusion; and the live monitor, which
// trains a small MLP with the gradientFlow callback and redraws the per-layer panels each time records
// arrive. After training the monitor measures once more with measureFlow on the same weights and probe,
// so a test can hold the drawn figures against it, and exposes the trained weights for a check on
// another backend.
// URL parameters: ?lab=<name>&size=full|tiny&backend=webgpu|cpu&autostart=1, and for the monitor
// &monitor=1&activation=&depth=&epochs=&every=&samples=. window.lab exposes the state and the two runs
// for tests/browser/lab.test.ts. Imports the webgrad packages through the page's import map.
import { currentBackend, setBackend } from '@webgrad/core';
import '@webgrad/webgpu';
import { customCallback, dense, gradientFlow, measureFlow, sequential, sgd } from '@webgrad/layers';
import { aliases, experiments, syntheticData } from './lab/experiments.js';
import { loadDigits } from './mnist-bin.js';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);

const WEBGPU_HELP =
  'WebGPU is unavailable here, so the experiments can only run on the slow CPU reference backend. ' +
  'WebGPU works in Chrome and Edge 113+, in Chrome on Linux with <code>chrome://flags/#enable-unsafe-webgpu</code>, ' +
  'in Safari 26+ and in Firefox 141+ on Windows; headless Chromium needs <code>--enable-unsafe-webgpu</code>.';

const state = {
  phase: 'loading',
  error: '',
  backend: '',
  /** The running or last experiment: its name, size, progress messages, seconds taken and result. */
  lab: null,
  /** The monitor's run: records drawn, redraws, the last record and measureFlow's figures after training. */
  monitor: null,
};

async function chooseBackend(name) {
  if (name === 'webgpu') {
    try {
      await setBackend('webgpu');
    } catch (error) {
      $('no-webgpu').innerHTML = `<strong>${error.message}</strong><br>${WEBGPU_HELP}`;
      $('no-webgpu').hidden = false;
      $('backend').value = 'cpu';
      return chooseBackend('cpu');
    }
  } else await setBackend('cpu');
  const backend = currentBackend();
  state.backend = backend.describe?.() ?? backend.name;
  return state.backend;
}

/**
 * An SVG document as an element of this page: its prologue dropped and its ids prefixed, so that two
 * figures' clip paths or gradients (Graphviz's and the charts' own ids) never resolve to each other.
 */
function inlineSvg(svg, prefix) {
  const body = svg.slice(svg.indexOf('<svg'));
  return body
    .replace(/\sid="([^"]+)"/g, ` id="${prefix}-$1"`)
    .replace(/url\(#([^)]+)\)/g, `url(#${prefix}-$1)`)
    .replace(/href="#([^"]+)"/g, `href="#${prefix}-$1"`);
}

const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;
const yieldToPage = () => new Promise((resolve) => setTimeout(resolve, 0));

async function runLab(name = $('experiment').value, size = $('size').value) {
  const key = aliases[name] ?? name;
  if (!(key in experiments)) throw new Error(`no experiment '${name}': expected one of ${Object.keys(experiments)}`);
  $('run').disabled = true;
  await chooseBackend($('backend').value);
  const lab = { name: key, size, phase: 'running', messages: [], seconds: NaN, result: null, error: '' };
  state.lab = lab;
  $('lab-title').textContent = `${key} (${size}) — ${state.backend}`;
  ['lab-log', 'lab-conclusion', 'lab-table', 'lab-figures'].forEach((id) => ($(id).textContent = ''));
  const started = performance.now();
  let current = 'starting';
  const show = () => ($('lab-progress').textContent = `${seconds(performance.now() - started)} — ${current}`);
  const ticker = setInterval(show, 250);
  const progress = (text) => {
    current = text;
    lab.messages.push(text);
    $('lab-log').textContent += `${seconds(performance.now() - started)}  ${text}\n`;
    show();
  };
  try {
    const result = await experiments[key]({ size, progress, mnist: loadDigits });
    lab.seconds = (performance.now() - started) / 1000;
    $('lab-progress').textContent = `done in ${seconds(performance.now() - started)}`;
    $('lab-conclusion').textContent = result.conclusion;
    $('lab-table').textContent = result.table;
    Object.entries(result.figures).forEach(([file, svg], k) => {
      const figure = document.createElement('figure');
      figure.dataset.file = file;
      figure.innerHTML = `${inlineSvg(svg, `figure${k}`)}<figcaption>${file}</figcaption>`;
      $('lab-figures').append(figure);
    });
    lab.result = { figures: Object.keys(result.figures), table: result.table, conclusion: result.conclusion };
    lab.numbers = result.numbers;
    lab.phase = 'done';
  } catch (error) {
    lab.phase = 'error';
    lab.error = error.message;
    $('lab-progress').textContent = `failed: ${error.message}`;
    throw error;
  } finally {
    clearInterval(ticker);
    $('run').disabled = false;
  }
  return lab;
}

// ---- the live monitor -------------------------------------------------------------------------------

const MONITOR_FIELDS = [
  'gradNorm',
  'updateRatio',
  'activationMean',
  'activationStd',
  'deadFraction',
  'saturatedFraction',
];

/** The last record's figures, one row per layer, at 7 significant digits. */
function drawLayerTable(record) {
  const head = `<tr><th>layer</th>${MONITOR_FIELDS.map((f) => `<th>${f}</th>`).join('')}</tr>`;
  const rows = record.layers.map(
    (l) =>
      `<tr data-layer="${l.layer}"><th>${l.layer}</th>${MONITOR_FIELDS.map(
        (f) => `<td data-field="${f}">${l[f] === undefined ? '' : l[f].toPrecision(7)}</td>`,
      ).join('')}</tr>`,
  );
  $('monitor-layers').innerHTML = head + rows.join('');
}

async function runMonitor({
  activation = $('monitor-activation').value,
  depth = Number($('monitor-depth').value),
  epochs = Number($('monitor-epochs').value),
  every = Number($('monitor-every').value),
  samples = 512,
} = {}) {
  $('monitor-run').disabled = true;
  await chooseBackend($('backend').value);
  const monitorState = {
    phase: 'running',
    redraws: 0,
    records: 0,
    steps: 0,
    last: null,
    check: null,
    weights: null,
    error: '',
  };
  state.monitor = monitorState;
  const init = activation === 'relu' ? 'heNormal' : 'glorotUniform';
  const layers = Array.from({ length: depth - 1 }, (_, i) =>
    dense({ units: 32, activation, kernelInitializer: init, ...(i === 0 ? { inputShape: [16] } : {}) }),
  );
  layers.push(dense({ units: 4, activation: 'softmax', kernelInitializer: init }));
  const model = sequential(layers, { seed: 1 });
  model.compile({ optimizer: sgd({ learningRate: 0.1 }), loss: 'categoricalCrossentropy' });
  const data = syntheticData({ n: samples, dims: 16, classes: 4, seed: 1 });
  const probe = syntheticData({ n: 64, dims: 16, classes: 4, seed: 2 });
  // records on the fixed probe batch, not on each step's own batch: the panels then compare like with
  // like from record to record, and the last record is what measureFlow gives on the final weights
  const monitor = gradientFlow(model, { probe: [probe.x, probe.y], every, from: 'probe' });
  const started = performance.now();
  // redraws whenever the monitor has read back new records (it does so in its own epoch-end hook, which runs first)
  const redraw = async () => {
    if (monitor.records.length === monitorState.records) return;
    monitorState.records = monitor.records.length;
    monitorState.redraws++;
    const last = monitor.records[monitor.records.length - 1];
    $('monitor-panels').innerHTML = inlineSvg(monitor.toSvg(), `monitor${monitorState.redraws}`);
    drawLayerTable(last);
    $('monitor-status').textContent =
      `${seconds(performance.now() - started)} — ${monitor.records.length} records, the last at step ${last.step}, ` +
      `probe loss ${last.loss.toPrecision(4)}`;
    await yieldToPage();
  };
  try {
    await model.fit(data.x, data.y, {
      epochs,
      batchSize: 32,
      verbose: 0,
      callbacks: [monitor, customCallback({ onEpochEnd: redraw, onTrainEnd: redraw })],
    });
    monitorState.steps = model.compiled.optimizer.iterations;
    monitorState.last = monitor.records[monitor.records.length - 1];
    // the same statistics measured once more on the trained weights: what the last record must show
    monitorState.check = await measureFlow(model, [probe.x, probe.y]);
    // and the weights, so a test can measure them again on another backend
    monitorState.weights = await Promise.all(
      model.weights.map(async (w) => ({ shape: [...w.shape], values: Array.from(await w.data()) })),
    );
    monitorState.phase = 'done';
  } catch (error) {
    monitorState.phase = 'error';
    monitorState.error = error.message;
    $('monitor-status').textContent = `failed: ${error.message}`;
    throw error;
  } finally {
    [data.x, data.y, probe.x, probe.y].forEach((t) => t.dispose());
    model.dispose();
    $('monitor-run').disabled = false;
  }
  return monitorState;
}

async function main() {
  for (const [id, key] of [
    ['experiment', 'lab'],
    ['size', 'size'],
    ['backend', 'backend'],
    ['monitor-activation', 'activation'],
    ['monitor-depth', 'depth'],
    ['monitor-epochs', 'epochs'],
    ['monitor-every', 'every'],
  ]) {
    if (params.has(key)) $(id).value = aliases[params.get(key)] ?? params.get(key);
  }
  if (!navigator.gpu) {
    $('no-webgpu').innerHTML =
      `<strong>This browser has no WebGPU (navigator.gpu is missing).</strong><br>${WEBGPU_HELP}`;
    $('no-webgpu').hidden = false;
    $('backend').value = 'cpu';
  }
  await chooseBackend($('backend').value);
  $('run').addEventListener('click', () => runLab().catch((e) => console.error(e)));
  $('monitor-run').addEventListener('click', () => runMonitor().catch((e) => console.error(e)));
  $('run').disabled = false;
  $('monitor-run').disabled = false;
  state.phase = 'ready';
  $('status').textContent = `${state.backend}. Pick an experiment and press Run, or train the monitor's MLP.`;
  const samples = params.has('samples') ? Number(params.get('samples')) : undefined;
  if (params.get('monitor') === '1') await runMonitor({ samples }).catch((e) => console.error(e));
  if (params.get('autostart') === '1') await runLab().catch((e) => console.error(e));
}

window.lab = { state, runLab, runMonitor, experiments: Object.keys(experiments) };
main().catch((error) => {
  state.phase = 'error';
  state.error = error.message;
  $('status').textContent = `Error: ${error.message}`;
});
