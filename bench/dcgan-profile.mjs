// Where a DCGAN round's GPU time goes (the bench's dcgan case: the lab's generator and discriminator
// at width 32, batch 64, one discriminator and one generator update), after two warm-up rounds, under
// backend.profile (each dispatch in a timed pass of its own, so a dispatch costs more than in plain
// training). Prints each kernel's dispatch count, GPU ms, µs a dispatch and share, split by the
// dispatch's `size` param (so a kernel's calls at different shapes show apart), and the wall time of
// the same rounds unprofiled.
//   node bench/dcgan-profile.mjs          ROUNDS=4 WEBGRAD_CONV=gemm node bench/dcgan-profile.mjs
import { currentBackend } from '@webgrad/core';
import { IMAGE_SIZE, mnistSplit } from '../examples/mnist-data.mjs';
import { open } from './adapters/webgrad.mjs';

const ROUNDS = Number(process.env.ROUNDS ?? 2);
const fw = await open();
console.log(fw.describe());
const backend = currentBackend();
if (process.env.WEBGRAD_CONV) backend.convAlgorithm = process.env.WEBGRAD_CONV;
const { train } = mnistSplit({ seed: 1 });
const real = fw.tidy(() => fw.toImages(fw.fromArray(train.images.subarray(0, 64 * IMAGE_SIZE), [64, IMAGE_SIZE])));
const gan = fw.dcgan();
let round = 0;
for (let i = 0; i < 2; i++) await fw.dcganStep(gan, real, round++, true);

// Label each timed pass with its kernel and size: the recorder names the kernel to the profiler, and
// the dispatch just before it carries the params.
const commands = backend.commands;
let label = '';
const dispatch = commands.dispatch.bind(commands);
commands.dispatch = (d) => {
  label = `${d.kernel} ${d.params?.size ?? ''}`;
  return dispatch(d);
};
let profiler = null;
Object.defineProperty(commands, 'profiler', {
  configurable: true,
  get: () => profiler,
  set(value) {
    if (value) {
      const next = value.next.bind(value);
      value.next = () => next(label);
    }
    profiler = value;
  },
});

const { kernels, wallMs } = await backend.profile(async () => {
  for (let i = 0; i < ROUNDS; i++) await fw.dcganStep(gan, real, round++, i === ROUNDS - 1);
});
const total = kernels.reduce((sum, k) => sum + k.ms, 0);
const calls = kernels.reduce((sum, k) => sum + k.calls, 0);
for (const k of kernels) {
  console.log(
    `${k.kernel.padEnd(32)}${String(k.calls / ROUNDS).padStart(6)}${(k.ms / ROUNDS).toFixed(1).padStart(9)} ms` +
      `${((k.ms / k.calls) * 1000).toFixed(0).padStart(8)} µs${((k.ms / total) * 100).toFixed(1).padStart(7)} %`,
  );
}
console.log(
  `a round: ${calls / ROUNDS} dispatches, GPU ${(total / ROUNDS).toFixed(1)} ms; ` +
    `profiled wall ${(wallMs / ROUNDS).toFixed(1)} ms`,
);
const started = performance.now();
for (let i = 0; i < ROUNDS; i++) await fw.dcganStep(gan, real, round++, i === ROUNDS - 1);
console.log(`unprofiled wall ${((performance.now() - started) / ROUNDS).toFixed(1)} ms a round`);
process.exit(0); // Dawn keeps the event loop alive
