// Times every GEMM choice the WebGPU backend offers on this adapter (each kernel, and matmul_subgroups
// at each ROW_BLOCKS) on square products, side by side, then elementwise add and a full sum over 4M
// floats (the vec4 and two-pass paths). Absolute figures on a software adapter are CPU times: compare
// ratios between choices run in the same process.
//   node bench/gemm-kernels.mjs            SIZES=128,512 RUNS=3 node bench/gemm-kernels.mjs
import { add, currentBackend, matmul, randomNormal, setBackend, sum } from '@webgrad/core';
import { describeChoice, gemmChoicesFor } from '@webgrad/webgpu';

await setBackend('webgpu');
const backend = currentBackend();
console.log(backend.describe());
const picked = backend.matmulKernel;
console.log(`autotune picked: ${describeChoice(picked)}\n`);

const SIZES = (process.env.SIZES ?? '128,256,512,1024,2048').split(',').map(Number);
const RUNS = Number(process.env.RUNS ?? 3);
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** Median seconds per op over `runs` timed runs (after one warm-up) of `reps` ops and one readback. */
async function time(make, reps, runs) {
  const samples = [];
  for (let run = 0; run <= runs; run++) {
    const started = performance.now();
    const outs = Array.from({ length: reps }, make);
    await outs[reps - 1].data();
    outs.forEach((t) => t.dispose());
    if (run > 0) samples.push((performance.now() - started) / 1000 / reps);
  }
  return median(samples);
}

const choices = gemmChoicesFor(backend.device);
console.log(`${'GFLOP/s'.padEnd(10)}${choices.map((c) => describeChoice(c).padStart(20)).join('')}`);
for (const n of SIZES) {
  const a = randomNormal([n, n], 0, 1, { seed: 1 }),
    b = randomNormal([n, n], 0, 1, { seed: 2 });
  const flops = 2 * n ** 3,
    reps = Math.max(1, Math.min(20, Math.round(5e8 / flops)));
  const cells = [];
  for (const choice of choices) {
    backend.matmulKernel = choice;
    const seconds = await time(() => matmul(a, b), reps, flops > 4e9 ? 1 : RUNS);
    cells.push((flops / seconds / 1e9).toFixed(2).padStart(20));
  }
  console.log(`${`${n}³`.padEnd(10)}${cells.join('')}`);
  a.dispose();
  b.dispose();
}
backend.matmulKernel = picked;

const ELEMENTS = 1 << 22;
const x = randomNormal([ELEMENTS], 0, 1, { seed: 3 }),
  y = randomNormal([ELEMENTS], 0, 1, { seed: 4 });
const addSeconds = await time(() => add(x, y), 10, 5);
const sumSeconds = await time(() => sum(x), 10, 5);
console.log(
  `\nadd, 4M floats: ${((3 * 4 * ELEMENTS) / addSeconds / 1e9).toFixed(2)} GB/s (${(addSeconds * 1e3).toFixed(2)} ms)`,
);
console.log(
  `sum, 4M floats: ${((4 * ELEMENTS) / sumSeconds / 1e9).toFixed(2)} GB/s (${(sumSeconds * 1e3).toFixed(2)} ms)`,
);
x.dispose();
y.dispose();
process.exit(0);
