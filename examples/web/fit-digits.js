// The demo's digit models and their training with fit (demo.js's page drives it): the MLP and the CNN
// of examples/mnist.mjs, the LSTM of examples/lstm.mjs (each digit read as 28 rows of 28 pixels), the
// dense autoencoder of examples/autoencoder.mjs and the VAE of examples/vae.mjs on binarised digits;
// and pageCallback, fit's callbacks that feed the page's progress view and charts (the char model's
// loop uses it too). `page` is demo.js's: its state, progress view, charts, grid and the calls that
// redraw them.
import { cast, greater, randomNormal, tensor, tidy } from '@webgrad/core';
import { adam, cosineDecay, dense, input, model as graphModel, sequential } from '@webgrad/layers';
import { buildVae, negativeElbo } from './examples/generative-models.mjs';
import { buildRowsLstm } from './examples/sequence-models.mjs';
import { cnnLayers, mlpLayers } from './examples/digit-models.mjs';

const VAE_LATENT = 16;

/** examples/autoencoder.mjs's dense 784-128-32-128-784, through the functional API. */
function autoencoder() {
  const pixels = input({ shape: [784], name: 'pixels' });
  const hidden = dense({ units: 128, activation: 'relu', name: 'encoder_hidden' }).apply(pixels);
  const code = dense({ units: 32, activation: 'relu', name: 'code' }).apply(hidden);
  const back = dense({ units: 128, activation: 'relu', name: 'decoder_hidden' }).apply(code);
  const reconstruction = dense({ units: 784, activation: 'sigmoid', name: 'reconstruction' }).apply(back);
  return graphModel({ inputs: pixels, outputs: reconstruction, name: 'mnist_autoencoder', seed: 1 });
}
export const isAutoencoder = (kind) => kind === 'autoencoder';
/** What the grid shows for a kind: test digits with predicted classes, reconstructions, generated digits, or nothing. */
export const gridRole = (kind) =>
  ({ autoencoder: 'reconstructions', vae: 'samples', dcgan: 'samples', charlm: 'none', other: 'none' })[kind] ??
  'classes';
/** The shape one digit takes as a model's input: its 28 rows for the LSTM, 784 pixels for the others. */
export const digitShape = (kind) => (kind === 'lstm' ? [28, 28] : [784]);

const classifierLayers = { mlp: mlpLayers, cnn: cnnLayers };

/** The second chart's fit metric: accuracy for the classifiers, reconstruction MSE for the autoencoder, none for the VAE. */
export const metricOf = (kind) => (kind === 'vae' ? undefined : isAutoencoder(kind) ? 'mse' : 'accuracy');

/**
 * fit's callbacks that feed the page: the progress view, the charts' running traces and epoch points,
 * then `atEpochEnd`. `metricFrom(logs, prefix)` is the second chart's value in fit's logs ('' for
 * training, 'val_' for validation), or undefined where it has none.
 */
export function pageCallback(page, { epochs, steps, metricFrom, atEpochEnd }) {
  const { state, progress } = page;
  let epochNow = 0;
  return {
    onEpochBegin: (epoch) => {
      epochNow = epoch;
      progress.epochBegin(epoch, epochs, steps);
      page.charts.lossChart.restartRunning();
      page.charts.metricChart.restartRunning();
    },
    onBatchEnd: async (step, logs) => {
      progress.step(step + 1, logs);
      if (logs.loss !== undefined) {
        page.charts.lossChart.add('this epoch', epochNow + (step + 1) / steps, logs.loss);
        page.charts.metricChart.add('this epoch', epochNow + (step + 1) / steps, metricFrom(logs, ''));
      }
      await page.yieldToPage();
    },
    onEpochEnd: async (epoch, logs) => {
      progress.epochEnd(epoch, logs);
      const { lossChart, metricChart } = page.charts;
      lossChart.add('train', epoch + 1, logs.loss);
      lossChart.add('validation', epoch + 1, logs.val_loss);
      metricChart.add('train', epoch + 1, metricFrom(logs, ''));
      metricChart.add('validation', epoch + 1, metricFrom(logs, 'val_'));
      state.epochsDone = epoch + 1;
      await atEpochEnd(epoch, logs);
    },
  };
}

/** A new model of a kind trained by fitDigits (the VAE's encoder and decoder go to state.parts). */
function buildDigitModel(page, kind) {
  const { state, GRID } = page;
  if (kind === 'autoencoder') return autoencoder();
  if (kind === 'lstm') return buildRowsLstm({ units: 128, shift: 1, seed: 1 });
  if (kind === 'vae') {
    const { vae, encoder, decoder } = buildVae({ latent: VAE_LATENT, seed: 1 });
    state.parts = { encoder, decoder };
    // one fixed batch of prior codes, so the grids of successive epochs show the same digits improving
    page.setPriorCodes(randomNormal([GRID, VAE_LATENT], 0, 1, { seed: 2024 }));
    return vae;
  }
  return sequential(classifierLayers[kind](), { name: `mnist_${kind}`, seed: 1 });
}

/** Trains a digit model with fit: a classifier (MLP, CNN, LSTM), the autoencoder or the VAE. */
export async function fitDigits(page, { kind, epochs, batchSize, trainSize, valSize, learningRate }) {
  const { $, state } = page;
  const { train: tr, test } = state.data;
  const digits = (part, n) => tensor(part.images.subarray(0, n * 784), [n, ...digitShape(kind)]);
  let x = digits(tr, trainSize),
    xVal = digits(test, valSize);
  if (kind === 'vae') {
    // Bernoulli pixels, as the lab's: each digit binarised at 0.5
    const binarise = (t) => {
      const binary = tidy(() => cast(greater(t, 0.5), 'float32'));
      t.dispose();
      return binary;
    };
    [x, xVal] = [binarise(x), binarise(xVal)];
  }
  // an autoencoder's targets are its inputs
  const reconstructing = kind === 'autoencoder' || kind === 'vae';
  const y = reconstructing ? x : tensor(tr.labels.subarray(0, trainSize), [trainSize], 'int32');
  const yVal = reconstructing ? xVal : tensor(test.labels.subarray(0, valSize), [valSize], 'int32');
  const model = buildDigitModel(page, kind);
  const steps = Math.ceil(trainSize / batchSize);
  const metric = metricOf(kind);
  model.compile({
    // the VAE lab's adam has a constant rate
    optimizer: adam({
      learningRate:
        kind === 'vae' ? learningRate : cosineDecay({ initialLearningRate: learningRate, decaySteps: steps * epochs }),
    }),
    loss: reconstructing ? 'binaryCrossentropy' : 'sparseCategoricalCrossentropy',
    metrics: metric ? [metric] : [],
  });
  state.model = model;
  const { metricChart } = page.newCharts(
    epochs,
    { title: 'loss' },
    kind === 'vae'
      ? { title: 'held-out −ELBO (nats/digit)', series: ['validation'] }
      : reconstructing
        ? { title: 'mse' }
        : { title: 'accuracy', yMax: 1 },
  );
  // No warm-up: in a browser the backend compiles each kernel asynchronously and holds the first
  // step's GPU work until its kernels exist, so the page never waits on a compile (commands.ts).
  $('status').textContent =
    `Training the ${kind.toUpperCase()} on ${trainSize} digits (validation: ${valSize} held-out digits) — ${state.backend}`;
  if (kind === 'vae') state.sampleCodes = Array.from(await page.priorCodes().data());
  if (reconstructing) await page.refreshGrid(); // the untrained model's output, to compare with
  const negativeElbos = [];
  const atEpochEnd = async (epoch) => {
    if (kind === 'vae') {
      const { negativeElbo: nats } = await negativeElbo(state.parts, xVal);
      negativeElbos.push(nats);
      metricChart.add('validation', epoch + 1, nats);
    }
    await page.refreshGrid();
    await page.predictDrawing();
  };
  state.stop = () => {
    model.stopTraining = true;
  };
  try {
    const history = await model.fit(x, y, {
      epochs,
      batchSize,
      validationData: [xVal, yVal],
      callbacks: [
        pageCallback(page, {
          epochs,
          steps,
          metricFrom: (logs, prefix) => metric && logs[`${prefix}${metric}`],
          atEpochEnd,
        }),
      ],
      verbose: 1,
    });
    state.history = { ...history.history, ...(kind === 'vae' ? { val_negative_elbo: negativeElbos } : {}) };
    const score = kind === 'vae' ? negativeElbos.at(-1) : history.history[`val_${metric}`]?.at(-1);
    const scoreText =
      kind === 'vae'
        ? `held-out −ELBO ${score?.toFixed(2)} nats per digit`
        : reconstructing
          ? `validation MSE/pixel ${score?.toFixed(4)}`
          : `validation accuracy ${(score * 100).toFixed(2)}%`;
    return { stopped: model.stopTraining, summary: score === undefined ? '' : scoreText };
  } finally {
    new Set([x, y, xVal, yVal]).forEach((t) => t.dispose());
  }
}
