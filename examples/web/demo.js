// The browser demo's logic: loads the served MNIST split (/mnist.bin), finds WebGPU (or says clearly
// why not and which browsers and flags work), trains the MLP or the CNN of examples/mnist.mjs with fit,
// feeding the page's progress, curves and digit grid from fit's callbacks, and predicts the digit drawn
// on the pad. Or the dense autoencoder of examples/autoencoder.mjs: the grid then shows test digits
// above their reconstructions, redrawn each epoch, and the pad shows the drawn digit's reconstruction.
// Training yields to the page between steps, so the tab stays responsive. The trained model can be
// saved in the browser or downloaded, and loaded back (saving.js).
// URL parameters preset the controls: ?model=mlp|cnn|autoencoder&epochs=&batch=&train=&val=&backend=&autostart=1.
// window.demo exposes the state and a few calls for tests/browser/demo.test.ts.
// Imports the webgrad packages (through the page's import map) and this folder's modules.
import { argmax, setBackend, tensor, tidy } from '@webgrad/core';
import { WebGPUBackend } from '@webgrad/webgpu';
import {
  adam,
  conv2d,
  cosineDecay,
  dense,
  dropout,
  flatten,
  input,
  maxPooling2d,
  model as graphModel,
  reshape,
  sequential,
} from '@webgrad/layers';
import { LineChart } from './chart.js';
import { DrawPad } from './draw.js';
import { drawDigit, drawDigitGrid, drawProbabilities, ProgressView } from './views.js';
import { setUpSaving } from './saving.js';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const GRID = 36; // test digits shown
// Per-model settings from examples/mnist.mjs; the CNN's run is shorter, since a CPU WebGPU adapter (SwiftShader) runs it slowly.
const PRESETS = {
  mlp: { batch: 128, epochs: 10, trainSize: 8000, learningRate: 0.003 },
  cnn: { batch: 64, epochs: 3, trainSize: 2048, learningRate: 0.001 },
  autoencoder: { batch: 64, epochs: 10, trainSize: 8000, learningRate: 0.002 },
};
const RECONSTRUCTED = GRID / 2; // the autoencoder's grid: rows of test digits, each above its reconstructions
const COLUMNS = 9;

/** examples/autoencoder.mjs's dense 784-128-32-128-784, through the functional API. */
function autoencoder() {
  const pixels = input({ shape: [784], name: 'pixels' });
  const hidden = dense({ units: 128, activation: 'relu', name: 'encoder_hidden' }).apply(pixels);
  const code = dense({ units: 32, activation: 'relu', name: 'code' }).apply(hidden);
  const back = dense({ units: 128, activation: 'relu', name: 'decoder_hidden' }).apply(code);
  const reconstruction = dense({ units: 784, activation: 'sigmoid', name: 'reconstruction' }).apply(back);
  return graphModel({ inputs: pixels, outputs: reconstruction, name: 'mnist_autoencoder', seed: 1 });
}
const isAutoencoder = (kind) => kind === 'autoencoder';

const models = {
  mlp: () => [
    dropout({ rate: 0.1, inputShape: [784] }),
    dense({ units: 256, activation: 'relu', kernelInitializer: 'heNormal' }),
    dropout({ rate: 0.3 }),
    dense({ units: 128, activation: 'relu', kernelInitializer: 'heNormal' }),
    dropout({ rate: 0.3 }),
    dense({ units: 10, activation: 'softmax' }),
  ],
  cnn: () => [
    reshape({ targetShape: [28, 28, 1], inputShape: [784] }),
    conv2d({ filters: 32, kernelSize: 3, activation: 'relu', kernelInitializer: 'heNormal' }),
    maxPooling2d({ poolSize: 2 }),
    conv2d({ filters: 64, kernelSize: 3, activation: 'relu', kernelInitializer: 'heNormal' }),
    maxPooling2d({ poolSize: 2 }),
    flatten(),
    dense({ units: 128, activation: 'relu', kernelInitializer: 'heNormal' }),
    dropout({ rate: 0.5 }),
    dense({ units: 10, activation: 'softmax' }),
  ],
};

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
};
const progress = new ProgressView(document);
const lossChart = new LineChart($('loss-chart'), { title: 'loss' });
let accuracyChart = new LineChart($('accuracy-chart'), { title: 'accuracy', yMax: 1 });
/** The second chart's metric: accuracy for the classifiers, reconstruction MSE for the autoencoder. */
const metricOf = (kind) => (isAutoencoder(kind) ? 'mse' : 'accuracy');
const pad = new DrawPad($('pad'), () => predictDrawing());
let gpu = null;

const WEBGPU_HELP =
  'WebGPU is unavailable here, so this page can only train on the slow CPU reference backend. ' +
  'WebGPU works in Chrome and Edge 113+ (Windows, macOS, ChromeOS, Android), in Chrome on Linux with ' +
  '<code>chrome://flags/#enable-unsafe-webgpu</code> and <code>#enable-vulkan</code>, in Safari 26+, and in Firefox 141+ on Windows. ' +
  'Headless Chromium needs <code>--enable-unsafe-webgpu</code> (it then runs on its built-in SwiftShader). The page must come from ' +
  'https:// or http://127.0.0.1 / localhost (a secure context).';

/** The served split: header "WGMN", train n, test n, 784; then pixels and labels as bytes. */
async function loadDigits() {
  const response = await fetch('mnist.bin');
  if (!response.ok) throw new Error(`mnist.bin: HTTP ${response.status}`);
  const bytes = new Uint8Array(await response.arrayBuffer());
  const header = new DataView(bytes.buffer);
  if (String.fromCharCode(...bytes.subarray(0, 4)) !== 'WGMN') throw new Error('mnist.bin: not a webgrad MNIST file');
  const [nTrain, nTest, size] = [4, 8, 12].map((at) => header.getUint32(at, true));
  let at = 16;
  const take = (n) => {
    const images = new Float32Array(n * size); // a plain loop: Float32Array.from with a map function stalls the page for seconds
    for (let i = 0; i < images.length; i++) images[i] = bytes[at + i] / 255;
    const labels = Int32Array.from(bytes.subarray(at + n * size, at + n * size + n));
    at += n * (size + 1);
    return { images, labels, n };
  };
  return { train: take(nTrain), test: take(nTest) };
}

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

async function refreshGrid() {
  if (isAutoencoder(state.kind)) return refreshReconstructions();
  const { test } = state.data,
    model = state.model;
  const predicted = tidy(() => argmax(model.predict(tensor(test.images.subarray(0, GRID * 784), [GRID, 784]))));
  const classes = Array.from(await predicted.data());
  predicted.dispose();
  drawDigitGrid($('digit-grid'), test.images, test.labels.subarray(0, GRID), classes);
  const right = classes.filter((c, i) => c === test.labels[i]).length;
  $('grid-score').textContent = `— ${right}/${GRID} right`;
  state.gridPredictions = classes;
}

/** Class probabilities for 784 pixels under the current model. */
async function predictPixels(pixels) {
  const out = tidy(() => state.model.predict(tensor(pixels, [1, 784])));
  const probabilities = Array.from(await out.data());
  out.dispose();
  return probabilities;
}

async function predictDrawing() {
  const pixels = pad.pixels();
  if (!pixels || !state.model) return;
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

function readControls() {
  const kind = $('model').value;
  return {
    kind,
    epochs: Number($('epochs').value),
    batchSize: Number($('batch').value),
    trainSize: Math.min(Number($('train-size').value), state.data.train.n),
    valSize: Math.min(Number(params.get('val') ?? state.data.test.n), state.data.test.n),
    learningRate: PRESETS[kind].learningRate,
    backend: $('backend').value,
  };
}

async function train() {
  const { kind, epochs, batchSize, trainSize, valSize, learningRate, backend } = readControls();
  state.phase = 'training';
  state.history = null;
  updateSaving();
  $('train').disabled = true;
  $('stop').disabled = false;
  $('status').textContent = `Preparing: ${await chooseBackend(backend)}`;
  state.backend = $('status').textContent.replace('Preparing: ', '');
  state.model?.dispose();
  const { train: tr, test } = state.data;
  const reconstructing = isAutoencoder(kind),
    metric = metricOf(kind);
  const x = tensor(tr.images.subarray(0, trainSize * 784), [trainSize, 784]);
  const xVal = tensor(test.images.subarray(0, valSize * 784), [valSize, 784]);
  // an autoencoder's targets are its inputs
  const y = reconstructing ? x : tensor(tr.labels.subarray(0, trainSize), [trainSize], 'int32');
  const yVal = reconstructing ? xVal : tensor(test.labels.subarray(0, valSize), [valSize], 'int32');
  const model = reconstructing ? autoencoder() : sequential(models[kind](), { name: `mnist_${kind}`, seed: 1 });
  const steps = Math.ceil(trainSize / batchSize);
  model.compile({
    optimizer: adam({ learningRate: cosineDecay({ initialLearningRate: learningRate, decaySteps: steps * epochs }) }),
    loss: reconstructing ? 'binaryCrossentropy' : 'sparseCategoricalCrossentropy',
    metrics: [metric],
  });
  state.model = model;
  state.kind = kind;
  state.reconstructionMse = [];
  progress.reset();
  lossChart.reset(epochs);
  accuracyChart = new LineChart(
    $('accuracy-chart'),
    reconstructing ? { title: 'mse' } : { title: 'accuracy', yMax: 1 },
  );
  accuracyChart.reset(epochs);
  // No warm-up: in a browser the backend compiles each kernel asynchronously and holds the first
  // step's GPU work until its kernels exist, so the page never waits on a compile (commands.ts).
  $('status').textContent =
    `Training the ${kind.toUpperCase()} on ${trainSize} digits (validation: ${valSize} held-out digits) — ${state.backend}`;
  let epochNow = 0;
  if (reconstructing) await refreshGrid(); // the untrained model's reconstructions, to compare with
  const pageCallback = {
    onEpochBegin: (epoch) => {
      epochNow = epoch;
      progress.epochBegin(epoch, epochs, steps);
      lossChart.restartRunning();
      accuracyChart.restartRunning();
    },
    onBatchEnd: async (step, logs) => {
      progress.step(step + 1, logs);
      if (logs.loss !== undefined) {
        lossChart.add('this epoch', epochNow + (step + 1) / steps, logs.loss);
        accuracyChart.add('this epoch', epochNow + (step + 1) / steps, logs[metric]);
      }
      await yieldToPage();
    },
    onEpochEnd: async (epoch, logs) => {
      progress.epochEnd(epoch, logs);
      lossChart.add('train', epoch + 1, logs.loss);
      lossChart.add('validation', epoch + 1, logs.val_loss);
      accuracyChart.add('train', epoch + 1, logs[metric]);
      accuracyChart.add('validation', epoch + 1, logs[`val_${metric}`]);
      state.epochsDone = epoch + 1;
      await refreshGrid();
      await predictDrawing();
    },
  };
  state.stop = () => {
    model.stopTraining = true;
  };
  try {
    const history = await model.fit(x, y, {
      epochs,
      batchSize,
      validationData: [xVal, yVal],
      callbacks: [pageCallback],
      verbose: 1,
    });
    state.history = history.history;
    state.phase = 'done';
    const score = history.history[`val_${metric}`]?.at(-1);
    const scoreText = reconstructing
      ? `validation MSE/pixel ${score?.toFixed(4)}`
      : `validation accuracy ${(score * 100).toFixed(2)}%`;
    $('status').textContent =
      `${model.stopTraining ? 'Stopped' : 'Done'}${score === undefined ? '' : `: ${scoreText}`}` +
      ` — ${state.backend}. Draw a digit on the pad.`;
  } catch (error) {
    state.phase = 'error';
    state.error = error.message;
    $('status').textContent = `Training failed: ${error.message}`;
    throw error;
  } finally {
    new Set([x, y, xVal, yVal]).forEach((t) => t.dispose());
    $('train').disabled = false;
    $('stop').disabled = true;
    await updateSaving();
  }
  return state.history;
}

/** Makes a loaded model the page's: the grid and the pad predict with it. */
async function useModel(model, from) {
  const inputShape = model.inputs[0].sampleShape;
  if (inputShape.join(',') !== '784') {
    throw new Error(`${from} takes input [${inputShape}], not the 784 pixels of a digit`);
  }
  state.model?.dispose();
  state.model = model;
  state.kind = model.name.replace(/^mnist_/, '');
  state.phase = 'done';
  await refreshGrid();
  await predictDrawing();
  $('status').textContent =
    `Using ${model.name} loaded from ${from} — ${state.backend}. Draw a digit on the pad, or train again.`;
  await updateSaving();
}
let updateSaving = async () => {};

async function main() {
  for (const key of ['model', 'epochs', 'batch', 'backend']) if (params.has(key)) $(key).value = params.get(key);
  if (params.has('train')) $('train-size').value = params.get('train');
  const syncPreset = () => {
    const p = PRESETS[$('model').value];
    for (const [key, id, value] of [
      ['batch', 'batch', p.batch],
      ['epochs', 'epochs', p.epochs],
      ['train', 'train-size', p.trainSize],
    ]) {
      if (!params.has(key)) $(id).value = value;
    }
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

window.demo = {
  state,
  train,
  predictPixels,
  useModel,
  /** The model's weights as plain arrays, in getWeights order. */
  weights: async () =>
    Promise.all(state.model.weights.map(async (w) => ({ shape: [...w.shape], values: Array.from(await w.data()) }))),
  /** Kernel compiles so far: `sync` ones held up the page's thread, `async` ones did not. */
  compiles: () => gpu?.commands.stats().compiles ?? null,
};
main().catch((error) => {
  state.phase = 'error';
  state.error = error.message;
  $('status').textContent = `Error: ${error.message}`;
});
