// Times each convolution and pooling kernel at the MNIST CNN's shapes (batch 128) on the WebGPU
// backend, or (SHAPES=dcgan) the DCGAN lab's convolutions at batch 64 with the two algorithms
// interleaved run by run. Absolute times on a software adapter are CPU times: compare ratios between
// kernel versions run on the same machine.
//   node bench/conv-kernels.mjs          SHAPES=dcgan node bench/conv-kernels.mjs
import {
  avgPool2d,
  conv2d,
  conv2dTranspose,
  currentBackend,
  makeTensor,
  maxPool2d,
  randomNormal,
  setBackend,
} from '@webgrad/core';
import '@webgrad/webgpu';

await setBackend('webgpu');
const backend = currentBackend();
console.log(backend.describe());

// One warm-up run, then RUNS timed runs, each read back to the host. Prints the median wall time and
// the median CPU time of the whole process (lavapipe's threads included): on a machine shared with
// other work the CPU time is the steadier figure.
const RUNS = Number(process.env.RUNS ?? 5);
const median = (values) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)];
async function time(label, make) {
  const wall = [],
    cpu = [];
  for (let run = 0; run <= RUNS; run++) {
    const started = performance.now(),
      startedCpu = process.cpuUsage();
    const t = make();
    await t.data();
    t.dispose();
    const used = process.cpuUsage(startedCpu);
    if (run > 0) {
      wall.push(performance.now() - started);
      cpu.push((used.user + used.system) / 1000);
    }
  }
  console.log(
    `${label.padEnd(28)} ${median(wall).toFixed(1).padStart(8)} ms wall ${median(cpu).toFixed(1).padStart(8)} ms cpu`,
  );
}

// The DCGAN's stride-2 4×4 'same' layers (the discriminator's convolutions; the generator's transposed
// ones are their input gradients): a convolution's forward, input and filter gradient at each.
async function dcganShapes() {
  const geometry = (N, H, C) => ({
    N,
    H,
    W: H,
    C,
    OH: H / 2,
    OW: H / 2,
    KH: 4,
    KW: 4,
    strideH: 2,
    strideW: 2,
    dilationH: 1,
    dilationW: 1,
    padTop: 1,
    padLeft: 1,
  });
  const layers = [
    { name: '28×28×1 → 14×14×32', x: [64, 28, 28, 1], f: [4, 4, 1, 32], seed: 10 },
    { name: '14×14×32 → 7×7×64', x: [64, 14, 14, 32], f: [4, 4, 32, 64], seed: 20 },
  ];
  for (let run = 0; run < 2; run++) {
    for (const { name, x: xs, f: fs, seed } of layers) {
      const x = randomNormal(xs, 0, 1, { seed }),
        f = randomNormal(fs, 0, 1, { seed: seed + 1 });
      const dy = randomNormal([xs[0], xs[1] / 2, xs[2] / 2, fs[3]], 0, 1, { seed: seed + 2 });
      const g = geometry(xs[0], xs[1], xs[3]);
      for (const algorithm of ['direct', 'gemm']) {
        backend.convAlgorithm = algorithm;
        await time(`${name} forward (${algorithm})`, () => conv2d(x, f, { strides: 2, padding: 'same' }));
        await time(`${name} input grad (${algorithm})`, () => conv2dTranspose(dy, f, { strides: 2, padding: 'same' }));
        await time(`${name} filter grad (${algorithm})`, () =>
          wrap(backend.conv2dFilterGrad(info(x), info(dy), g), fs),
        );
      }
      [x, f, dy].forEach((t) => t.dispose());
    }
  }
}

const valid3x3 = (x) => ({
  N: x.shape[0],
  H: x.shape[1],
  W: x.shape[2],
  C: x.shape[3],
  OH: x.shape[1] - 2,
  OW: x.shape[2] - 2,
  KH: 3,
  KW: 3,
  strideH: 1,
  strideW: 1,
  dilationH: 1,
  dilationW: 1,
  padTop: 0,
  padLeft: 0,
});
const wrap = (storage, shape) => makeTensor(storage, shape, 'float32', backend);
const info = (t) => t.info('bench');

if (process.env.SHAPES === 'dcgan') {
  await dcganShapes();
  process.exit(0); // Dawn keeps the event loop alive
}

const x1 = randomNormal([128, 28, 28, 1], 0, 1, { seed: 1 }),
  f1 = randomNormal([3, 3, 1, 32], 0, 1, { seed: 2 });
const x2 = randomNormal([128, 13, 13, 32], 0, 1, { seed: 3 }),
  f2 = randomNormal([3, 3, 32, 64], 0, 1, { seed: 4 });
const dy1 = randomNormal([128, 26, 26, 32], 0, 1, { seed: 5 }),
  dy2 = randomNormal([128, 11, 11, 64], 0, 1, { seed: 6 });
const pooled = randomNormal([128, 13, 13, 32], 0, 1, { seed: 7 });
const poolGeometry = {
  N: 128,
  H: 26,
  W: 26,
  C: 32,
  OH: 13,
  OW: 13,
  KH: 2,
  KW: 2,
  strideH: 2,
  strideW: 2,
  dilationH: 1,
  dilationW: 1,
  padTop: 0,
  padLeft: 0,
};

for (const algorithm of ['direct', 'gemm']) {
  backend.convAlgorithm = algorithm;
  await time(`conv1 forward (${algorithm})`, () => conv2d(x1, f1));
  await time(`conv2 forward (${algorithm})`, () => conv2d(x2, f2));
  await time(`conv2 input grad (${algorithm})`, () =>
    wrap(backend.conv2dInputGrad(info(dy2), info(f2), valid3x3(x2)), [128, 13, 13, 32]),
  );
  await time(`conv2 filter grad (${algorithm})`, () =>
    wrap(backend.conv2dFilterGrad(info(x2), info(dy2), valid3x3(x2)), [3, 3, 32, 64]),
  );
  await time(`conv1 filter grad (${algorithm})`, () =>
    wrap(backend.conv2dFilterGrad(info(x1), info(dy1), valid3x3(x1)), [3, 3, 1, 32]),
  );
}
await time('maxPool2d forward', () => maxPool2d(dy1));
await time('avgPool2d forward', () => avgPool2d(dy1));
await time('maxPool2d gradient', () =>
  wrap(backend.pool2dGrad('max', info(dy1), info(pooled), poolGeometry), [128, 26, 26, 32]),
);
