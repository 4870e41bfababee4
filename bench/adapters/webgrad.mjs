// The webgrad side of the benchmark: the same small vocabulary the tfjs adapter offers (tensors,
// matmul, add, sum, models), on the WebGPU backend. Imports webgrad's three packages.
import {
  add,
  currentBackend,
  mul,
  matmul,
  randomNormal,
  reshape as reshapeTensor,
  setBackend,
  slice,
  sum,
  tensor,
  tidy,
  valueAndGrad,
} from '@webgrad/core';
import { describeChoice, gemmChoicesFor } from '@webgrad/webgpu';
import {
  adam,
  conv2d,
  dense,
  flatten,
  ganLoss,
  gru,
  input,
  lstm,
  maxPooling2d,
  model as graphModel,
  reshape,
  sequential,
} from '@webgrad/layers';
import { buildDiscriminator, buildGenerator, buildVae, customGanStep } from '../../examples/generative-models.mjs';

export async function open() {
  await setBackend('webgpu');
  // WEBGRAD_GEMM=matmul_rows (a describeChoice name) overrides the autotune: for A/B runs of one kernel against another
  if (process.env.WEBGRAD_GEMM) {
    const backend = currentBackend();
    const forced = gemmChoicesFor(backend.device).find((c) => describeChoice(c) === process.env.WEBGRAD_GEMM);
    if (!forced) {
      throw new Error(
        `bench: WEBGRAD_GEMM=${process.env.WEBGRAD_GEMM} is not one of ${gemmChoicesFor(backend.device).map(describeChoice).join(', ')}`,
      );
    }
    backend.matmulKernel = forced;
  }
  const layer = {
    dense: (units, activation, inputShape) => dense({ units, activation, inputShape }),
    reshape: (targetShape, inputShape) => reshape({ targetShape, inputShape }),
    conv2d: (filters, kernelSize, activation) => conv2d({ filters, kernelSize, activation }),
    maxPooling2d: (poolSize) => maxPooling2d({ poolSize }),
    flatten: () => flatten(),
    lstm: (units) => lstm({ units }),
    gru: (units) => gru({ units }),
  };
  return {
    // the autotune's GEMM pick can vary with the machine's load at start-up, and explains some runs
    describe: () => `${currentBackend().describe()}; GEMM: ${describeChoice(currentBackend().matmulKernel)}`,
    device: () => currentBackend().device,
    /** Convolutions as im2col + the GEMM instead of the direct kernels (backend.convAlgorithm). */
    useIm2col: () => {
      currentBackend().convAlgorithm = 'gemm';
    },
    randn: (shape, seed) => randomNormal(shape, 0, 1, { seed }),
    fromArray: (values, shape) => tensor(values, shape),
    /** The first n rows (the profiled steps' samples). */
    sliceRows: (t, n) => slice(t, [0], [n]),
    labels: (values) => tensor(values, [values.length], 'int32'),
    matmul: (a, b, transposeA, transposeB) => matmul(a, b, transposeA, transposeB),
    add: (a, b) => add(a, b),
    sum: (x) => sum(x),
    tidy,
    read: (t) => t.data(),
    dispose: (t) => t.dispose(),
    /** The dense autoencoder 784-128-32-128-784 as a functional model (sigmoid output, adam 1e-3, BCE). */
    autoencoder() {
      const x = input({ shape: [784] });
      let h = x;
      for (const [units, activation] of [
        [128, 'relu'],
        [32, 'relu'],
        [128, 'relu'],
        [784, 'sigmoid'],
      ]) {
        h = dense({ units, activation }).apply(h);
      }
      const model = graphModel({ inputs: x, outputs: h });
      model.compile({ optimizer: adam({ learningRate: 1e-3 }), loss: 'binaryCrossentropy' });
      return model;
    },
    /** The VAE lab's model, trained by fit (the sampling layer adds the KL term). */
    vae() {
      const { vae } = buildVae({ latent: 16, hidden: 256, seed: 1 });
      vae.compile({ optimizer: adam({ learningRate: 1e-3 }), loss: 'binaryCrossentropy' });
      return vae;
    },
    vaeEpoch: (vae, x, batchSize) => vae.fit(x, x, { epochs: 1, batchSize, verbose: 0, shuffle: false }),
    /** Digits as the DCGAN takes them: [n, 28, 28, 1] in [−1, 1]. */
    toImages: (x) => add(mul(reshapeTensor(x, [x.shape[0], 28, 28, 1]), 2), -1),
    /** The DCGAN lab's generator and discriminator at width 32, latent 64, adam 2e-4 with β₁ 0.5 each. */
    dcgan: () => ({
      generator: buildGenerator({ latent: 64, width: 32, seed: 1 }),
      discriminator: buildDiscriminator({ width: 32, seed: 2 }),
      loss: ganLoss('nonSaturating'),
      dOptimizer: adam({ learningRate: 2e-4, beta1: 0.5 }),
      gOptimizer: adam({ learningRate: 2e-4, beta1: 0.5 }),
    }),
    /** One round: the lab's custom step (D update, then G update); `wait` reads the losses back. */
    async dcganStep(gan, real, step, wait) {
      const [d, g] = customGanStep({ ...gan, real, latent: 64, step });
      if (wait) await Promise.all([d.data(), g.data()]);
      d.dispose();
      g.dispose();
      await currentBackend().settle?.();
    },
    /**
     * One epoch as a custom training step would run it: per batch, valueAndGrad of the compiled loss
     * over the trainable weights, then the optimizer's update; no readback.
     */
    async customEpoch(model, x, y, batchSize) {
      const weights = model.trainableWeights;
      const optimizer = model.compiled.optimizer;
      const n = x.shape[0];
      for (let start = 0; start < n; start += batchSize) {
        const size = Math.min(batchSize, n - start);
        tidy(() => {
          const xb = slice(x, [start], [size, ...x.shape.slice(1)]);
          const yb = slice(y, [start], [size, ...y.shape.slice(1)]);
          const { grads } = valueAndGrad(() => model.computeLoss(xb, yb))(...weights);
          optimizer.applyGradients(weights, grads);
        });
        await currentBackend().settle?.();
      }
      await weights[0].data(); // the epoch's work done, as fit's end-of-epoch readback waits for it
    },
    /** A compiled model from layer makers (softmax output, adam 1e-3, sparse CE, accuracy). */
    model(make) {
      const model = sequential(make(layer));
      model.compile({
        optimizer: adam({ learningRate: 1e-3 }),
        loss: 'sparseCategoricalCrossentropy',
        metrics: ['accuracy'],
      });
      return model;
    },
    /** The shapes of the model's weights, in order (kernel, bias per layer). */
    weightShapes: (model) => {
      model.build();
      return model.weights.map((w) => [...w.shape]);
    },
    setWeights: (model, weights) =>
      tidy(() => model.setWeights(weights.map(({ values, shape }) => tensor(values, shape)))),
    fitEpoch: (model, x, y, batchSize) => model.fit(x, y, { epochs: 1, batchSize, verbose: 0, shuffle: false }),
    /** One fit epoch under backend.profile: each kernel's dispatch count and GPU ms (every dispatch timed in a pass of its own). */
    profileEpoch: (model, x, y, batchSize) =>
      currentBackend().profile(() => model.fit(x, y, { epochs: 1, batchSize, verbose: 0, shuffle: false })),
    async evaluate(model, x, y, batchSize) {
      const logs = await model.evaluate(x, y, { batchSize });
      return logs.accuracy;
    },
    async predict(model, x, batchSize) {
      const out = model.predict(x, { batchSize });
      await out.data();
      out.dispose();
    },
  };
}
