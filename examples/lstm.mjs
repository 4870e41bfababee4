// The sequence-classifier lab: each MNIST digit read as a sequence of its 28 rows of 28 pixels by an
// LSTM(128), whose last output a dense(10) softmax classifies; adam with cosine decay, on the demo's
// seeded 8,000/2,000 split. fit carves the validation part from the end of the 8,000 training digits
// (--validation-split) and reports its accuracy each epoch (the progress bar with its ETA); the 2,000
// held-out digits are used once, at the end, for the test accuracy.
//   npm run demo -- --model lstm [--epochs 20] [--batch-size 64] [--learning-rate 0.003] [--units 128]
//                                [--shift 1] [--validation-split 0.1] [--train-size 8000] [--seed 1]
//                                [--backend webgpu]
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { currentBackend, setBackend, tensor } from '@webgrad/core';
import '@webgrad/webgpu';
import { adam, cosineDecay } from '@webgrad/layers';
import { IMAGE_SIZE, mnistSplit } from './mnist-data.mjs';
import { buildRowsLstm, ROWS } from './sequence-models.mjs';

/** Runs the lab with command-line flags; resolves with the history and the held-out figures. */
export async function main(argv = process.argv.slice(2)) {
  const { values: flags } = parseArgs({
    args: argv,
    options: {
      // `npm run demo -- --model lstm` passes its --model on
      model: { type: 'string' },
      epochs: { type: 'string', default: '20' },
      'batch-size': { type: 'string', default: '64' },
      'learning-rate': { type: 'string', default: '0.003' },
      units: { type: 'string', default: '128' },
      shift: { type: 'string', default: '1' },
      'validation-split': { type: 'string', default: '0.1' },
      'train-size': { type: 'string', default: '8000' },
      seed: { type: 'string', default: '1' },
      backend: { type: 'string', default: 'webgpu' },
      verbose: { type: 'string', default: '1' },
    },
  });
  const epochs = Number(flags.epochs),
    batchSize = Number(flags['batch-size']),
    learningRate = Number(flags['learning-rate']);
  const units = Number(flags.units),
    shift = Number(flags.shift),
    validationSplit = Number(flags['validation-split']),
    seed = Number(flags.seed);
  await setBackend(flags.backend);
  console.log(`backend: ${currentBackend().describe()}`);

  const { train, test } = mnistSplit({ seed });
  const trainSize = Math.min(Number(flags['train-size']), train.n);
  const xTrain = tensor(train.images.subarray(0, trainSize * IMAGE_SIZE), [trainSize, ROWS, ROWS]),
    yTrain = tensor(train.labels.subarray(0, trainSize), [trainSize], 'int32');
  const xTest = tensor(test.images, [test.n, ROWS, ROWS]),
    yTest = tensor(test.labels, [test.n], 'int32');
  const validationCount = trainSize - Math.floor(trainSize * (1 - validationSplit));
  console.log(
    `MNIST digits as ${ROWS} rows of ${ROWS} pixels: ${trainSize - validationCount} to train, the last ` +
      `${validationCount} of the training part to validate, ${test.n} held out (split seed ${seed})`,
  );

  const model = buildRowsLstm({ units, shift, seed });
  model.summary();
  const trainRows = trainSize - validationCount;
  const decaySteps = Math.ceil(trainRows / batchSize) * epochs;
  model.compile({
    optimizer: adam({ learningRate: cosineDecay({ initialLearningRate: learningRate, decaySteps }) }),
    loss: 'sparseCategoricalCrossentropy',
    metrics: ['accuracy'],
  });

  const started = Date.now();
  const history = await model.fit(xTrain, yTrain, {
    epochs,
    batchSize,
    validationSplit,
    verbose: Number(flags.verbose),
  });
  const seconds = (Date.now() - started) / 1000;
  const validation = history.history.val_accuracy ?? [];
  console.log(
    `validation accuracy per epoch: ${validation.map((a, i) => `${i + 1}: ${(a * 100).toFixed(2)}%`).join(', ')}`,
  );
  const { loss, accuracy } = await model.evaluate(xTest, yTest);
  console.log(
    `test accuracy on the ${test.n} held-out digits: ${(accuracy * 100).toFixed(2)}% (loss ${loss.toFixed(4)}); ` +
      `training took ${seconds.toFixed(1)} s (${Math.round((trainRows * epochs) / seconds)} samples/s)`,
  );
  for (const t of [xTrain, yTrain, xTest, yTest]) t.dispose();
  return { history: history.history, accuracy, loss, seconds };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
