// The page script of tests/browser/storage.html: a small classifier trained on WebGPU in the page,
// saved and loaded through the browser's stores — indexeddb:// (also from a second page of the same
// origin), downloads:// and browserFiles from an <input type=file>; and hostile served models refused. Exposes window.storage for
// tests/browser/storage.test.ts, which checks the results against Node's CPU backend.
// Bundled by scripts/build-web.mjs with @webgrad/* left to the page's import map.
import { setBackend, tensor, tidy, uniformValues, type Tensor } from '@webgrad/core';
import '@webgrad/webgpu';
import { browserFiles, dense, listModels, loadModel, removeModel, sequential, type Model } from '@webgrad/layers';

export interface SavedState {
  backend: string;
  weights: number[][];
  predictions: number[];
  x: number[];
  iterations: number;
}

const SAMPLES = 64,
  FEATURES = 8,
  CLASSES = 3;
const data = () => {
  const x = Float32Array.from(uniformValues(SAMPLES * FEATURES, 11, -1, 1));
  // the class is the index of the largest of the first three features: learnable, deterministic
  const y = Int32Array.from({ length: SAMPLES }, (_, i) =>
    [0, 1, 2].reduce((best, c) => (x[i * FEATURES + c] > x[i * FEATURES + best] ? c : best), 0),
  );
  return { x: tensor(x, [SAMPLES, FEATURES]), y: tensor(y, [SAMPLES], 'int32'), values: Array.from(x) };
};

async function stateOf(model: Model, x: Tensor, values: number[]): Promise<SavedState> {
  const out = tidy(() => model.predict(x));
  const predictions = Array.from(await out.data());
  out.dispose();
  const weights = await Promise.all(model.weights.map(async (w) => Array.from(await w.data())));
  return { backend: '', weights, predictions, x: values, iterations: model.compiled?.optimizer.iterations ?? -1 };
}

async function webgpu(): Promise<string> {
  return (await setBackend('webgpu')).describe();
}

/** Trains, saves to indexeddb://name with the optimizer state, and returns what was saved. */
async function trainAndSave(name: string): Promise<SavedState> {
  const backend = await webgpu();
  const { x, y, values } = data();
  const model = sequential(
    [
      dense({ units: 16, activation: 'relu', inputShape: [FEATURES] }),
      dense({ units: CLASSES, activation: 'softmax' }),
    ],
    { seed: 5 },
  );
  model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  await model.fit(x, y, { epochs: 3, batchSize: 16, verbose: 0 });
  await model.save(`indexeddb://${name}`, { includeOptimizer: true });
  return { ...(await stateOf(model, x, values)), backend };
}

/**
 * Loads indexeddb://name, then trains it and a second copy one more epoch each: equal weights after
 * that show the optimizer state came back whole. Returns the loaded state and the models listed.
 */
async function loadAndResume(name: string): Promise<{ loaded: SavedState; resumedEqual: boolean; listed: string[] }> {
  const backend = await webgpu();
  const { x, y, values } = data();
  const loaded = await loadModel(`indexeddb://${name}`);
  const state = { ...(await stateOf(loaded, x, values)), backend };
  const twin = await loadModel(`indexeddb://${name}`);
  for (const m of [loaded, twin]) await m.fit(x, y, { epochs: 1, batchSize: 16, verbose: 0, shuffle: false });
  const [a, b] = await Promise.all([loaded, twin].map((m) => stateOf(m, x, values)));
  const resumedEqual =
    JSON.stringify(a.weights) === JSON.stringify(b.weights) && a.iterations === state.iterations + SAMPLES / 16;
  return { loaded: state, resumedEqual, listed: (await listModels()).map((m) => m.url) };
}

/** Removes indexeddb://name and returns the error a load then gives. */
async function removeAndLoad(name: string): Promise<{ listed: string[]; error: string }> {
  await removeModel(`indexeddb://${name}`);
  const error = await loadModel(`indexeddb://${name}`).then(
    () => 'no error',
    (e: Error) => e.message,
  );
  return { listed: (await listModels()).map((m) => m.url), error };
}

/** Loads indexeddb://name and saves it as downloads://file (two files). */
async function download(name: string, file: string): Promise<void> {
  await webgpu();
  await (await loadModel(`indexeddb://${name}`)).save(`downloads://${file}`);
}

/** Loads the files picked in the page's <input type=file>. */
async function loadPicked(): Promise<SavedState> {
  const backend = await webgpu();
  const input = document.getElementById('files') as HTMLInputElement;
  const { x, values } = data();
  return { ...(await stateOf(await loadModel(browserFiles(input.files!)), x, values)), backend };
}

/** Loads a model from the page's server by a path relative to the page (or a full URL). */
async function loadServed(path: string): Promise<SavedState> {
  const backend = await webgpu();
  const { x, values } = data();
  return { ...(await stateOf(await loadModel(path), x, values)), backend };
}

/** The error loading a model from the page's server gives ('no error' if it loads). */
async function loadServedError(path: string): Promise<string> {
  await webgpu();
  return loadModel(path).then(
    () => 'no error',
    (e: Error) => e.message,
  );
}

(globalThis as { storage?: unknown }).storage = {
  trainAndSave,
  loadAndResume,
  removeAndLoad,
  download,
  loadPicked,
  loadServed,
  loadServedError,
};
