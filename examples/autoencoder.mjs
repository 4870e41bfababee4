// The first lab: autoencoders on the MNIST digits of the `mnist` package, built with the functional
// API. Four variants learn to give back their input through a narrow code: a dense 784-128-32-128-784,
// a convolutional one (conv → pool twice down, upsample → conv twice back), a denoising one (Gaussian
// noise on its input while training) and one with a 2-unit code. Each trains with binary cross-entropy
// on the 8,000 training digits (the last tenth of them for early stopping) and is scored on the 2,000
// held-out ones. The encoder is a submodel cut at the layer named 'code', sharing the trained weights;
// it maps the held-out digits to the 2-D codes of the scatter plot.
//   npm run demo -- --model autoencoder [--variants dense,conv,denoise,code2] [--epochs N (each variant's below)]
//                  [--batch-size 64] [--learning-rate 0.003] [--noise 0.5] [--seed 1] [--out out/autoencoder]
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { add, currentBackend, keep, randomNormal, setBackend, slice, tensor, tidy } from '@webgrad/core';
import '@webgrad/webgpu';
import {
  adam,
  conv2d,
  cosineDecay,
  dense,
  earlyStopping,
  flatten,
  gaussianNoise,
  input,
  maxPooling2d,
  model,
  reshape,
  upSampling2d,
} from '@webgrad/layers';
import { codeScatterSvg, digitRowsPng } from './images.mjs';
import { IMAGE_SIZE, mnistSplit } from './mnist-data.mjs';

/** The name of the layer whose output is the code: the encoder is the model cut there. */
export const CODE = 'code';
export const VARIANTS = ['dense', 'conv', 'denoise', 'code2'];
// Epochs by variant: the dense one has 20 to reach its target; the convolutional one, by far the slowest
// on a software adapter, gets 3 to keep the command short (more still help); the denoising and 2-unit
// ones level off on the validation digits by 10.
const EPOCHS = { dense: 20, conv: 3, denoise: 10, code2: 10 };

/**
 * A dense autoencoder 784-128-`codeUnits`-128-784, sigmoid output. With `noise` > 0 a gaussianNoise layer
 * corrupts its input while training only (the denoising variant); a 2-unit code is linear, so the
 * scatter plot shows the whole plane, a wider one relu.
 */
export function denseAutoencoder({ codeUnits = 32, noise = 0, seed = 1, name = 'dense_autoencoder' } = {}) {
  const pixels = input({ shape: [IMAGE_SIZE], name: `${name}_pixels` });
  const corrupted = noise > 0 ? gaussianNoise({ stddev: noise, name: `${name}_noise` }).apply(pixels) : pixels;
  const hidden = dense({ units: 128, activation: 'relu', name: `${name}_encoder_hidden` }).apply(corrupted);
  const code = dense({ units: codeUnits, activation: codeUnits <= 2 ? 'linear' : 'relu', name: CODE }).apply(hidden);
  const back = dense({ units: 128, activation: 'relu', name: `${name}_decoder_hidden` }).apply(code);
  const reconstruction = dense({ units: IMAGE_SIZE, activation: 'sigmoid', name: `${name}_reconstruction` }).apply(
    back,
  );
  return model({ inputs: pixels, outputs: reconstruction, name, seed });
}

/**
 * A convolutional autoencoder on 28×28×1: conv(16) → pool → conv(8) → pool gives a 7×7×8 code;
 * conv(8) → upsample → conv(16) → upsample → conv(1, sigmoid) gives the digit back. Small filter counts:
 * a software adapter runs convolutions slowly.
 */
export function convAutoencoder({ seed = 1, name = 'conv_autoencoder' } = {}) {
  const conv = (filters, suffix, activation = 'relu') =>
    conv2d({ filters, kernelSize: 3, padding: 'same', activation, name: `${name}_${suffix}` });
  const pixels = input({ shape: [IMAGE_SIZE], name: `${name}_pixels` });
  let x = reshape({ targetShape: [28, 28, 1], name: `${name}_image` }).apply(pixels);
  x = conv(16, 'conv1').apply(x);
  x = maxPooling2d({ poolSize: 2, name: `${name}_pool1` }).apply(x);
  x = conv(8, 'conv2').apply(x);
  const code = maxPooling2d({ poolSize: 2, name: CODE }).apply(x);
  let y = conv(8, 'conv3').apply(code);
  y = upSampling2d({ size: 2, name: `${name}_up1` }).apply(y);
  y = conv(16, 'conv4').apply(y);
  y = upSampling2d({ size: 2, name: `${name}_up2` }).apply(y);
  y = conv(1, 'reconstruction', 'sigmoid').apply(y);
  const reconstruction = flatten({ name: `${name}_pixels_out` }).apply(y);
  return model({ inputs: pixels, outputs: reconstruction, name, seed });
}

/** The variant's model (untrained). */
export function buildVariant(variant, { seed = 1, noise = 0.5 } = {}) {
  if (variant === 'dense') return denseAutoencoder({ seed, name: 'dense' });
  if (variant === 'conv') return convAutoencoder({ seed, name: 'conv' });
  if (variant === 'denoise') return denseAutoencoder({ seed, noise, name: 'denoise' });
  if (variant === 'code2') return denseAutoencoder({ seed, codeUnits: 2, name: 'code2' });
  throw new Error(`autoencoder: unknown variant '${variant}'; expected one of ${VARIANTS.join(', ')}`);
}

/** The encoder: the same inputs, cut at the 'code' layer's output; it shares the autoencoder's weights. */
export const encoderOf = (autoencoder) =>
  model({
    inputs: autoencoder.inputs,
    outputs: autoencoder.getLayer(CODE).output,
    name: `${autoencoder.name}_encoder`,
  });

/** BCE as the loss, MSE as a metric; adam with a cosine decay to 0 over the run. */
export function compileAutoencoder(autoencoder, { learningRate = 0.003, decaySteps }) {
  autoencoder.compile({
    optimizer: adam({ learningRate: cosineDecay({ initialLearningRate: learningRate, decaySteps }) }),
    loss: 'binaryCrossentropy',
    metrics: ['mse'],
  });
}

/**
 * Trains to give back x: the last `validationSplit` of x is held out from the steps and chooses the
 * epoch whose weights are kept (early stopping on its BCE). Resolves with fit's History.
 */
export async function trainAutoencoder(
  autoencoder,
  x,
  { epochs, batchSize = 64, learningRate = 0.003, validationSplit = 0.1, patience = 2, verbose = 1 },
) {
  const steps = Math.ceil(Math.floor(x.shape[0] * (1 - validationSplit)) / batchSize);
  compileAutoencoder(autoencoder, { learningRate, decaySteps: Math.max(1, steps * epochs) });
  const callbacks =
    validationSplit > 0 ? [earlyStopping({ monitor: 'val_loss', patience, restoreBestWeights: true })] : [];
  return autoencoder.fit(x, x, { epochs, batchSize, validationSplit, callbacks, verbose });
}

/** Reconstruction BCE and MSE per pixel of `target` from `inputs` (the targets themselves unless noisy). */
export async function reconstructionScores(autoencoder, target, inputs = target) {
  const { loss, mse } = await autoencoder.evaluate(inputs, target, { batchSize: 500 });
  return { bce: loss, mse };
}

/** x plus Gaussian noise of this standard deviation, from `seed` (as a gaussianNoise layer corrupts in training). */
export const noisy = (x, stddev, seed) => keep(tidy(() => add(x, randomNormal(x.shape, 0, stddev, { seed }))));

/** Output of `autoencoder` for x, read back. */
async function predicted(autoencoder, x) {
  const out = autoencoder.predict(x, { batchSize: 500 });
  const values = await out.data();
  out.dispose();
  return values;
}

/**
 * reconstructions.png (originals, then each variant's reconstructions), denoising.png (originals,
 * noisy, the denoising variant's output, the plain dense one's) and codes-2d.svg (the 2-unit
 * encoder's codes of every held-out digit). Resolves with the files written.
 */
export async function writePictures({ trained, xTest, xNoisy, labels, outDir, count = 16 }) {
  const head = (x) => keep(tidy(() => slice(x, [0], [count, IMAGE_SIZE])));
  const originals = head(xTest),
    noisyHead = head(xNoisy);
  const written = [];
  const rows = [await originals.data()];
  for (const variant of ['dense', 'conv', 'code2']) {
    if (trained[variant]) rows.push(await predicted(trained[variant], originals));
  }
  written.push(join(outDir, 'reconstructions.png'));
  await writeFile(written.at(-1), digitRowsPng(rows, { count }));
  if (trained.denoise) {
    const denoised = [await originals.data(), await noisyHead.data(), await predicted(trained.denoise, noisyHead)];
    if (trained.dense) denoised.push(await predicted(trained.dense, noisyHead));
    written.push(join(outDir, 'denoising.png'));
    await writeFile(written.at(-1), digitRowsPng(denoised, { count }));
  }
  if (trained.code2) {
    const codes = await predicted(encoderOf(trained.code2), xTest);
    written.push(join(outDir, 'codes-2d.svg'));
    await writeFile(
      written.at(-1),
      codeScatterSvg(codes, labels, { title: `2-D codes of the ${labels.length} held-out digits` }),
    );
  }
  [originals, noisyHead].forEach((t) => t.dispose());
  return written;
}

/** The first `count` digits of a set (all of them when count is undefined). */
function firstDigits(set, count) {
  const n = count === undefined ? set.n : Number(count);
  if (!(Number.isInteger(n) && n >= 1 && n <= set.n)) {
    throw new Error(`autoencoder: ${count} digits: expected 1 to ${set.n}`);
  }
  return { images: set.images.subarray(0, n * IMAGE_SIZE), labels: set.labels.subarray(0, n), n };
}

const line = (name, { bce, mse }) => `${name.padEnd(44)} MSE/pixel ${mse.toFixed(5)}   BCE ${bce.toFixed(4)}`;

/** The CLI: trains the chosen variants, prints the held-out scores, writes the pictures. Resolves with the scores. */
export async function main(argv) {
  const { values: flags } = parseArgs({
    args: argv,
    options: {
      model: { type: 'string' },
      variants: { type: 'string', default: VARIANTS.join(',') },
      epochs: { type: 'string' },
      'batch-size': { type: 'string', default: '64' },
      'learning-rate': { type: 'string', default: '0.003' },
      noise: { type: 'string', default: '0.5' },
      seed: { type: 'string', default: '1' },
      out: { type: 'string', default: 'out/autoencoder' },
      backend: { type: 'string', default: 'webgpu' },
      // a quick try: only the first N training and held-out digits
      'train-digits': { type: 'string' },
      'test-digits': { type: 'string' },
    },
  });
  const variants = flags.variants.split(',');
  const unknown = variants.filter((v) => !VARIANTS.includes(v));
  if (unknown.length) {
    throw new Error(`--variants: unknown ${unknown.join(', ')}; expected some of ${VARIANTS.join(', ')}`);
  }
  const seed = Number(flags.seed),
    noise = Number(flags.noise);
  const settings = { batchSize: Number(flags['batch-size']), learningRate: Number(flags['learning-rate']) };
  const started = Date.now();
  await setBackend(flags.backend);
  console.log(`backend: ${currentBackend().describe()}`);
  const split = mnistSplit({ seed });
  const train = firstDigits(split.train, flags['train-digits']),
    test = firstDigits(split.test, flags['test-digits']);
  console.log(
    `MNIST digits from the mnist package: ${train.n} to train (the last 10% of them for early stopping), ` +
      `${test.n} held out for the scores below (split seed ${seed})`,
  );
  const xTrain = tensor(train.images, [train.n, IMAGE_SIZE]),
    xTest = tensor(test.images, [test.n, IMAGE_SIZE]);
  const xNoisy = noisy(xTest, noise, seed + 1000);
  const scores = {},
    trained = {};
  for (const variant of variants) {
    const autoencoder = buildVariant(variant, { seed, noise });
    autoencoder.summary();
    const epochs = Number(flags.epochs ?? EPOCHS[variant]);
    const t0 = Date.now();
    const history = await trainAutoencoder(autoencoder, xTrain, { epochs, ...settings });
    const seconds = (Date.now() - t0) / 1000;
    scores[variant] = { ...(await reconstructionScores(autoencoder, xTest)), epochs: history.epoch.length, seconds };
    if (variant === 'denoise' || variant === 'dense') {
      scores[variant].fromNoisy = await reconstructionScores(autoencoder, xTest, xNoisy);
    }
    console.log(
      line(`${variant}: held-out reconstruction`, scores[variant]),
      `(${history.epoch.length} epochs, ${seconds.toFixed(1)} s)`,
    );
    trained[variant] = autoencoder;
  }
  const outDir = flags.out;
  await mkdir(outDir, { recursive: true });
  const pictures = await writePictures({ trained, xTest, xNoisy, labels: test.labels, outDir });
  console.log(`\nheld-out scores (${test.n} digits, pixels in [0, 1]):`);
  for (const variant of variants) {
    console.log(line(variant, scores[variant]));
    if (scores[variant].fromNoisy) {
      console.log(line(`${variant}, input with noise σ=${noise}`, scores[variant].fromNoisy));
    }
  }
  const total = (Date.now() - started) / 1000;
  console.log(`pictures: ${pictures.join(', ')}; the whole run took ${total.toFixed(1)} s`);
  await writeFile(join(outDir, 'scores.json'), `${JSON.stringify({ scores, seconds: total }, null, 2)}\n`);
  [xTrain, xTest, xNoisy, ...Object.values(trained)].forEach((t) => t.dispose());
  return scores;
}
