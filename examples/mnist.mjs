// The main job: trains an MLP (784-256-128-10, relu, dropout, adam with cosine decay) on the real MNIST digits of the
// `mnist` package — a seeded 8,000/2,000 train/test split — on the WebGPU backend, with the progress
// bar; prints the adapter and the test accuracy, saves the model, checks that the saved model
// predicts the same, and writes the loss and accuracy curves as an SVG beside it.
//   node examples/mnist.mjs [--epochs 10] [--batch-size 128] [--learning-rate 0.003] [--seed 1]
//                           [--out out/mnist-mlp] [--model mlp] [--backend webgpu]
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { argmax, currentBackend, setBackend, tensor, tidy } from '@webgrad/core';
import '@webgrad/webgpu';
import { adam, cosineDecay, dense, dropout, loadModel, sequential } from '@webgrad/layers';
import { IMAGE_SIZE, mnistSplit } from './mnist-data.mjs';
import { trainingCurvesSvg } from './plot.mjs';

const { values: flags } = parseArgs({
  options: {
    epochs: { type: 'string', default: '10' },
    'batch-size': { type: 'string', default: '128' },
    'learning-rate': { type: 'string', default: '0.003' },
    seed: { type: 'string', default: '1' },
    out: { type: 'string', default: 'out/mnist-mlp' },
    model: { type: 'string', default: 'mlp' },
    backend: { type: 'string', default: 'webgpu' },
  },
});
const epochs = Number(flags.epochs), batchSize = Number(flags['batch-size']), learningRate = Number(flags['learning-rate']), seed = Number(flags.seed);
if (flags.model !== 'mlp') throw new Error(`--model ${flags.model}: only 'mlp' exists so far (the CNN comes with the convolution issue)`);

await setBackend(flags.backend);
console.log(`backend: ${currentBackend().describe()}`);

const { train, test } = mnistSplit({ seed });
console.log(`MNIST digits from the mnist package: ${train.n} to train, ${test.n} held out (split seed ${seed})`);
const xTrain = tensor(train.images, [train.n, IMAGE_SIZE]), yTrain = tensor(train.labels, [train.n], 'int32');
const xTest = tensor(test.images, [test.n, IMAGE_SIZE]), yTest = tensor(test.labels, [test.n], 'int32');

// Dropout on the pixels too (lightly) and on both hidden layers: with 8,000 digits the net overfits fast.
const model = sequential([
  dropout({ rate: 0.1, inputShape: [IMAGE_SIZE] }),
  dense({ units: 256, activation: 'relu', kernelInitializer: 'heNormal' }),
  dropout({ rate: 0.3 }),
  dense({ units: 128, activation: 'relu', kernelInitializer: 'heNormal' }),
  dropout({ rate: 0.3 }),
  dense({ units: 10, activation: 'softmax' }),
], { name: 'mnist_mlp', seed });
model.summary();
// The rate falls along a cosine to 0 over the run: large steps early, fine ones at the end.
const decaySteps = Math.ceil(train.n / batchSize) * epochs;
model.compile({ optimizer: adam({ learningRate: cosineDecay({ initialLearningRate: learningRate, decaySteps }) }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });

const started = Date.now();
// The held-out digits double as validation data, for the curves only: nothing is tuned on them.
const history = await model.fit(xTrain, yTrain, { epochs, batchSize, validationData: [xTest, yTest] });
const seconds = (Date.now() - started) / 1000;
const { loss, accuracy } = await model.evaluate(xTest, yTest);
console.log(`test accuracy on the ${test.n} held-out digits: ${(accuracy * 100).toFixed(2)}% (loss ${loss.toFixed(4)}); ` +
  `training took ${seconds.toFixed(1)} s (${Math.round((train.n * epochs) / seconds)} samples/s)`);

await model.save(flags.out);
const reloaded = await loadModel(flags.out);
const same = await tidy(() => [argmax(model.predict(xTest)), argmax(reloaded.predict(xTest))]).reduce(async (a, t) => [...(await a), await t.data()], Promise.resolve([]));
const agree = same[0].every((v, i) => v === same[1][i]);
console.log(`saved to ${flags.out}/ (model.json + weights.bin); the reloaded model ${agree ? 'predicts the same classes' : 'DIFFERS'}`);
const plot = join(flags.out, 'training-curves.svg');
await writeFile(plot, trainingCurvesSvg(history.history, { title: `MNIST MLP — ${epochs} epochs, test accuracy ${(accuracy * 100).toFixed(2)}%` }));
console.log(`training curves: ${plot}`);
process.exit(agree ? 0 : 1);
