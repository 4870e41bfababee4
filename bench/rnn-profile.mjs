// Where a recurrent training step's time goes: the bench's LSTM(128) or GRU(128) on digit rows
// (28 steps of 28 pixels → dense 10, adam, batch 64) on 512 digits, after a warm-up epoch: two timed
// epochs (samples/s, and the process's CPU time per step over all threads, which a loaded machine
// disturbs less than wall time), then one epoch under backend.profile (each dispatch in a timed pass
// of its own): each kernel's dispatches and GPU ms per step and share (a slice that is one run of memory
// is a buffer copy, untimed, so not listed). `NOPROFILE=1` skips the profile.
//   node bench/rnn-profile.mjs lstm          node bench/rnn-profile.mjs gru
import { currentBackend } from '@webgrad/core';
import { mnistSplit } from '../examples/mnist-data.mjs';
import { open } from './adapters/webgrad.mjs';

const cell = process.argv[2] ?? 'lstm';
const DIGITS = 512;
const STEPS = DIGITS / 64;
const { train } = mnistSplit({ seed: 1 });
const fw = await open();
console.log(fw.describe());
const model = fw.model((l) => [l.reshape([28, 28], [784]), l[cell](128), l.dense(10, 'softmax')]);
const x = fw.fromArray(train.images.subarray(0, DIGITS * 784), [DIGITS, 784]),
  y = fw.labels(train.labels.subarray(0, DIGITS));
await fw.fitEpoch(model, x, y, 64);
for (let run = 0; run < 2; run++) {
  const cpu = process.cpuUsage();
  const started = performance.now();
  await fw.fitEpoch(model, x, y, 64);
  const used = process.cpuUsage(cpu);
  const rate = DIGITS / ((performance.now() - started) / 1000);
  const cpuMs = (used.user + used.system) / 1000 / STEPS;
  console.log(`${cell} fit: ${rate.toFixed(1)} samples/s; CPU ${cpuMs.toFixed(0)} ms a step (all threads)`);
}
if (!process.env.NOPROFILE) {
  const { kernels, wallMs } = await currentBackend().profile(() => fw.fitEpoch(model, x, y, 64));
  const total = kernels.reduce((sum, k) => sum + k.ms, 0);
  for (const k of kernels.sort((a, b) => b.ms - a.ms)) {
    console.log(
      `${k.kernel.padEnd(24)}${(k.calls / STEPS).toFixed(1).padStart(7)} a step${(k.ms / STEPS).toFixed(1).padStart(9)} ms` +
        `${((k.ms / total) * 100).toFixed(1).padStart(7)} %`,
    );
  }
  console.log(`GPU ${(total / STEPS).toFixed(1)} ms a step; wall ${(wallMs / STEPS).toFixed(1)} ms (profiled)`);
}
process.exit(0); // Dawn keeps the event loop alive
