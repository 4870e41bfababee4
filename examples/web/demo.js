// The browser demo's logic: loads the served MNIST split (/mnist.bin), finds WebGPU (or says clearly
// why not and which browsers and flags work), trains the MLP or the CNN of examples/mnist.mjs, or the
// LSTM of examples/lstm.mjs (each digit read as 28 rows of 28 pixels), with fit, feeding the page's
// progress, curves and digit grid from fit's callbacks, and predicts the digit drawn on the pad. Or the
// dense autoencoder of examples/autoencoder.mjs: the grid then shows test digits above their
// reconstructions, redrawn each epoch, and the pad shows the drawn digit's reconstruction. Or the VAE
// of examples/vae.mjs on binarised digits: the grid shows digits decoded from one fixed batch of prior
// codes, redrawn each epoch, the second chart the held-out negative ELBO. The DCGAN (dcgan.js) and the
// character-level language model (charlm.js) train in their own loops with the same progress views.
// Training yields to the page between steps, so the tab stays responsive. The trained model can be
// saved in the browser or downloaded, and loaded back, as can a Keras 3 .keras file (saving.js).
// URL parameters preset the controls: ?model=mlp|cnn|lstm|autoencoder|vae|dcgan|charlm&epochs=&batch=
// &train=&val=&sample=&backend=&autostart=1.
// window.demo exposes the state and a few calls for tests/browser/demo.test.ts.
// Imports the webgrad packages (through the page's import map), the examples' browser-safe model
// builders (served under examples/) and this folder's modules.
import { argmax, setBackend, tensor, tidy } from '@webgrad/core';
import { WebGPUBackend } from '@webgrad/webgpu';
import { LineChart } from './chart.js';
import { trainCharLm } from './charlm.js';
import { trainDcgan } from './dcgan.js';
import { DrawPad } from './draw.js';
import { digitShape, fitDigits, gridRole, isAutoencoder, pageCallback } from './fit-digits.js';
import { loadDigits } from './mnist-bin.js';
import { canvasGrey, drawDigit, drawDigitGrid, drawProbabilities, ProgressView } from './views.js';
import { setUpSaving } from './saving.js';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const GRID = 36; // test digits shown
// Per-model settings from the Node labs; the CNN's, LSTM's and DCGAN's runs are shorter, since a CPU
// WebGPU adapter (SwiftShader) runs them slowly. The char model's "training" count is windows per epoch.
const PRESETS = {
  mlp: { batch: 128, epochs: 10, trainSize: 8000, learningRate: 0.003 },
  cnn: { batch: 64, epochs: 3, trainSize: 2048, learningRate: 0.001 },
  autoencoder: { batch: 64, epochs: 10, trainSize: 8000, learningRate: 0.002 },
  lstm: { batch: 64, epochs: 3, trainSize: 4096, learningRate: 0.003 },
  vae: { batch: 100, epochs: 10, trainSize: 8000, learningRate: 0.001 },
  dcgan: { batch: 64, epochs: 3, trainSize: 4096, learningRate: 0.0005 },
  charlm: { batch: 64, epochs: 10, trainSize: 1600, learningRate: 0.005, trainLabel: 'Windows per epoch' },
};
const RECONSTRUCTED = GRID / 2; // the autoencoder's grid: rows of test digits, each above its reconstructions
const COLUMNS = 9;

const state = {
  phase: 'loading',
  backend: '',
  error: '',
  history: null,
  model: null,
  data: null,
  drawn: null,
  kind: 'mlp',
  /** The grid's reconstruction MSE each time the autoencoder's grid was redrawn (before training, then each epoch). */
  reconstructionMse: [],
  /** The generative models' grids as drawn (before training, then each epoch): the canvas in grey levels, and the sample values. */
  sampleGrids: [],
  /** The char model's texts: { epoch, temperature, prompt, text } after each epoch. */
  samples: [],
  /** Models trained beside state.model (the VAE's encoder and decoder, the DCGAN's discriminator), by name. */
  parts: {},
};
const progress = new ProgressView(document);
/** The two charts, replaced for each run by newCharts. */
const charts = {
  lossChart: new LineChart($('loss-chart'), { title: 'loss' }),
  metricChart: new LineChart($('accuracy-chart'), { title: 'accuracy', yMax: 1 }),
};
const pad = new DrawPad($('pad'), () => predictDrawing());
// the generative models' grids are read back as drawn (canvasGrey), which a CPU-backed canvas does best
$('digit-grid').getContext('2d', { willReadFrequently: true });
let gpu = null;

/** Fresh charts for a run of `epochs`: the loss chart's and the second chart's options (LineChart's). */
function newCharts(epochs, lossOptions, metricOptions) {
  charts.lossChart = new LineChart($('loss-chart'), lossOptions);
  charts.metricChart = new LineChart($('accuracy-chart'), metricOptions);
  charts.lossChart.reset(epochs);
  charts.metricChart.reset(epochs);
  return { ...charts };
}

const WEBGPU_HELP =
  'WebGPU is unavailable here, so this page can only train on the slow CPU reference backend. ' +
  'WebGPU works in Chrome and Edge 113+ (Windows, macOS, ChromeOS, Android), in Chrome on Linux with ' +
  '<code>chrome://flags/#enable-unsafe-webgpu</code> and <code>#enable-vulkan</code>, in Safari 26+, and in Firefox 141+ on Windows. ' +
  'Headless Chromium needs <code>--enable-unsafe-webgpu</code> (it then runs on its built-in SwiftShader). The page must come from ' +
  'https:// or http://127.0.0.1 / localhost (a secure context).';

async function chooseBackend(name) {
  if (name === 'cpu') {
    await setBackend('cpu');
    gpu = null;
    return 'CPU reference backend (float64 JavaScript)';
  }
  try {
    gpu = await setBackend('webgpu');
  } catch (error) {
    $('no-webgpu').innerHTML = `<strong>${error.message}</strong><br>${WEBGPU_HELP}`;
    $('no-webgpu').hidden = false;
    $('backend').value = 'cpu';
    return chooseBackend('cpu');
  }
  if (!(gpu instanceof WebGPUBackend)) throw new Error('the webgpu backend did not initialise');
  return gpu.describe();
}

/** Yields to the page: waits for the GPU to finish the step (keeps the queue one step deep, so the
 *  bar moves smoothly) and lets the browser paint and handle input at least once a frame. */
let lastYield = 0;
async function yieldToPage() {
  await null; // let the recorder's end-of-task submit run first
  if (gpu) await gpu.device.queue.onSubmittedWorkDone();
  if (performance.now() - lastYield > 16) {
    await new Promise((resolve) => setTimeout(resolve, 0));
    lastYield = performance.now();
  }
}

/** Test digits in rows of COLUMNS, each row followed by its reconstructions; the score is their MSE. */
async function refreshReconstructions() {
  const { test } = state.data;
  const originals = test.images.subarray(0, RECONSTRUCTED * 784);
  const out = tidy(() => state.model.predict(tensor(originals, [RECONSTRUCTED, 784])));
  const reconstructed = await out.data();
  out.dispose();
  const images = new Float32Array(GRID * 784);
  for (let i = 0; i < RECONSTRUCTED; i++) {
    const row = Math.floor(i / COLUMNS),
      column = i % COLUMNS;
    images.set(originals.subarray(i * 784, (i + 1) * 784), (2 * row * COLUMNS + column) * 784);
    images.set(reconstructed.subarray(i * 784, (i + 1) * 784), ((2 * row + 1) * COLUMNS + column) * 784);
  }
  drawDigitGrid($('digit-grid'), images, new Int32Array(GRID), null, { columns: COLUMNS });
  let squared = 0;
  for (let p = 0; p < originals.length; p++) squared += (reconstructed[p] - originals[p]) ** 2;
  state.gridMse = squared / originals.length;
  state.reconstructionMse.push(state.gridMse);
  state.gridPredictions = undefined;
  $('grid-score').textContent = `— above: digit, below: reconstruction (MSE/pixel ${state.gridMse.toFixed(4)})`;
}

/** Draws GRID generated digits (values in [0, 1]) and keeps what the grid shows, canvas and values. */
function showSamples(pixels, caption) {
  drawDigitGrid($('digit-grid'), pixels, new Int32Array(GRID), null, { columns: COLUMNS });
  state.sampleGrids.push({ grey: Array.from(canvasGrey($('digit-grid'))), pixels: Array.from(pixels) });
  $('grid-score').textContent = caption;
}

/** The VAE's decoder on the run's fixed prior codes. */
let priorCodes = null;
async function refreshVaeSamples() {
  const decoded = state.parts.decoder.predict(priorCodes);
  const pixels = await decoded.data();
  decoded.dispose();
  showSamples(pixels, `— decoded from one fixed batch of ${GRID} codes z ~ N(0, I), redrawn each epoch`);
}

async function refreshGrid() {
  if (gridRole(state.kind) === 'reconstructions') return refreshReconstructions();
  if (state.kind === 'vae') return refreshVaeSamples();
  if (gridRole(state.kind) !== 'classes') return;
  const { test } = state.data,
    model = state.model;
  const digits = tensor(test.images.subarray(0, GRID * 784), [GRID, ...digitShape(state.kind)]);
  const predicted = tidy(() => argmax(model.predict(digits)));
  digits.dispose();
  const classes = Array.from(await predicted.data());
  predicted.dispose();
  drawDigitGrid($('digit-grid'), test.images, test.labels.subarray(0, GRID), classes);
  const right = classes.filter((c, i) => c === test.labels[i]).length;
  $('grid-score').textContent = `— ${right}/${GRID} right`;
  state.gridPredictions = classes;
}

/** Class probabilities (or the reconstruction) for 784 pixels under the current model. */
async function predictPixels(pixels) {
  const out = tidy(() => state.model.predict(tensor(pixels, [1, ...digitShape(state.kind)])));
  const probabilities = Array.from(await out.data());
  out.dispose();
  return probabilities;
}

async function predictDrawing() {
  const pixels = pad.pixels();
  const role = gridRole(state.kind);
  if (!pixels || !state.model || (role !== 'classes' && role !== 'reconstructions')) return;
  if (isAutoencoder(state.kind)) {
    const reconstruction = await predictPixels(pixels);
    state.drawn = { pixels: Array.from(pixels), reconstruction };
    $('drawn-prediction').textContent = '– (its reconstruction below)';
    drawDigit($('probabilities'), reconstruction);
    return;
  }
  const probabilities = await predictPixels(pixels);
  const prediction = probabilities.indexOf(Math.max(...probabilities));
  state.drawn = { pixels: Array.from(pixels), probabilities, prediction };
  $('drawn-prediction').textContent = String(prediction);
  drawProbabilities($('probabilities'), probabilities);
}

/** The panels a kind of model uses: the digit grid, the drawing pad, the generated text. */
function showPanels(kind) {
  const role = gridRole(kind);
  document.querySelector('.panel.grid').hidden = role === 'none';
  document.querySelector('.panel.draw').hidden = role === 'samples' || role === 'none';
  document.querySelector('.panel.text').hidden = kind !== 'charlm';
  $('grid-title').textContent = role === 'samples' ? 'Generated digits' : 'Test digits';
  $('train-size-label').textContent = PRESETS[kind]?.trainLabel ?? 'Training digits';
}

function readControls() {
  const kind = $('model').value;
  return {
    kind,
    epochs: Number($('epochs').value),
    batchSize: Number($('batch').value),
    trainSize:
      kind === 'charlm' ? Number($('train-size').value) : Math.min(Number($('train-size').value), state.data.train.n),
    valSize: Math.min(Number(params.get('val') ?? state.data.test.n), state.data.test.n),
    learningRate: PRESETS[kind].learningRate,
    sampleLength: Number($('sample-length').value),
    backend: $('backend').value,
  };
}

/** Models, optimizers and tensors a run made besides state.model (a DCGAN's discriminator, its codes). */
let leftovers = [];
/** Disposes the last run's model and everything it kept: when the next one starts or a model is loaded. */
function releaseModels() {
  state.model?.dispose();
  state.model = null;
  // the VAE's encoder and decoder share its weights: state.model's dispose freed them
  state.parts = {};
  leftovers.forEach((t) => t.dispose());
  leftovers = [];
  priorCodes = null;
}

/** What fit-digits.js, dcgan.js and charlm.js get of the page. */
const page = {
  $,
  state,
  progress,
  GRID,
  charts,
  yieldToPage,
  newCharts,
  pageCallback: (options) => pageCallback(page, options),
  showSamples,
  refreshGrid,
  predictDrawing,
  priorCodes: () => priorCodes,
  /** The VAE's fixed prior codes for the grid, disposed with the run's model. */
  setPriorCodes: (codes) => {
    priorCodes = codes;
    leftovers.push(codes);
  },
  /** Hands the page models, optimizers or tensors to dispose with the run's model. */
  keep: (...disposables) => leftovers.push(...disposables),
};

async function train() {
  const settings = readControls();
  const { kind, backend } = settings;
  Object.assign(state, { phase: 'training', history: null, error: '', epochsDone: 0 });
  Object.assign(state, { reconstructionMse: [], sampleGrids: [], samples: [] });
  updateSaving();
  $('train').disabled = true;
  $('stop').disabled = false;
  $('status').textContent = `Preparing: ${await chooseBackend(backend)}`;
  state.backend = $('status').textContent.replace('Preparing: ', '');
  releaseModels();
  state.kind = kind;
  showPanels(kind);
  progress.reset();
  try {
    const trainer = { dcgan: trainDcgan, charlm: trainCharLm }[kind];
    const { stopped, summary } = trainer ? await trainer(page, settings) : await fitDigits(page, settings);
    state.phase = 'done';
    const next = { classes: ' Draw a digit on the pad.', reconstructions: ' Draw a digit on the pad.' }[gridRole(kind)];
    $('status').textContent =
      `${stopped ? 'Stopped' : 'Done'}${summary ? `: ${summary}` : ''} — ${state.backend}.${next ?? ''}`;
  } catch (error) {
    state.phase = 'error';
    state.error = error.message;
    $('status').textContent = `Training failed: ${error.message}`;
    throw error;
  } finally {
    $('train').disabled = false;
    $('stop').disabled = true;
    await updateSaving();
  }
  return state.history;
}

/** The page's kind for a loaded model, by its input and output shapes: a digit classifier, an autoencoder, or other. */
function kindOf(model) {
  if (model.inputs.length !== 1 || model.outputs.length !== 1) return 'other';
  const input = model.inputs[0].sampleShape.join(','),
    output = model.outputs[0].sampleShape.join(',');
  if (input === '28,28' && output === '10') return 'lstm';
  if (input === '784' && output === '10') return model.name === 'mnist_cnn' ? 'cnn' : 'mlp';
  if (input === '784' && output === '784') return 'autoencoder';
  return 'other';
}

/**
 * Makes a loaded model the page's: a digit model feeds the grid and the pad; any other (a Keras file's
 * model, say) is described and predicts through window.demo.predict.
 */
async function useModel(model, from) {
  releaseModels();
  state.model = model;
  state.kind = kindOf(model);
  state.phase = 'done';
  showPanels(state.kind);
  const shapes = (list) => list.map((t) => `[${t.sampleShape}]`).join(', ');
  if (state.kind === 'other') {
    $('status').textContent =
      `Using ${model.name} loaded from ${from}: input ${shapes(model.inputs)} → output ${shapes(model.outputs)}. ` +
      `It does not take a digit (784 pixels or 28 rows of 28), so the grid and the pad are idle.`;
  } else {
    await refreshGrid();
    await predictDrawing();
    $('status').textContent =
      `Using ${model.name} loaded from ${from} — ${state.backend}. Draw a digit on the pad, or train again.`;
  }
  await updateSaving();
}
let updateSaving = async () => {};

async function main() {
  for (const key of ['model', 'epochs', 'batch', 'backend']) if (params.has(key)) $(key).value = params.get(key);
  if (params.has('train')) $('train-size').value = params.get('train');
  if (params.has('sample')) $('sample-length').value = params.get('sample');
  const syncPreset = () => {
    const p = PRESETS[$('model').value];
    for (const [key, id, value] of [
      ['batch', 'batch', p.batch],
      ['epochs', 'epochs', p.epochs],
      ['train', 'train-size', p.trainSize],
    ]) {
      if (!params.has(key)) $(id).value = value;
    }
    if (state.phase !== 'training') showPanels($('model').value);
  };
  syncPreset();
  $('model').addEventListener('change', syncPreset);
  $('train').addEventListener('click', () => train().catch((e) => console.error(e)));
  $('stop').addEventListener('click', () => state.stop?.());
  $('clear').addEventListener('click', () => {
    pad.clear();
    state.drawn = null;
    $('drawn-prediction').textContent = '–';
    drawProbabilities($('probabilities'), null);
  });
  drawProbabilities($('probabilities'), null);

  if (!navigator.gpu) {
    $('no-webgpu').innerHTML =
      `<strong>This browser has no WebGPU (navigator.gpu is missing).</strong><br>${WEBGPU_HELP}`;
    $('no-webgpu').hidden = false;
    $('backend').value = 'cpu';
  }
  state.data = await loadDigits();
  state.backend = await chooseBackend($('backend').value);
  drawDigitGrid($('digit-grid'), state.data.test.images, state.data.test.labels.subarray(0, GRID), null);
  state.phase = 'ready';
  updateSaving = setUpSaving({ $, state, useModel });
  await updateSaving();
  $('status').textContent =
    `${state.data.train.n} training and ${state.data.test.n} test digits loaded — ${state.backend}. Press Train.`;
  $('train').disabled = false;
  if (params.get('autostart') === '1') train().catch((e) => console.error(e));
}

/** Plain arrays of a tensor or a list of them. */
const plain = async (out) => Promise.all([out].flat().map(async (t) => Array.from(await t.data())));

window.demo = {
  state,
  train,
  predictPixels,
  useModel,
  /** The current model's outputs for `values` of `shape` (each output flat, in the model's order). */
  predict: async (values, shape, dtype = 'float32') => {
    const out = tidy(() => state.model.predict(tensor(values, shape, dtype)));
    const result = await plain(out);
    [out].flat().forEach((t) => t.dispose());
    return result;
  },
  /** The model's weights (or a part's: 'decoder', 'discriminator') as plain arrays, in getWeights order. */
  weights: async (part) =>
    Promise.all(
      (part ? state.parts[part] : state.model).weights.map(async (w) => ({
        shape: [...w.shape],
        values: Array.from(await w.data()),
      })),
    ),
  /** Kernel compiles so far: `sync` ones held up the page's thread, `async` ones did not. */
  compiles: () => gpu?.commands.stats().compiles ?? null,
};
main().catch((error) => {
  state.phase = 'error';
  state.error = error.message;
  $('status').textContent = `Error: ${error.message}`;
});
