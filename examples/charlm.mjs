// The character-level language model lab: embedding → a GRU (or a stack of them, --layers; LSTMs with
// --cell lstm), each returning its whole sequence → dense(vocabulary) at every position, trained with sparse categorical
// cross-entropy from the logits to predict the next character of windows of English text (Debian's
// `fortunes`, charlm-data.mjs). Each epoch trains on fresh windows drawn from the training part, then
// reports the held-out perplexity on the validation part and prints samples at temperatures 0.5 and
// 1.0, drawn on the device one character at a time (multinomial) with the recurrent state carried
// across steps; nothing is read back until a sample is complete. At the end: the test perplexity of the
// network beside the add-one unigram and bigram count models on the same characters. The test part is
// read once, at the end; settings were chosen on the validation part (bench/RESULTS.md, round nine): a
// single GRU, small batches and a high learning rate get furthest per second of a software adapter.
//   npm run demo -- --model charlm [--cell gru|lstm] [--layers 1] [--units 128] [--embedding 32]
//                                  [--window 32] [--batch-size 32] [--steps-per-epoch 240] [--epochs 4]
//                                  [--learning-rate 0.01] [--validation-chars 16000] [--sample-length 100]
//                                  [--prompt "The "] [--seed 1] [--backend webgpu]
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { currentBackend, setBackend, tensor } from '@webgrad/core';
import '@webgrad/webgpu';
import { adam, sparseCategoricalCrossentropy } from '@webgrad/layers';
import {
  bigramModel,
  countPerplexity,
  loadFortunes,
  randomStarts,
  tiledStarts,
  unigramModel,
  VOCABULARY,
  windows,
} from './charlm-data.mjs';
import { buildCharLm, sample } from './sequence-models.mjs';

// the sampler lives with the model builder (the browser demo uses both); the lab's tests import it from here
export { sample };

const TEMPERATURES = [0.5, 1.0];

/** Runs the lab with command-line flags; resolves with the per-epoch and final figures. */
export async function main(argv = process.argv.slice(2)) {
  const { values: flags } = parseArgs({
    args: argv,
    options: {
      // `npm run demo -- --model charlm` passes its --model on
      model: { type: 'string' },
      cell: { type: 'string', default: 'gru' },
      layers: { type: 'string', default: '1' },
      units: { type: 'string', default: '128' },
      embedding: { type: 'string', default: '32' },
      window: { type: 'string', default: '32' },
      'batch-size': { type: 'string', default: '32' },
      'steps-per-epoch': { type: 'string', default: '240' },
      epochs: { type: 'string', default: '4' },
      'learning-rate': { type: 'string', default: '0.01' },
      'validation-chars': { type: 'string', default: '16000' },
      'sample-length': { type: 'string', default: '100' },
      prompt: { type: 'string', default: 'The ' },
      seed: { type: 'string', default: '1' },
      backend: { type: 'string', default: 'webgpu' },
      verbose: { type: 'string', default: '1' },
    },
  });
  const cell = flags.cell.toUpperCase();
  if (cell !== 'LSTM' && cell !== 'GRU') throw new Error(`--cell ${flags.cell}: expected lstm or gru`);
  const [depth, units, embeddingDim, window, batchSize, stepsPerEpoch, epochs] = [
    'layers',
    'units',
    'embedding',
    'window',
    'batch-size',
    'steps-per-epoch',
    'epochs',
  ].map((name) => {
    const value = Number(flags[name]);
    if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} ${flags[name]}: expected a positive integer`);
    return value;
  });
  const learningRate = Number(flags['learning-rate']),
    seed = Number(flags.seed),
    sampleLength = Number(flags['sample-length']);
  await setBackend(flags.backend);
  console.log(`backend: ${currentBackend().describe()}`);

  const corpus = loadFortunes();
  const vocabulary = VOCABULARY.length;
  // the validation figure each epoch reads the first validation-chars of the validation part
  const validationIds = corpus.validation.subarray(0, Number(flags['validation-chars']) + 1);
  const validationStarts = tiledStarts(validationIds.length, window),
    testStarts = tiledStarts(corpus.test.length, window);
  console.log(
    `corpus: Debian's fortunes, ${corpus.train.length} characters to train, ${corpus.validation.length} to validate ` +
      `(${validationStarts.length * window} of them each epoch), ${corpus.test.length} held out for the end; ` +
      `${vocabulary} symbols (newline and printable ASCII)`,
  );
  const asTensors = ({ x, y }, count) => [tensor(x, [count, window], 'int32'), tensor(y, [count, window], 'int32')];
  const validationData = asTensors(windows(validationIds, validationStarts, window), validationStarts.length);
  const unigram = unigramModel(corpus.train, vocabulary),
    bigram = bigramModel(corpus.train, vocabulary);
  // the count models on the validation characters: the figures each epoch's network is to beat
  const validationCounts = {
    unigram: countPerplexity(unigram, validationIds, validationStarts, window),
    bigram: countPerplexity(bigram, validationIds, validationStarts, window),
  };
  console.log(
    `validation perplexity of the count models: add-one bigram ${validationCounts.bigram.toFixed(2)}, ` +
      `add-one unigram ${validationCounts.unigram.toFixed(2)}`,
  );

  const { model, embed, recurrents, head } = buildCharLm({ cell, depth, units, embeddingDim, window, seed });
  model.summary();
  // the next character at every position: sparse targets [batch, T] against logits [batch, T, V]
  model.compile({
    optimizer: adam({ learningRate, clipNorm: 1 }),
    loss: sparseCategoricalCrossentropy({ fromLogits: true }),
  });
  // evaluation is forward only: large batches, few dispatches
  const perplexityOn = async (data) => Math.exp((await model.evaluate(...data, { batchSize: 512 })).loss);

  const perEpoch = [];
  const started = Date.now();
  for (let epoch = 0; epoch < epochs; epoch++) {
    const count = stepsPerEpoch * batchSize;
    const starts = randomStarts(corpus.train.length, window, count, seed, epoch);
    const [x, y] = asTensors(windows(corpus.train, starts, window), count);
    const history = await model.fit(x, y, {
      epochs: epoch + 1,
      initialEpoch: epoch,
      batchSize,
      verbose: Number(flags.verbose),
    });
    x.dispose();
    y.dispose();
    const perplexity = await perplexityOn(validationData);
    const trainLoss = history.history.loss.at(-1);
    console.log(
      `epoch ${epoch + 1}/${epochs}: ${(((epoch + 1) * count * window) / 1e3).toFixed(0)}k characters seen, ` +
        `train perplexity ${Math.exp(trainLoss).toFixed(2)}, validation perplexity ${perplexity.toFixed(2)}`,
    );
    const samples = {};
    for (const [k, temperature] of TEMPERATURES.entries()) {
      const stream = (2 * epoch + k) * 1_000_000;
      const { prompt } = flags;
      const text = await sample({
        embed,
        recurrents,
        head,
        cell,
        prompt,
        length: sampleLength,
        temperature,
        seed,
        stream,
      });
      samples[temperature] = prompt + text;
      console.log(`  sample at temperature ${temperature.toFixed(1)}: ${JSON.stringify(prompt + text)}`);
    }
    perEpoch.push({ epoch: epoch + 1, trainLoss, validationPerplexity: perplexity, samples });
  }
  const seconds = (Date.now() - started) / 1000;

  const testData = asTensors(windows(corpus.test, testStarts, window), testStarts.length);
  const network = await perplexityOn(testData);
  const test = {
    network,
    bigram: countPerplexity(bigram, corpus.test, testStarts, window),
    unigram: countPerplexity(unigram, corpus.test, testStarts, window),
  };
  console.log(
    `test perplexity on the ${testStarts.length * window} held-out characters: ` +
      `${depth}-layer ${cell}(${units}) ${network.toFixed(2)}, add-one bigram ${test.bigram.toFixed(2)}, ` +
      `add-one unigram ${test.unigram.toFixed(2)}; training and samples took ${seconds.toFixed(1)} s`,
  );
  for (const t of [...validationData, ...testData]) t.dispose();
  return { perEpoch, validationCounts, test, seconds };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
