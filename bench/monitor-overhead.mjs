// What the gradient-flow monitor costs fit: the bench's MNIST MLP (784-128-10, adam 1e-3, batch 64, the
// 8,000 training digits) trained one epoch at a time on one model, epochs of each arm taking turns in
// one process after a warm-up epoch of each: plain fit; `gradientFlow(model, { probe, every: 10 })`,
// whose every-10 records come from the training step (the default); the same with from: 'probe' (a
// probe pass of 64 held-out digits a record); `steady`, the step records without a probe, so without
// the record before training (each epoch of a long fit after its first); and, given --baseline,
// another implementation's gradientFlow (e.g. an earlier commit's gradient-flow.ts, which needs
// `node --import tsx`). Every arm given a probe records before training on it. Prints each round's
// samples/s and the process's CPU time (all threads, the software adapter's included: steadier than
// wall time on a loaded machine), then per arm the median over rounds of its ratio to the plain epoch
// of the same round.
//   node bench/monitor-overhead.mjs [--rounds 5] [--every 10] [--backend webgpu] [--arms step,probe,steady]
//   node --import tsx bench/monitor-overhead.mjs --baseline out/before-gradient-flow.ts
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { currentBackend, setBackend, slice, tensor } from '@webgrad/core';
import '@webgrad/webgpu';
import { adam, dense, gradientFlow, sequential } from '@webgrad/layers';
import { mnistSplit } from '../examples/mnist-data.mjs';

const { values: flags } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    every: { type: 'string', default: '10' },
    backend: { type: 'string', default: 'webgpu' },
    arms: { type: 'string', default: 'step,probe' },
    baseline: { type: 'string' },
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
const baseline = flags.baseline && (await import(pathToFileURL(flags.baseline).href)).gradientFlow;

const monitors = {
  plain: () => undefined,
  step: () => gradientFlow(model, { probe, every }),
  // no probe, so no record before training: what each epoch of a long fit costs after its first
  steady: () => gradientFlow(model, { every }),
  probe: () => gradientFlow(model, { probe, every, from: 'probe' }),
  ...(baseline ? { baseline: () => baseline(model, { probe, every }) } : {}),
};
const arms = ['plain', ...flags.arms.split(',').filter((a) => a !== 'plain'), ...(baseline ? ['baseline'] : [])];

async function epoch(arm) {
  const monitor = monitors[arm]();
  const cpu = process.cpuUsage();
  const started = performance.now();
  await model.fit(x, y, { epochs: 1, batchSize: 64, verbose: 0, callbacks: monitor ? [monitor] : [], shuffle: true });
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  if (monitor && monitor.records.length < Math.floor(train.n / 64 / every)) {
    throw new Error(`${arm}: the monitor recorded ${monitor.records.length} times`);
  }
  return { rate: train.n / seconds, cpuMs: (used.user + used.system) / 1000 };
}

for (const arm of arms) await epoch(arm);
const results = Object.fromEntries(arms.map((a) => [a, []]));
for (let round = 0; round < Number(flags.rounds); round++) {
  // each round rotates the order, so a drift in the machine's load falls on every arm alike
  const order = arms.map((_, i) => arms[(i + round) % arms.length]);
  for (const arm of order) results[arm].push(await epoch(arm));
  console.log(
    `round ${round + 1}: ` +
      arms
        .map(
          (a) => `${a} ${results[a].at(-1).rate.toFixed(0)} samples/s (${results[a].at(-1).cpuMs.toFixed(0)} CPU ms)`,
        )
        .join(', '),
  );
}
const median = (v) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
for (const arm of arms.slice(1)) {
  const rates = results[arm].map((r, i) => r.rate / results.plain[i].rate);
  const cpu = results[arm].map((r, i) => results.plain[i].cpuMs / r.cpuMs);
  console.log(
    `${arm} (every ${every}): samples/s ÷ plain's, median of rounds ${median(rates).toFixed(3)} ` +
      `(overhead ${((1 - median(rates)) * 100).toFixed(1)}%); by CPU time ${median(cpu).toFixed(3)} ` +
      `(overhead ${((1 - median(cpu)) * 100).toFixed(1)}%)`,
  );
}
process.exit(0); // Dawn keeps the event loop alive
