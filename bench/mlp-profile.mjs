// Where an MLP training step's GPU time goes: one epoch of 2,048 digits (784-128-10, adam, batch 64,
// as the bench's mlp case), after a warm-up epoch, under backend.profile (each dispatch in a timed
// pass of its own, so a dispatch costs more than in plain training). Prints each kernel's dispatch
// count, GPU ms, µs a dispatch and share.
//   node bench/mlp-profile.mjs          WEBGRAD_GEMM=matmul_rows node bench/mlp-profile.mjs
import { currentBackend } from '@webgrad/core';
import { mnistSplit } from '../examples/mnist-data.mjs';
import { open } from './adapters/webgrad.mjs';

const DIGITS = 2048;
const { train } = mnistSplit({ seed: 1 });
const fw = await open();
console.log(fw.describe());
const model = fw.model((l) => [l.dense(128, 'relu', [784]), l.dense(10, 'softmax')]);
const x = fw.fromArray(train.images.subarray(0, DIGITS * 784), [DIGITS, 784]),
  y = fw.labels(train.labels.subarray(0, DIGITS));
await fw.fitEpoch(model, x, y, 64);
const { kernels, wallMs } = await currentBackend().profile(() => fw.fitEpoch(model, x, y, 64));
const total = kernels.reduce((sum, k) => sum + k.ms, 0);
for (const k of kernels) {
  console.log(
    `${k.kernel.padEnd(24)}${String(k.calls).padStart(6)}${k.ms.toFixed(1).padStart(9)} ms` +
      `${((k.ms / k.calls) * 1000).toFixed(0).padStart(7)} µs${((k.ms / total) * 100).toFixed(1).padStart(7)} %`,
  );
}
console.log(`GPU ${total.toFixed(1)} ms in all; wall ${wallMs.toFixed(1)} ms`);
process.exit(0); // Dawn keeps the event loop alive
