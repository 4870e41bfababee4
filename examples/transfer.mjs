// The transfer-learning lab. The demo's CNN learns the digits 0–4 and is saved in TF.js Layers' own
// format; that file is loaded back as the base, cut after its last conv block, frozen, and given a new
// head that learns the digits 5–9 from only 500 of them. Against it, on the same 500 digits: the same
// network trained from scratch, the new head alone on the pixels, the same frozen network with random
// (never trained) conv weights, and the frozen model with its top conv block unfrozen for a second,
// slower phase (recompiled, as Keras asks). Each run keeps its best epoch on 500 other 5–9 training
// digits; the printed accuracies are on the 5–9 digits of the held-out 2,000, used for nothing else.
//   npm run demo -- --model transfer [--base-epochs 2] [--epochs 15] [--unfreeze-epochs 5] [--target-digits 500]
//                  [--validation-digits 500] [--batch-size 32] [--learning-rate 0.001] [--unfreeze-learning-rate 0.0001]
//                  [--base-digits 4000] [--base <a TF.js-format folder of the 0–4 CNN, instead of training one>]
//                  [--seed 1] [--out out/transfer] [--backend webgpu] [--verbose 1]
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { currentBackend, setBackend, tensor } from '@webgrad/core';
import '@webgrad/webgpu';
import {
  adam,
  conv2d,
  dense,
  dropout,
  earlyStopping,
  flatten,
  input,
  loadModel,
  maxPooling2d,
  model,
  reshape,
  sequential,
} from '@webgrad/layers';
import { IMAGE_SIZE, mnistSplit } from './mnist-data.mjs';

/** The base learns these digits; the new head learns the others, as classes 0–4. */
export const BASE_DIGITS = [0, 1, 2, 3, 4];
export const TARGET_DIGITS = [5, 6, 7, 8, 9];
/** Where the base is cut: the output of the last conv block (its pooling layer). */
export const CUT_AT = 'pool2';
/** The top conv block's layers: the ones unfrozen in the second phase. */
export const TOP_BLOCK = ['conv2'];

/**
 * The first `count` digits of `set` (after skipping `skip` of them) whose label is among `digits`,
 * with labels renumbered by their place in `digits`: {images, labels, n}.
 */
export function digitsOf(set, digits, { skip = 0, count = Infinity } = {}) {
  const rows = [];
  let seen = 0;
  for (let i = 0; i < set.n && rows.length < count; i++) {
    if (!digits.includes(set.labels[i])) continue;
    if (seen++ >= skip) rows.push(i);
  }
  const images = new Float32Array(rows.length * IMAGE_SIZE),
    labels = new Int32Array(rows.length);
  rows.forEach((row, r) => {
    images.set(set.images.subarray(row * IMAGE_SIZE, (row + 1) * IMAGE_SIZE), r * IMAGE_SIZE);
    labels[r] = digits.indexOf(set.labels[row]);
  });
  return { images, labels, n: rows.length };
}

/**
 * The lab's digit sets from the demo's seeded 8,000/2,000 split: `base` (0–4 of the training part),
 * `target` (the first `targetDigits` 5–9 of the training part), `validation` (the next
 * `validationDigits` 5–9 there) and `test` (every 5–9 digit of the held-out part).
 */
export function transferData({ seed = 1, baseDigits = Infinity, targetDigits = 500, validationDigits = 500 } = {}) {
  const { train, test } = mnistSplit({ seed });
  return {
    base: digitsOf(train, BASE_DIGITS, { count: baseDigits }),
    target: digitsOf(train, TARGET_DIGITS, { count: targetDigits }),
    validation: digitsOf(train, TARGET_DIGITS, { skip: targetDigits, count: validationDigits }),
    test: digitsOf(test, TARGET_DIGITS),
  };
}

/** A digit set as tensors [x (n×784), y (n, int32)]. */
export const asTensors = (set) => [tensor(set.images, [set.n, IMAGE_SIZE]), tensor(set.labels, [set.n], 'int32')];

/**
 * The demo's CNN (examples/mnist.mjs) with named layers and a `classes`-way softmax: conv(32, 3×3) →
 * pool → conv(64, 3×3) → pool → flatten → dense(128) → dropout(0.5) → dense. Only layers TF.js has,
 * so its TF.js-format file loads in TF.js as well.
 */
export function digitCnn({ classes = 5, seed = 1, name = 'cnn' } = {}) {
  return sequential(
    [
      reshape({ targetShape: [28, 28, 1], inputShape: [IMAGE_SIZE], name: 'image' }),
      conv2d({ filters: 32, kernelSize: 3, activation: 'relu', kernelInitializer: 'heNormal', name: 'conv1' }),
      maxPooling2d({ poolSize: 2, name: 'pool1' }),
      conv2d({ filters: 64, kernelSize: 3, activation: 'relu', kernelInitializer: 'heNormal', name: 'conv2' }),
      maxPooling2d({ poolSize: 2, name: CUT_AT }),
      ...head({ classes }),
    ],
    { name, seed },
  );
}

/** The classifier on top of the conv blocks: flatten → dense(128, relu) → dropout(0.5) → dense(classes, softmax). */
function head({ classes, prefix = '' }) {
  return [
    flatten({ name: `${prefix}flatten` }),
    dense({ units: 128, activation: 'relu', kernelInitializer: 'heNormal', name: `${prefix}dense` }),
    dropout({ rate: 0.5, name: `${prefix}dropout` }),
    dense({ units: classes, activation: 'softmax', name: `${prefix}classes` }),
  ];
}

/** The model cut at a layer, Keras's way: the same inputs, that layer's output; it shares the weights. */
export const cutAt = (whole, layerName, name = `${whole.name}_base`) =>
  model({ inputs: whole.inputs, outputs: whole.getLayer(layerName).output, name });

/** A new model: `base` (a nested model, frozen unless told) and a fresh head with `classes` outputs. */
export function withNewHead(base, { classes = 5, seed = 2, frozen = true, name = 'transfer' } = {}) {
  base.trainable = !frozen;
  const pixels = input({ shape: [IMAGE_SIZE], name: `${name}_pixels` });
  const out = head({ classes, prefix: 'new_' }).reduce((x, layer) => layer.apply(x), base.apply(pixels));
  return model({ inputs: pixels, outputs: out, name, seed });
}

/** The same new head on the pixels alone, no base: flatten (a no-op here) → dense(128) → dropout → dense. */
export function headAlone({ classes = 5, seed = 2, name = 'head_alone' } = {}) {
  const pixels = input({ shape: [IMAGE_SIZE], name: `${name}_pixels` });
  const out = head({ classes, prefix: 'new_' }).reduce((x, layer) => layer.apply(x), pixels);
  return model({ inputs: pixels, outputs: out, name, seed });
}

/**
 * Unfreezes the base's top block (`TOP_BLOCK`) and nothing below it: the base becomes trainable, its
 * other layers frozen one by one. The caller recompiles, so the optimizer starts on the new weights.
 */
export function unfreezeTopBlock(base, topBlock = TOP_BLOCK) {
  base.trainable = true;
  for (const layer of base.layers) layer.trainable = topBlock.includes(layer.name);
}

/** Adam at this rate, sparse cross-entropy, accuracy. */
export function compileClassifier(classifier, learningRate) {
  classifier.compile({
    optimizer: adam({ learningRate }),
    loss: 'sparseCategoricalCrossentropy',
    metrics: ['accuracy'],
  });
}

/**
 * Trains for up to `epochs`, keeping the epoch whose validation accuracy is best (early stopping with
 * its weights restored); resolves with {history, seconds, bestEpoch}.
 */
export async function train(classifier, [x, y], { validation, epochs, batchSize = 32, patience = 3, verbose = 1 }) {
  const stopper = earlyStopping({ monitor: 'val_accuracy', patience, restoreBestWeights: true });
  const started = Date.now();
  const history = await classifier.fit(x, y, {
    epochs,
    batchSize,
    validationData: validation,
    callbacks: [stopper],
    verbose,
  });
  return { history, seconds: (Date.now() - started) / 1000, bestEpoch: stopper.bestEpoch + 1 };
}

/** Accuracy in [0, 1] on [x, y]. */
export async function accuracyOn(classifier, [x, y]) {
  const { accuracy } = await classifier.evaluate(x, y, { batchSize: 250 });
  return accuracy;
}

/** Trains the demo CNN on the 0–4 digits and saves it in TF.js Layers' format to `folder`. */
async function trainBase([x, y], folder, { epochs, learningRate, seed, verbose }) {
  const cnn = digitCnn({ classes: BASE_DIGITS.length, seed, name: 'cnn_0_4' });
  compileClassifier(cnn, learningRate);
  const started = Date.now();
  await cnn.fit(x, y, { epochs, batchSize: 64, validationSplit: 0.1, verbose });
  const seconds = (Date.now() - started) / 1000;
  await cnn.save(folder, { format: 'tfjs' });
  cnn.dispose();
  return seconds;
}

/** Runs the lab with command-line flags; resolves with each arm's figures and the base's folder. */
export async function main(argv = process.argv.slice(2)) {
  const { values: flags } = parseArgs({
    args: argv,
    options: {
      // `npm run demo -- --model transfer` passes its --model on
      model: { type: 'string' },
      base: { type: 'string' },
      'base-epochs': { type: 'string', default: '2' },
      'base-digits': { type: 'string', default: '4000' },
      epochs: { type: 'string', default: '15' },
      'unfreeze-epochs': { type: 'string', default: '5' },
      'target-digits': { type: 'string', default: '500' },
      'validation-digits': { type: 'string', default: '500' },
      'batch-size': { type: 'string', default: '32' },
      'learning-rate': { type: 'string', default: '0.001' },
      'unfreeze-learning-rate': { type: 'string', default: '0.0001' },
      seed: { type: 'string', default: '1' },
      out: { type: 'string', default: 'out/transfer' },
      backend: { type: 'string', default: 'webgpu' },
      verbose: { type: 'string', default: '1' },
    },
  });
  const number = (flag) => Number(flags[flag]);
  const seed = number('seed'),
    batchSize = number('batch-size'),
    learningRate = number('learning-rate'),
    verbose = number('verbose');
  await setBackend(flags.backend);
  console.log(`backend: ${currentBackend().describe()}`);

  const data = transferData({
    seed,
    baseDigits: number('base-digits'),
    targetDigits: number('target-digits'),
    validationDigits: number('validation-digits'),
  });
  console.log(
    `digits 0–4: ${data.base.n} training digits for the base (the last tenth validates it); digits 5–9: ` +
      `${data.target.n} to fine-tune on, ${data.validation.n} to validate, ${data.test.n} held out (split seed ${seed})`,
  );
  const [baseSet, target, validation, test] = [data.base, data.target, data.validation, data.test].map(asTensors);

  // 1. the CNN on 0–4, saved in TF.js Layers' format (or such a file given)
  const baseFolder = flags.base ?? join(flags.out, 'cnn-0-4');
  let baseSeconds = 0;
  if (flags.base === undefined) {
    console.log(`\n1. the CNN on the digits 0–4 (${number('base-epochs')} epochs)`);
    const base = { epochs: number('base-epochs'), learningRate, seed, verbose };
    baseSeconds = await trainBase(baseSet, baseFolder, base);
  }
  const saved = JSON.parse(await readFile(join(baseFolder, 'model.json'), 'utf8'));
  console.log(
    `${flags.base === undefined ? 'saved' : '1. the base is'} in TF.js Layers' format in ${baseFolder}/ (keras_version ` +
      `${saved.modelTopology?.keras_version}, weights in ${saved.weightsManifest?.[0]?.paths?.join(', ')})` +
      (flags.base === undefined ? `; training took ${baseSeconds.toFixed(1)} s` : ''),
  );

  const arms = {};
  const fineTune = { validation, epochs: number('epochs'), batchSize, verbose };
  const runArm = async (key, classifier) => {
    compileClassifier(classifier, learningRate);
    const run = await train(classifier, target, fineTune);
    arms[key] = {
      epochs: run.bestEpoch,
      seconds: run.seconds,
      accuracy: await accuracyOn(classifier, test),
      earlyValidation: run.history.history.val_accuracy.slice(0, 2),
    };
    return run;
  };

  // 2. from scratch: the same network, fresh weights, every layer trained on the same digits
  console.log(`\n2. from scratch on ${data.target.n} digits of 5–9`);
  const scratch = withNewHead(cutAt(digitCnn({ seed: seed + 1, name: 'scratch' }), CUT_AT), {
    frozen: false,
    seed: seed + 1,
    name: 'from_scratch',
  });
  await runArm('scratch', scratch);
  scratch.dispose();

  // 3. the new head alone on the pixels: what the base's features add
  console.log(`\n3. the new head alone on the pixels`);
  const headOnly = headAlone({ seed: seed + 1 });
  await runArm('head', headOnly);
  headOnly.dispose();

  // 4. the same frozen network with random conv weights: what the pretraining itself adds
  console.log(`\n4. a frozen base with random weights (never trained), with a new head`);
  const random = withNewHead(cutAt(digitCnn({ seed: seed + 1, name: 'random' }), CUT_AT), {
    frozen: true,
    seed: seed + 1,
    name: 'random_base',
  });
  await runArm('random', random);
  random.dispose();

  // 5. the TF.js-format file loaded as the base, cut after its last conv block, frozen, a new head
  console.log(`\n5. the 0–4 base from ${baseFolder}/, cut at '${CUT_AT}', frozen, with a new head`);
  const loaded = await loadModel(baseFolder);
  const base = cutAt(loaded, CUT_AT);
  const transfer = withNewHead(base, { frozen: true, seed: seed + 1 });
  const frozen = await runArm('frozen', transfer);

  // 6. the same model, its top conv block unfrozen, recompiled at a lower rate
  console.log(`\n6. the top conv block (${TOP_BLOCK.join(', ')}) unfrozen, at ${flags['unfreeze-learning-rate']}`);
  unfreezeTopBlock(base);
  compileClassifier(transfer, number('unfreeze-learning-rate'));
  const unfrozen = await train(transfer, target, { ...fineTune, epochs: number('unfreeze-epochs') });
  arms.unfrozen = {
    epochs: `${arms.frozen.epochs} + ${unfrozen.bestEpoch}`,
    seconds: frozen.seconds + unfrozen.seconds,
    accuracy: await accuracyOn(transfer, test),
    earlyValidation: arms.frozen.earlyValidation,
  };
  transfer.dispose();
  loaded.dispose();
  [baseSet, target, validation, test].flat().forEach((t) => t.dispose());

  printTable(arms, data);
  return { ...arms, baseFolder, testDigits: data.test.n, targetDigits: data.target.n };
}

/**
 * The arms' held-out accuracy, epochs kept, training time and validation accuracy after the first two
 * epochs, and the frozen base's gain over training from scratch.
 */
function printTable(arms, data) {
  const rows = [
    ['from scratch (the same CNN, fresh weights)', arms.scratch],
    ['the new head alone, on the pixels', arms.head],
    ['frozen random base + new head', arms.random],
    ['frozen 0–4 base + new head', arms.frozen],
    [`frozen 0–4 base, then ${TOP_BLOCK.join(', ')} unfrozen`, arms.unfrozen],
  ];
  const percent = (fraction) => `${(fraction * 100).toFixed(2)}%`;
  console.log(`\nheld-out accuracy on the ${data.test.n} test digits of 5–9, trained on ${data.target.n} of them:`);
  console.log(
    `${'model'.padEnd(44)} ${'accuracy'.padStart(8)}  ${'epochs'.padStart(7)}  ${'train time'.padStart(10)}  ` +
      `validation after epoch 1, 2`,
  );
  for (const [label, arm] of rows) {
    const seconds = `${arm.seconds.toFixed(1)} s`;
    console.log(
      `${label.padEnd(44)} ${percent(arm.accuracy).padStart(8)}  ${String(arm.epochs).padStart(7)}  ` +
        `${seconds.padStart(10)}  ${arm.earlyValidation.map(percent).join(', ')}`,
    );
  }
  const points = (a, b) => ((a.accuracy - b.accuracy) * 100).toFixed(2);
  console.log(
    `frozen 0–4 base − from scratch: ${points(arms.frozen, arms.scratch)} points; − head alone: ` +
      `${points(arms.frozen, arms.head)}; − frozen random base: ${points(arms.frozen, arms.random)}`,
  );
}

// Run directly (node examples/transfer.mjs) without a top-level await: the tests load this module as a
// dependency of CommonJS, where a module graph holding one gets its own copy of @webgrad/core.
if (process.argv[1] === fileURLToPath(import.meta.url)) void main();
