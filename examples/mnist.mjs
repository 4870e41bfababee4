// The main job: trains an MLP (784-256-128-10, relu, dropout, adam with cosine decay) on the real MNIST digits of the
// `mnist` package — a seeded 8,000/2,000 train/test split — on the WebGPU backend, with the progress
// bar; prints the adapter and the test accuracy, saves the model, checks that the saved model
// predicts the same, and writes the loss and accuracy curves as an SVG beside it.
//   node examples/mnist.mjs [--model mlp|cnn] [--epochs 10|20] [--batch-size 128|64] [--learning-rate 0.005|0.001]
//                           [--shift 1 (pixels of random translation; 0 for none)] [--seed 1] [--out out/mnist-<model>] [--backend webgpu]
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { argmax, currentBackend, setBackend, tensor, tidy } from '@webgrad/core';
import '@webgrad/webgpu';
import { adam, cosineDecay, loadModel, randomTranslation, sequential } from '@webgrad/layers';
import { cnnLayers, mlpLayers } from './digit-models.mjs';
import { IMAGE_SIZE, mnistSplit } from './mnist-data.mjs';
import { trainingCurvesSvg } from './plot.mjs';

const { values: flags } = parseArgs({
  options: {
    epochs: { type: 'string' },
    'batch-size': { type: 'string' },
    'learning-rate': { type: 'string' },
    seed: { type: 'string', default: '1' },
    out: { type: 'string' },
    model: { type: 'string', default: 'mlp' },
    backend: { type: 'string', default: 'webgpu' },
    shift: { type: 'string' },
  },
});
if (flags.model !== 'mlp' && flags.model !== 'cnn') throw new Error(`--model ${flags.model}: expected 'mlp' or 'cnn'`);
// Per-model defaults, each the best of the few settings tried (see the README's measured results).
const defaults = {
  mlp: { epochs: 10, batchSize: 128, learningRate: 0.005, shift: 1 },
  cnn: { epochs: 20, batchSize: 64, learningRate: 0.001, shift: 1 },
}[flags.model];
const epochs = Number(flags.epochs ?? defaults.epochs),
  seed = Number(flags.seed);
const batchSize = Number(flags['batch-size'] ?? defaults.batchSize),
  learningRate = Number(flags['learning-rate'] ?? defaults.learningRate);
// Data augmentation: each training digit moved by up to this many pixels (0: none).
const shift = Number(flags.shift ?? defaults.shift);
const augment = shift > 0 ? [randomTranslation({ heightFactor: shift / 28 })] : [];

const outDir = flags.out ?? `out/mnist-${flags.model}`;
await setBackend(flags.backend);
console.log(`backend: ${currentBackend().describe()}`);

const { train, test } = mnistSplit({ seed });
console.log(`MNIST digits from the mnist package: ${train.n} to train, ${test.n} held out (split seed ${seed})`);
const xTrain = tensor(train.images, [train.n, IMAGE_SIZE]),
  yTrain = tensor(train.labels, [train.n], 'int32');
const xTest = tensor(test.images, [test.n, IMAGE_SIZE]),
  yTest = tensor(test.labels, [test.n], 'int32');

const layers = flags.model === 'cnn' ? cnnLayers({ augment }) : mlpLayers({ augment });
const model = sequential(layers, { name: `mnist_${flags.model}`, seed });
model.summary();
// The rate falls along a cosine to 0 over the run: large steps early, fine ones at the end.
const decaySteps = Math.ceil(train.n / batchSize) * epochs;
model.compile({
  optimizer: adam({ learningRate: cosineDecay({ initialLearningRate: learningRate, decaySteps }) }),
  loss: 'sparseCategoricalCrossentropy',
  metrics: ['accuracy'],
});

const started = Date.now();
// The held-out digits double as validation data, for the curves only: nothing is tuned on them.
const history = await model.fit(xTrain, yTrain, { epochs, batchSize, validationData: [xTest, yTest] });
const seconds = (Date.now() - started) / 1000;
const { loss, accuracy } = await model.evaluate(xTest, yTest);
console.log(
  `test accuracy on the ${test.n} held-out digits: ${(accuracy * 100).toFixed(2)}% (loss ${loss.toFixed(4)}); ` +
    `training took ${seconds.toFixed(1)} s (${Math.round((train.n * epochs) / seconds)} samples/s)`,
);

await model.save(outDir);
const reloaded = await loadModel(outDir);
const same = await tidy(() => [argmax(model.predict(xTest)), argmax(reloaded.predict(xTest))]).reduce(
  async (a, t) => [...(await a), await t.data()],
  Promise.resolve([]),
);
const agree = same[0].every((v, i) => v === same[1][i]);
console.log(
  `saved to ${outDir}/ (model.json and its weights file); the reloaded model ${agree ? 'predicts the same classes' : 'DIFFERS'}`,
);
const plot = join(outDir, 'training-curves.svg');
await writeFile(
  plot,
  trainingCurvesSvg(history.history, {
    title: `MNIST ${flags.model.toUpperCase()} — ${epochs} epochs, test accuracy ${(accuracy * 100).toFixed(2)}%`,
  }),
);
console.log(`training curves: ${plot}`);
process.exitCode = agree ? 0 : 1;
