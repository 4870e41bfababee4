// The demo's save and load controls: the trained model goes to this browser's IndexedDB
// (indexeddb://webgrad-mnist-mlp or -cnn, still there after a reload) or to two downloaded files
// (webgrad-mnist-mlp.json and .weights.bin, which `loadModel('folder/webgrad-mnist-mlp.json')` also
// reads in Node); it comes back from IndexedDB or from those files picked in the file input, which
// also takes one Keras 3 .keras file (read through kerasBytes: the zip and its HDF5 weights are
// unpacked in the page, by the library's fflate and h5wasm chunks, loaded on first use).
// Imports the webgrad layers package (through the page's import map).
import { browserFiles, kerasBytes, listModels, loadLimits, loadModel } from '@webgrad/layers';

const urlFor = (kind) => `indexeddb://webgrad-mnist-${kind}`;

/** The model in picked files: one .keras file, or a model.json with its weights file. */
async function loadPicked(files) {
  const keras = files.filter((f) => /\.keras$/i.test(f.name));
  if (keras.length === 0) return loadModel(browserFiles(files));
  if (files.length !== 1) {
    throw new Error(
      `pick one .keras file alone, not with ${files.length - 1} other file(s): ${files.map((f) => f.name).join(', ')}`,
    );
  }
  const [file] = keras;
  // the size is checked before the file is read: the weights ceiling plus the two JSON members'
  const { maxWeightBytes, maxJsonBytes } = loadLimits();
  if (file.size > maxWeightBytes + 2 * maxJsonBytes) {
    throw new Error(
      `${file.name} holds ${file.size} bytes, above the ${maxWeightBytes + 2 * maxJsonBytes}-byte ceiling ` +
        'for a .keras file (setLoadLimits raises it); it was not read',
    );
  }
  return loadModel(kerasBytes(new Uint8Array(await file.arrayBuffer()), file.name));
}

/**
 * Wires the buttons. `state` is the demo's state (model, kind, phase); `useModel(model, from)` makes
 * a loaded model the page's. Returns update(), to call when the model or the selected kind changes.
 */
export function setUpSaving({ $, state, useModel }) {
  const say = (text) => {
    $('save-status').textContent = text;
  };
  const fail = (what) => (error) => {
    say(`${what} failed: ${error.message}`);
    console.error(error);
  };

  async function update() {
    const trained = !!state.model && state.phase !== 'training';
    $('save').disabled = $('download').disabled = !trained;
    $('load-files').disabled = state.phase === 'training' || state.phase === 'loading';
    const kind = $('model').value;
    const saved = await listModels().catch(() => []);
    const mine = saved.find((m) => m.url === urlFor(kind));
    $('load').disabled = !mine || state.phase === 'training' || state.phase === 'loading';
    $('load').textContent = mine
      ? `Load saved ${kind.toUpperCase()} (${new Date(mine.savedAt).toLocaleString()})`
      : `No saved ${kind.toUpperCase()} in this browser`;
  }

  $('save').addEventListener('click', () =>
    (async () => {
      await state.model.save(urlFor(state.kind));
      say(`Saved to ${urlFor(state.kind)}: it stays in this browser; "Load saved" brings it back after a reload.`);
      await update();
    })().catch(fail('Saving')),
  );
  $('download').addEventListener('click', () =>
    (async () => {
      const name = `webgrad-mnist-${state.kind}`;
      await state.model.save(`downloads://${name}`);
      say(`Downloaded ${name}.json and ${name}.weights.bin: pick both under "Load files" to load them again.`);
    })().catch(fail('Downloading')),
  );
  $('load').addEventListener('click', () =>
    (async () => {
      const url = urlFor($('model').value);
      await useModel(await loadModel(url), url);
      say(`Loaded ${url}.`);
    })().catch(fail('Loading')),
  );
  $('load-files').addEventListener('change', () =>
    (async () => {
      const files = [...$('load-files').files];
      if (!files.length) return;
      await useModel(await loadPicked(files), files.map((f) => f.name).join(' + '));
      say(`Loaded ${files.map((f) => f.name).join(' and ')}.`);
    })().catch(fail('Loading files')),
  );
  $('model').addEventListener('change', () => update());
  return update;
}
