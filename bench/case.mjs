// One benchmark case for one framework, in its own process (so peak RSS is the case's own):
//   node bench/case.mjs <framework> <case>
// framework: webgrad | tfjs-webgpu | tfjs-wasm | tfjs-cpu | dawn;
// case: kernels | mlp | mlp-custom | autoencoder | lstm | gru | vae | dcgan | cnn | graph | cnn-im2col
// (webgrad only) | floor, memory-floor (dawn only: the dispatch floor; the MLP case's digits on a bare
// device, for its peak RSS).
// Prints one line `RESULT {json}`: each figure a list of samples (one per timed run; a warm-up run
// comes first and is dropped), plus the framework's own description. run.mjs turns them into the
// table. Imports the adapters, the raw Dawn floor and the examples' MNIST split.
import { IMAGE_SIZE, mnistSplit } from '../examples/mnist-data.mjs';
import { dawnFloor, dawnMemoryFloor, openDawnFloor } from './dawn-floor.mjs';

const [framework, name] = process.argv.slice(2);
const MATMUL_SIZES = [128, 256, 512, 1024, 2048];
// The GEMMs of one MLP training step at batch 64: forward of each layer, dW1 = xᵀ·dh, dh = dy·W2ᵀ.
const MLP_GEMMS = [
  { label: 'mlp x·W1 64×784·784×128', M: 64, K: 784, N: 128 },
  { label: 'mlp h·W2 64×128·128×10', M: 64, K: 128, N: 10 },
  { label: 'mlp xᵀ·dh 784×64·64×128', M: 784, K: 64, N: 128, transposeA: true },
  { label: 'mlp dy·W2ᵀ 64×10·10×128', M: 64, K: 10, N: 128, transposeB: true },
];
const ELEMENTS = 1 << 22; // 4M floats, 16 MB per operand: far past the CPU caches
const SMALL = 1024;

async function openFramework() {
  if (framework === 'webgrad') return (await import('./adapters/webgrad.mjs')).open();
  if (framework.startsWith('tfjs-')) return (await import('./adapters/tfjs.mjs')).open(framework.slice(5));
  throw new Error(
    `bench: unknown framework '${framework}'; expected webgrad, tfjs-webgpu, tfjs-wasm, tfjs-cpu or dawn`,
  );
}

/** Seconds per op: `reps` ops (each from make(previous)) and one readback of the last, per run. */
async function timeChain(fw, make, { reps, runs }) {
  const samples = [];
  for (let r = 0; r <= runs; r++) {
    const started = performance.now();
    let last;
    for (let i = 0; i < reps; i++) {
      const next = fw.tidy(() => make(last));
      if (last) fw.dispose(last);
      last = next;
    }
    await fw.read(last);
    fw.dispose(last);
    if (r > 0) samples.push((performance.now() - started) / 1000 / reps);
  }
  return samples;
}

async function kernels(fw) {
  const rows = {};
  const matmulCase = async (label, { M, K, N, transposeA = false, transposeB = false }) => {
    const flops = 2 * M * N * K;
    if (framework === 'tfjs-cpu' && flops > 2 * 1024 ** 3) return; // minutes per run in plain JS
    const a = fw.randn(transposeA ? [K, M] : [M, K], 1),
      b = fw.randn(transposeB ? [N, K] : [K, N], 2);
    const reps = Math.max(1, Math.min(100, Math.round(2e8 / flops)));
    const seconds = await timeChain(fw, () => fw.matmul(a, b, transposeA, transposeB), {
      reps,
      runs: flops > 4e9 ? 3 : 5,
    });
    rows[label] = seconds.map((s) => flops / s / 1e9);
    fw.dispose(a);
    fw.dispose(b);
  };
  for (const n of MATMUL_SIZES) await matmulCase(`matmul ${n}`, { M: n, K: n, N: n });
  for (const g of MLP_GEMMS) await matmulCase(g.label, g);

  const x = fw.randn([ELEMENTS], 3),
    y = fw.randn([ELEMENTS], 4);
  rows['add 4M'] = (await timeChain(fw, () => fw.add(x, y), { reps: 10, runs: 5 })).map(
    (s) => (3 * 4 * ELEMENTS) / s / 1e9,
  );
  rows['sum 4M'] = (await timeChain(fw, () => fw.sum(x), { reps: 10, runs: 5 })).map((s) => (4 * ELEMENTS) / s / 1e9);
  fw.dispose(x);
  fw.dispose(y);

  // A chain: each add reads the previous one's output, as the floor's dispatches do. On a WebGPU
  // framework the raw Dawn floor runs alternately with it, so both see the same machine load.
  const s0 = fw.randn([SMALL], 5),
    s1 = fw.randn([SMALL], 6);
  const device = fw.device?.();
  const floor = device ? await openDawnFloor({ chain: 200, device }) : undefined;
  rows['small op'] = [];
  if (floor) {
    rows['floor submit each'] = [];
    rows['floor one pass'] = [];
  }
  // 15 timed chains: a chain of 200 small ops is ~6 ms, so one GC pause or scheduler hiccup moves a
  // sample by 2-4×, and the median of 7 still wandered by ±30% from run to run
  for (let r = 0; r <= 15; r++) {
    const [us] = await timeChain(fw, (prev) => fw.add(prev ?? s0, s1), { reps: 200, runs: 1 });
    if (r > 0) rows['small op'].push(us * 1e6);
    if (!floor) continue;
    const each = await floor.measure('submitEach'),
      onePass = await floor.measure('onePass');
    if (r > 0) {
      rows['floor submit each'].push(each);
      rows['floor one pass'].push(onePass);
    }
  }
  floor?.destroy();
  return rows;
}

function mnistTensors(fw, { trainSize }) {
  const { train, test } = mnistSplit({ seed: 1 });
  const n = Math.min(trainSize, train.n);
  return {
    x: fw.fromArray(train.images.subarray(0, n * IMAGE_SIZE), [n, IMAGE_SIZE]),
    y: fw.labels(train.labels.subarray(0, n)),
    n,
    xTest: fw.fromArray(test.images, [test.n, IMAGE_SIZE]),
    yTest: fw.labels(test.labels),
    nTest: test.n,
  };
}

/**
 * The same starting weights for every framework, so that the accuracies compare the frameworks'
 * arithmetic rather than two random initialisations: Glorot-uniform kernels (limit √(6/(fanIn+fanOut)),
 * the default of Keras, TF.js and webgrad) and zero biases, from one seeded generator (mulberry32).
 */
function initialWeights(shapes, seed = 1) {
  let state = seed >>> 0;
  const random = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t ^= t + Math.imul(t ^ (t >>> 7), 61 | t);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  return shapes.map((shape) => {
    const size = shape.reduce((a, b) => a * b, 1);
    if (shape.length === 1) return { shape, values: new Float32Array(size) };
    const receptive = shape.slice(0, -2).reduce((a, b) => a * b, 1); // a conv kernel's kh·kw
    const limit = Math.sqrt(6 / (receptive * (shape.at(-2) + shape.at(-1))));
    return { shape, values: Float32Array.from({ length: size }, () => (2 * random() - 1) * limit) };
  });
}

/**
 * Fit `epochs` epochs of batch 64 (the first a warm-up), then evaluate and time predict/evaluate.
 * Every framework starts from the same weights and sees the batches in the same order (the split's
 * seeded random order, unshuffled), so their accuracies differ only by their arithmetic.
 */
async function train(fw, makeLayers, { trainSize, epochs, inferenceRuns = 4, customStep = false, profileSteps = 0 }) {
  const d = mnistTensors(fw, { trainSize });
  const model = fw.model(makeLayers);
  fw.setWeights(model, initialWeights(fw.weightShapes(model)));
  const fit = [],
    custom = [];
  for (let e = 0; e < epochs; e++) {
    let started = performance.now();
    await fw.fitEpoch(model, d.x, d.y, 64);
    if (e > 0) fit.push(d.n / ((performance.now() - started) / 1000));
    if (!customStep) continue;
    // epochs of a custom training step alternate with fit's, so both see the same machine
    started = performance.now();
    await fw.customEpoch(model, d.x, d.y, 64);
    if (e > 0) custom.push(d.n / ((performance.now() - started) / 1000));
  }
  if (customStep) return { fit, 'custom step': custom, 'custom / fit': custom.map((c, i) => c / fit[i]) };
  const accuracy = await fw.evaluate(model, d.xTest, d.yTest, 256);
  const predict = [],
    evaluate = [];
  for (let r = 0; r <= inferenceRuns; r++) {
    let started = performance.now();
    await fw.predict(model, d.xTest, 256);
    if (r > 0) predict.push(d.nTest / ((performance.now() - started) / 1000));
    started = performance.now();
    await fw.evaluate(model, d.xTest, d.yTest, 256);
    if (r > 0) evaluate.push(d.nTest / ((performance.now() - started) / 1000));
  }
  const rows = { fit, accuracy: [accuracy * 100], predict, evaluate, samples: [d.n] };
  if (profileSteps && fw.profileEpoch) Object.assign(rows, await whereTimeGoes(fw, model, d, profileSteps));
  return rows;
}

const GEMM_KERNELS = new Set(['matmul', 'matmul_rows', 'matmul_subgroups', 'matmul_texture', 'pack_b_texture']);
const RECURRENT_KERNELS = new Set(['recurrent_step', 'recurrent_step_subgroups', 'recurrent_step_grad']);
/** whereTimeGoes' per-kernel lines, which run.mjs prints under the table (a child's stdout is not shown). */
let profileLines;

/**
 * Where a training step's time goes: `steps` fit steps of batch 64 under the profiler (each dispatch in
 * a timed pass of its own, so the GPU times are for shares, not for the unprofiled speed). Prints each
 * kernel's dispatches per step and share of GPU time; returns the dispatches per step and the shares
 * of the GEMMs and the recurrent kernels.
 */
async function whereTimeGoes(fw, model, d, steps) {
  const x = fw.tidy(() => fw.sliceRows(d.x, steps * 64));
  const y = fw.tidy(() => fw.sliceRows(d.y, steps * 64));
  const { kernels } = await fw.profileEpoch(model, x, y, 64);
  fw.dispose(x);
  fw.dispose(y);
  const total = kernels.reduce((sum, k) => sum + k.ms, 0);
  const share = (names) => (100 * kernels.filter((k) => names.has(k.kernel)).reduce((s, k) => s + k.ms, 0)) / total;
  const calls = (names) => kernels.filter((k) => !names || names.has(k.kernel)).reduce((s, k) => s + k.calls, 0);
  profileLines = [
    `where a fit step's GPU time goes (${steps} steps of 64, each dispatch timed alone, buffer copies untimed; ` +
      `${(calls() / steps).toFixed(1)} dispatches a step, ${(total / steps).toFixed(1)} GPU ms a step profiled):`,
  ];
  for (const k of [...kernels].sort((a, b) => b.ms - a.ms)) {
    const perStep = (k.calls / steps).toFixed(1).padStart(7);
    const ms = (k.ms / steps).toFixed(1).padStart(7);
    profileLines.push(
      `  ${k.kernel.padEnd(24)}${perStep} dispatches/step${ms} ms/step${((100 * k.ms) / total).toFixed(1).padStart(7)} %`,
    );
  }
  console.log(profileLines.join('\n'));
  return {
    'dispatches per step': [calls() / steps],
    'recurrent dispatches per step': [calls(RECURRENT_KERNELS) / steps],
    'GEMM share of GPU time': [share(GEMM_KERNELS)],
    'recurrent kernels share of GPU time': [share(RECURRENT_KERNELS)],
  };
}

/** The dense autoencoder on the digits: fit epochs of batch 64 (the first a warm-up), then predict. */
async function autoencoder(fw, { trainSize, epochs, inferenceRuns = 4 }) {
  const d = mnistTensors(fw, { trainSize });
  const model = fw.autoencoder();
  fw.setWeights(model, initialWeights(fw.weightShapes(model)));
  const fit = [],
    predict = [];
  for (let e = 0; e < epochs; e++) {
    const started = performance.now();
    await fw.fitEpoch(model, d.x, d.x, 64);
    if (e > 0) fit.push(d.n / ((performance.now() - started) / 1000));
  }
  for (let r = 0; r <= inferenceRuns; r++) {
    const started = performance.now();
    await fw.predict(model, d.xTest, 256);
    if (r > 0) predict.push(d.nTest / ((performance.now() - started) / 1000));
  }
  return { fit, predict, samples: [d.n] };
}

/**
 * The VAE lab's model (784-256-(16, 16)-sampling-256-784, KL through the sampling layer): epochs of
 * batch 100 (the first a warm-up). webgrad trains it with fit; TF.js cannot add the KL to fit's loss,
 * so it runs the loop its own VAE example writes (optimizer.minimize over the same computation).
 */
async function vae(fw, { trainSize, epochs }) {
  const d = mnistTensors(fw, { trainSize });
  const net = fw.vae();
  const fit = [];
  for (let e = 0; e < epochs; e++) {
    const started = performance.now();
    await fw.vaeEpoch(net, d.x, 100);
    if (e > 0) fit.push(d.n / ((performance.now() - started) / 1000));
  }
  return { fit, samples: [d.n] };
}

/**
 * The DCGAN lab's generator and discriminator at width 32 (the issue's): rounds of one discriminator
 * and one generator update on a batch of 64 real digits, non-saturating loss, each run `steps` rounds
 * and a readback of the last losses (the first run a warm-up).
 */
async function dcgan(fw, { runs, steps }) {
  const { train } = mnistSplit({ seed: 1 });
  const batch = 64;
  const real = fw.tidy(() =>
    fw.toImages(fw.fromArray(train.images.subarray(0, batch * IMAGE_SIZE), [batch, IMAGE_SIZE])),
  );
  const gan = fw.dcgan();
  const step = [];
  let round = 0;
  for (let r = 0; r <= runs; r++) {
    const started = performance.now();
    for (let s = 0; s < steps; s++) await fw.dcganStep(gan, real, round++, s === steps - 1);
    if (r > 0) step.push((batch * steps) / ((performance.now() - started) / 1000));
  }
  return { step };
}

const mlpLayers = (l) => [l.dense(128, 'relu', [IMAGE_SIZE]), l.dense(10, 'softmax')];
const cnnLayers = (l) => [
  l.reshape([28, 28, 1], [IMAGE_SIZE]),
  l.conv2d(8, 3, 'relu'),
  l.maxPooling2d(2),
  l.flatten(),
  l.dense(10, 'softmax'),
];

// the digits read as sequences of 28 rows of 28 pixels (issue #22's LSTM lab)
const lstmLayers = (l) => [l.reshape([28, 28], [IMAGE_SIZE]), l.lstm(128), l.dense(10, 'softmax')];
const gruLayers = (l) => [l.reshape([28, 28], [IMAGE_SIZE]), l.gru(128), l.dense(10, 'softmax')];

async function main() {
  const result = { framework, case: name };
  if (framework === 'dawn' && name === 'memory-floor') {
    const { train, test } = mnistSplit({ seed: 1 }); // as mnistTensors loads them
    Object.assign(result, { describe: `raw Dawn: ${await dawnMemoryFloor(train, test)}`, rows: {} });
  } else if (framework === 'dawn') {
    const floor = await dawnFloor();
    Object.assign(result, {
      describe: `raw Dawn: ${floor.adapter}`,
      rows: { 'floor submit each': floor.submitEach, 'floor one pass': floor.onePass },
    });
  } else {
    const fw = await openFramework();
    result.describe = fw.describe();
    try {
      if (name === 'kernels') result.rows = await kernels(fw);
      else if (name === 'mlp') result.rows = await train(fw, mlpLayers, { trainSize: 8000, epochs: 5 });
      else if (name === 'mlp-custom') {
        result.rows = await train(fw, mlpLayers, { trainSize: 8000, epochs: 4, customStep: true });
      } else if (name === 'autoencoder') result.rows = await autoencoder(fw, { trainSize: 4000, epochs: 4 });
      else if (name === 'vae') result.rows = await vae(fw, { trainSize: 4000, epochs: 4 });
      else if (name === 'dcgan') result.rows = await dcgan(fw, { runs: 4, steps: 2 });
      else if (name === 'cnn') {
        result.rows = await train(fw, cnnLayers, { trainSize: 1024, epochs: 4, inferenceRuns: 2 });
      } else if (name === 'cnn-im2col') {
        // webgrad's other convolution algorithm (im2col + the GEMM); TF.js has no such switch
        if (!fw.useIm2col) throw new Error(`bench: ${framework} has no im2col convolution switch`);
        fw.useIm2col();
        result.rows = await train(fw, cnnLayers, { trainSize: 1024, epochs: 4, inferenceRuns: 2 });
      } else if (name === 'lstm') {
        // few samples: TF.js trains this model at tens of samples per second on the software adapter
        result.rows = await train(fw, lstmLayers, { trainSize: 1024, epochs: 3, inferenceRuns: 2, profileSteps: 4 });
      } else if (name === 'gru') {
        result.rows = await train(fw, gruLayers, { trainSize: 1024, epochs: 3, inferenceRuns: 2, profileSteps: 4 });
      } else if (name === 'graph') {
        result.rows = await (await import('./graph-case.mjs')).graphCase(framework);
      } else {
        throw new Error(
          `bench: unknown case '${name}'; expected kernels, mlp, mlp-custom, autoencoder, cnn, cnn-im2col, lstm, ` +
            `gru, vae, dcgan, graph or floor`,
        );
      }
    } catch (error) {
      result.error = String(error?.message ?? error)
        .split('\n')[0]
        .slice(0, 200);
    }
  }
  if (profileLines) result.profile = profileLines;
  result.peakRssMB = process.resourceUsage().maxRSS / 1024;
  console.log(`RESULT ${JSON.stringify(result)}`);
}

await main();
