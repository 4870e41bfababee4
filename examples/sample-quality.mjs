// The generative labs' measured bar for sample quality: a small MNIST classifier (the main job's MLP,
// 784-256-128-10 with dropout, trained once on the 8,000 training digits with a fixed seed and cached
// in out/mnist-evaluator-seed<seed>/) scores 1,000 generated digits — mean top-class confidence, classes
// present, entropy of the predicted-class histogram, the classifier score (an Inception Score for
// digits) — and their Fréchet distance to 1,000 held-out real digits on its 128 penultimate features.
// The same figures for 1,000 other held-out real digits are the reference a perfect generator would get.
// The held-out digits choose nothing: the classifier's settings are the main job's.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { slice, tensor, tidy } from '@webgrad/core';
import {
  adam,
  classScores,
  cosineDecay,
  dense,
  dropout,
  frechetDistance,
  loadModel,
  sequential,
} from '@webgrad/layers';
import { ganSamples } from './generative-models.mjs';
import { IMAGE_SIZE, mnistSplit } from './mnist-data.mjs';

const CLASSES = 10;
export const FEATURES = 128;
export const EVALUATION_SAMPLES = 1000;

/** The classifier: the main job's MLP without the pixel shifts; its second dense layer's output are the features. */
function buildClassifier(seed) {
  return sequential(
    [
      dropout({ rate: 0.1, inputShape: [IMAGE_SIZE] }),
      dense({ units: 256, activation: 'relu', kernelInitializer: 'heNormal' }),
      dropout({ rate: 0.3 }),
      dense({ units: FEATURES, activation: 'relu', kernelInitializer: 'heNormal' }),
      dropout({ rate: 0.3 }),
      dense({ units: CLASSES, activation: 'softmax' }),
    ],
    { name: 'mnist_evaluator', seed },
  );
}

/** Features ([n, 128]) and class probabilities ([n, 10]) of digits x ([n, 784], pixels in [0, 1]), read back. */
async function featuresAndProbabilities(classifier, x) {
  const [features, probabilities] = tidy(() => {
    // inference: the dropout layers pass through, so the chain up to the fourth layer is the feature map
    const h = classifier.layers.slice(0, 4).reduce((t, layer) => layer.apply(t), x);
    return [h, classifier.layers.slice(4).reduce((t, layer) => layer.apply(t), h)];
  });
  const out = { features: await features.data(), probabilities: await probabilities.data() };
  features.dispose();
  probabilities.dispose();
  return out;
}

/**
 * The evaluator: trains (or loads from `dir`) the classifier, and reads the held-out reference digits'
 * features. Resolves with `score(samples)` (a [n, 784] tensor of digits in [0, 1]: the figures above)
 * and `reference` (the same figures for real held-out digits) and the classifier's held-out accuracy.
 */
export async function loadEvaluator({
  seed = 1,
  dir = `out/mnist-evaluator-seed${seed}`,
  log = console.log,
  verbose = 1,
} = {}) {
  const { train, test } = mnistSplit({ seed });
  let classifier;
  if (existsSync(join(dir, 'model.json'))) {
    classifier = await loadModel(dir);
  } else {
    log(`evaluator: training the MNIST classifier once on the ${train.n} training digits (cached in ${dir}/)`);
    classifier = buildClassifier(seed);
    const epochs = 10;
    const batchSize = 128;
    const decaySteps = Math.ceil(train.n / batchSize) * epochs;
    classifier.compile({
      optimizer: adam({ learningRate: cosineDecay({ initialLearningRate: 0.005, decaySteps }) }),
      loss: 'sparseCategoricalCrossentropy',
      metrics: ['accuracy'],
    });
    const x = tensor(train.images, [train.n, IMAGE_SIZE]);
    const y = tensor(train.labels, [train.n], 'int32');
    await classifier.fit(x, y, { epochs, batchSize, verbose });
    x.dispose();
    y.dispose();
    await classifier.save(dir);
  }
  const split = 2 * EVALUATION_SAMPLES <= test.n ? EVALUATION_SAMPLES : Math.floor(test.n / 2);
  const xTest = tensor(test.images, [test.n, IMAGE_SIZE]);
  const referenceDigits = slice(xTest, [0, 0], [split, IMAGE_SIZE]);
  const otherDigits = slice(xTest, [split, 0], [split, IMAGE_SIZE]);
  const held = await featuresAndProbabilities(classifier, xTest);
  let correct = 0;
  for (let i = 0; i < test.n; i++) {
    const row = held.probabilities.subarray(i * CLASSES, (i + 1) * CLASSES);
    if (row.indexOf(Math.max(...row)) === test.labels[i]) correct++;
  }
  const base = (await featuresAndProbabilities(classifier, referenceDigits)).features;
  const score = async (samples) => {
    const { features, probabilities } = await featuresAndProbabilities(classifier, samples);
    return {
      ...classScores(probabilities, CLASSES),
      frechetDistance: frechetDistance(features, base, FEATURES),
      samples: samples.shape[0],
    };
  };
  const reference = await score(otherDigits);
  [xTest, referenceDigits, otherDigits].forEach((t) => t.dispose());
  return { score, reference, accuracy: correct / test.n, dispose: () => classifier.dispose() };
}

const fmt = (v, digits = 3) => v.toFixed(digits);

/** One line of figures: `label: confidence 0.912, classes 10, entropy 2.28, score 8.71, FD 12.3`. */
export function scoreLine(label, s) {
  return (
    `${label}: confidence ${fmt(s.meanConfidence)}, classes ${s.classesPresent}, class entropy ${fmt(s.classEntropy)} nats, ` +
    `classifier score ${fmt(s.classifierScore, 2)}, Fréchet distance ${fmt(s.frechetDistance, 2)}`
  );
}

/**
 * A GAN lab's epoch figures: scores EVALUATION_SAMPLES digits of `sampler` from the codes of
 * `sampleSeed` and prints them; when `sampler` is the generator's moving average, scores the last
 * generator too, beside it (what the averaging buys). Resolves to { quality, lastGeneratorQuality? }.
 */
export async function scoreGenerators({ evaluator, sampler, generator, averaged, latent, sampleSeed }) {
  const digits = ganSamples(sampler, latent, EVALUATION_SAMPLES, sampleSeed);
  const quality = await evaluator.score(digits);
  digits.dispose();
  const label = averaged ? 'samples of the averaged generator' : 'samples';
  console.log(scoreLine(`  ${EVALUATION_SAMPLES} ${label}`, quality));
  if (!averaged) return { quality };
  const last = ganSamples(generator, latent, EVALUATION_SAMPLES, sampleSeed);
  const lastGeneratorQuality = await evaluator.score(last);
  last.dispose();
  console.log(scoreLine(`  ${EVALUATION_SAMPLES} samples of the last generator`, lastGeneratorQuality));
  return { quality, lastGeneratorQuality };
}
