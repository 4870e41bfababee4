// What the gradient-flow monitor costs fit: the bench's MNIST MLP (784-128-10, adam 1e-3, batch 64, the
// 8,000 training digits) trained one epoch at a time, epochs with and without `gradientFlow(model,
// { probe, every: 10 })` (a probe batch of 64 held-out digits) taking turns in one process on one model,
// after a warm-up epoch of each. Prints each epoch's samples/s, the medians and their ratio.
//   node bench/monitor-overhead.mjs [--rounds 4] [--every 10] [--backend webgpu]
import { parseArgs } from 'node:util';
import { currentBackend, setBackend, slice, tensor } from '@webgrad/core';
import '@webgrad/webgpu';
import { adam, dense, gradientFlow, sequential } from '@webgrad/layers';
import { mnistSplit } from '../examples/mnist-data.mjs';

const { values: flags } = parseArgs({
  options: {
    rounds: { type: 'string', default: '4' },
    every: { type: 'string', default: '10' },
    backend: { type: 'string', default: 'webgpu' },
  },
});
await setBackend(flags.backend);
console.log(`backend: ${currentBackend().describe()}`);
const { train, test } = mnistSplit({ seed: 1 });
const x = tensor(train.images, [train.n, 784]);
const y = tensor(train.labels, [train.n], 'int32');
const probe = [
  slice(tensor(test.images, [test.n, 784]), [0, 0], [64, 784]),
  slice(tensor(test.labels, [test.n], 'int32'), [0], [64]),
];
const model = sequential(
  [dense({ units: 128, activation: 'relu', inputShape: [784] }), dense({ units: 10, activation: 'softmax' })],
  { seed: 1 },
);
model.compile({ optimizer: adam({ learningRate: 1e-3 }), loss: 'sparseCategoricalCrossentropy' });
const every = Number(flags.every);

async function epoch(monitored) {
  const callbacks = monitored ? [gradientFlow(model, { probe, every })] : [];
  const started = performance.now();
  await model.fit(x, y, { epochs: 1, batchSize: 64, verbose: 0, callbacks, shuffle: true });
  const seconds = (performance.now() - started) / 1000;
  if (monitored && callbacks[0].records.length === 0) throw new Error('the monitor recorded nothing');
  return train.n / seconds;
}

await epoch(false);
await epoch(true);
const plain = [];
const monitored = [];
for (let round = 0; round < Number(flags.rounds); round++) {
  // alternating which goes first, so a drift in the machine's load falls on both alike
  const order = round % 2 === 0 ? [false, true] : [true, false];
  for (const m of order) (m ? monitored : plain).push(await epoch(m));
  console.log(
    `round ${round + 1}: plain ${plain.at(-1).toFixed(0)} samples/s, monitored every ${every} ${monitored.at(-1).toFixed(0)} samples/s`,
  );
}
const median = (v) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
const ratio = median(monitored) / median(plain);
console.log(
  `median: plain ${median(plain).toFixed(0)}, monitored ${median(monitored).toFixed(0)} samples/s; ` +
    `monitored/plain ${ratio.toFixed(3)} (overhead ${((1 - ratio) * 100).toFixed(1)}%)`,
);
