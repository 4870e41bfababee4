// The demo's character-level language model: the charlm.mjs lab's model (examples/sequence-models.mjs:
// embedding → two LSTM(128) → dense logits) on Debian's fortunes, which the page fetches file by file
// from the installed package through serve.mjs (/fortunes/) and prepares as the lab does
// (examples/charlm-text.mjs). Each epoch fits fresh random windows of the training part, validates on
// the start of the validation part (perplexity, exp of the loss, in the second chart), then writes a
// sample at temperatures 0.5 and 1.0, drawn on the device, into the text panel.
// Imports the webgrad packages (through the page's import map) and the lab's browser-safe modules.
import { tensor } from '@webgrad/core';
import { adam, sparseCategoricalCrossentropy } from '@webgrad/layers';
import { FORTUNE_FILES, fortunesCorpus, randomStarts, tiledStarts, windows } from './examples/charlm-text.mjs';
import { buildCharLm, sample } from './examples/sequence-models.mjs';

/** The lab's defaults: 2 stacked LSTM(128) over 32-dim embeddings, windows of 32 characters. */
export const CHARLM = { cell: 'LSTM', depth: 2, units: 128, embeddingDim: 32, window: 32, prompt: 'The ' };
const TEMPERATURES = [0.5, 1.0];

/** A file's bytes as latin1 reads them in Node (each byte one character), so the text matches the lab's. */
function latin1(bytes) {
  let text = '';
  for (let at = 0; at < bytes.length; at += 8192) text += String.fromCharCode(...bytes.subarray(at, at + 8192));
  return text;
}

/** The corpus {train, validation, test} from the served fortune files, as the lab's loadFortunes makes it. */
export async function loadCorpus() {
  const texts = await Promise.all(
    FORTUNE_FILES.map(async (file) => {
      const response = await fetch(`fortunes/${file}`);
      if (!response.ok) {
        throw new Error(
          `fortunes/${file}: HTTP ${response.status}; the char model's corpus is Debian's fortunes package ` +
            '(apt-get install fortunes; npm run setup does, as root on Debian)',
        );
      }
      return latin1(new Uint8Array(await response.arrayBuffer()));
    }),
  );
  return fortunesCorpus(texts);
}

/**
 * Runs the training loop; `page` is demo.js's. `trainSize` windows an epoch, `valSize` windows to
 * validate on, samples of `sampleLength` characters. Resolves to { stopped, summary }.
 */
export async function trainCharLm(page, { epochs, batchSize, trainSize, valSize, learningRate, sampleLength }) {
  const { $, state } = page;
  const { cell, depth, units, embeddingDim, window, prompt } = CHARLM;
  $('status').textContent = `Loading Debian's fortunes from the server — ${state.backend}`;
  state.corpus ??= await loadCorpus();
  const corpus = state.corpus;
  const validationIds = corpus.validation.subarray(0, valSize * window + 1);
  const validationStarts = tiledStarts(validationIds.length, window);
  const asTensors = ({ x, y }, count) => [tensor(x, [count, window], 'int32'), tensor(y, [count, window], 'int32')];
  const validationData = asTensors(windows(validationIds, validationStarts, window), validationStarts.length);
  page.keep(...validationData);

  const { model, embed, recurrents, head } = buildCharLm({ cell, depth, units, embeddingDim, window, seed: 1 });
  model.compile({
    optimizer: adam({ learningRate, clipNorm: 1 }),
    loss: sparseCategoricalCrossentropy({ fromLogits: true }),
  });
  state.model = model;
  page.newCharts(epochs, { title: 'loss (nats per character)' }, { title: 'perplexity' });
  $('generated').textContent = '';
  $('status').textContent =
    `Training the character LSTM on ${trainSize} windows of ${window} characters an epoch, drawn from ` +
    `${corpus.train.length} characters of Debian's fortunes (validation: ${validationStarts.length * window} ` +
    `held-out characters) — ${state.backend}`;

  let stopped = false;
  state.stop = () => {
    stopped = true;
    model.stopTraining = true;
  };
  const steps = Math.ceil(trainSize / batchSize);
  const history = { loss: [], val_loss: [], val_perplexity: [] };
  const writeSamples = async (epoch) => {
    for (const [k, temperature] of TEMPERATURES.entries()) {
      const text = await sample({
        embed,
        recurrents,
        head,
        cell,
        prompt,
        length: sampleLength,
        temperature,
        seed: 1,
        stream: (2 * epoch + k) * 1_000_000,
      });
      state.samples.push({ epoch: epoch + 1, temperature, prompt, text });
      $('generated').textContent =
        `Epoch ${epoch + 1}, temperature ${temperature.toFixed(1)}:\n${prompt}${text}\n\n` + $('generated').textContent;
    }
  };
  const callback = page.pageCallback({
    epochs,
    steps,
    metricFrom: (logs, prefix) => Math.exp(logs[`${prefix}loss`]),
    atEpochEnd: async (epoch, logs) => {
      history.loss.push(logs.loss);
      history.val_loss.push(logs.val_loss);
      history.val_perplexity.push(Math.exp(logs.val_loss));
      state.history = history;
      await writeSamples(epoch);
    },
  });
  for (let epoch = 0; epoch < epochs && !stopped; epoch++) {
    const starts = randomStarts(corpus.train.length, window, trainSize, 1, epoch);
    const [x, y] = asTensors(windows(corpus.train, starts, window), trainSize);
    try {
      await model.fit(x, y, {
        epochs: epoch + 1,
        initialEpoch: epoch,
        batchSize,
        validationData,
        callbacks: [callback],
        verbose: 1,
      });
    } finally {
      x.dispose();
      y.dispose();
    }
  }
  state.history = history;
  const perplexity = history.val_perplexity.at(-1);
  return { stopped, summary: perplexity === undefined ? '' : `validation perplexity ${perplexity.toFixed(2)}` };
}
