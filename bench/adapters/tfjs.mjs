// The TF.js 4.22 side of the benchmark, on one of its backends: 'webgpu' (on the same Dawn adapter
// as webgrad: the `webgpu` package's GPU object set as navigator.gpu), 'wasm' (its .wasm files
// located by file path) or 'cpu'. Offers the same vocabulary as the webgrad adapter. Imports
// @tensorflow/tfjs and the chosen backend package.
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import * as tf from '@tensorflow/tfjs';

const require = createRequire(import.meta.url);

async function useBackend(name) {
  if (name === 'webgpu') {
    const { create, globals } = await import('webgpu');
    Object.assign(globalThis, globals);
    Object.defineProperty(globalThis, 'navigator', {
      value: { gpu: create([]), userAgent: 'node' },
      configurable: true,
    });
    await import('@tensorflow/tfjs-backend-webgpu');
  } else if (name === 'wasm') {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    wasm.setWasmPaths(`${dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'))}/`);
  }
  if (!(await tf.setBackend(name))) throw new Error(`tfjs: backend '${name}' did not initialise`);
  await tf.ready();
}

export async function open(backend) {
  await useBackend(backend);
  const layer = {
    dense: (units, activation, inputShape) => tf.layers.dense({ units, activation, inputShape }),
    reshape: (targetShape, inputShape) => tf.layers.reshape({ targetShape, inputShape }),
    conv2d: (filters, kernelSize, activation) => tf.layers.conv2d({ filters, kernelSize, activation }),
    maxPooling2d: (poolSize) => tf.layers.maxPooling2d({ poolSize }),
    flatten: () => tf.layers.flatten(),
    // Keras 3's gates (TF.js defaults to Keras 2's hardSigmoid), so both frameworks compute the same model
    lstm: (units) => tf.layers.lstm({ units, recurrentActivation: 'sigmoid' }),
    // TF.js has only the resetAfter=false GRU (webgrad's default is Keras 3's resetAfter=true)
    gru: (units) => tf.layers.gru({ units, recurrentActivation: 'sigmoid' }),
  };
  return {
    describe: () => `tfjs ${tf.version.tfjs} ${tf.getBackend()}`,
    device: () => (backend === 'webgpu' ? tf.backend().device : undefined),
    randn: (shape, seed) => tf.randomNormal(shape, 0, 1, 'float32', seed),
    fromArray: (values, shape) => tf.tensor(values, shape),
    labels: (values) => tf.tensor1d(Float32Array.from(values)),
    matmul: (a, b, transposeA, transposeB) => tf.matMul(a, b, transposeA, transposeB),
    add: (a, b) => tf.add(a, b),
    sum: (x) => tf.sum(x),
    tidy: tf.tidy,
    read: (t) => t.data(),
    dispose: (t) => t.dispose(),
    autoencoder() {
      const model = tf.sequential({
        layers: [
          tf.layers.dense({ units: 128, activation: 'relu', inputShape: [784] }),
          tf.layers.dense({ units: 32, activation: 'relu' }),
          tf.layers.dense({ units: 128, activation: 'relu' }),
          tf.layers.dense({ units: 784, activation: 'sigmoid' }),
        ],
      });
      model.compile({ optimizer: tf.train.adam(1e-3), loss: 'binaryCrossentropy' });
      return model;
    },
    /** The VAE lab's model as TF.js's own VAE example writes it: encoder and decoder models, the sampling in the loss. */
    vae() {
      const x = tf.input({ shape: [784] });
      const h = tf.layers.dense({ units: 256, activation: 'relu' }).apply(x);
      const zMean = tf.layers.dense({ units: 16 }).apply(h);
      const zLogVar = tf.layers.dense({ units: 16 }).apply(h);
      const encoder = tf.model({ inputs: x, outputs: [zMean, zLogVar] });
      const decoder = tf.sequential({
        layers: [
          tf.layers.dense({ units: 256, activation: 'relu', inputShape: [16] }),
          tf.layers.dense({ units: 784 }), // logits: the loss takes them
        ],
      });
      return { encoder, decoder, optimizer: tf.train.adam(1e-3) };
    },
    /** One epoch of optimizer.minimize over BCE (mean over pixels) + KL/784, as webgrad's fit computes it. */
    async vaeEpoch({ encoder, decoder, optimizer }, x, batchSize) {
      const n = x.shape[0];
      for (let start = 0; start < n; start += batchSize) {
        const size = Math.min(batchSize, n - start);
        tf.tidy(() => {
          const xb = x.slice([start], [size]);
          optimizer.minimize(() => {
            const [zMean, zLogVar] = encoder.apply(xb, { training: true });
            const z = zMean.add(tf.exp(zLogVar.mul(0.5)).mul(tf.randomNormal(zMean.shape)));
            const logits = decoder.apply(z, { training: true });
            const reconstruction = tf.losses.sigmoidCrossEntropy(xb, logits);
            const kl = tf
              .mean(tf.sum(tf.onesLike(zLogVar).add(zLogVar).sub(zMean.square()).sub(zLogVar.exp()), 1))
              .mul(-0.5);
            return reconstruction.add(kl.div(784));
          });
        });
      }
      await decoder.getWeights()[0].data();
    },
    toImages: (x) => x.reshape([x.shape[0], 28, 28, 1]).mul(2).sub(1),
    /** The DCGAN lab's generator and discriminator at width 32, layer for layer, each with its adam. */
    dcgan() {
      const generator = tf.sequential({
        layers: [
          tf.layers.dense({ units: 7 * 7 * 64, useBias: false, inputShape: [64] }),
          tf.layers.reshape({ targetShape: [7, 7, 64] }),
          tf.layers.batchNormalization(),
          tf.layers.reLU(),
          tf.layers.conv2dTranspose({ filters: 32, kernelSize: 4, strides: 2, padding: 'same', useBias: false }),
          tf.layers.batchNormalization(),
          tf.layers.reLU(),
          tf.layers.conv2dTranspose({ filters: 1, kernelSize: 4, strides: 2, padding: 'same', activation: 'tanh' }),
        ],
      });
      const discriminator = tf.sequential({
        layers: [
          tf.layers.conv2d({ filters: 32, kernelSize: 4, strides: 2, padding: 'same', inputShape: [28, 28, 1] }),
          tf.layers.leakyReLU({ alpha: 0.2 }),
          tf.layers.dropout({ rate: 0.3 }),
          tf.layers.conv2d({ filters: 64, kernelSize: 4, strides: 2, padding: 'same' }),
          tf.layers.leakyReLU({ alpha: 0.2 }),
          tf.layers.dropout({ rate: 0.3 }),
          tf.layers.flatten(),
          tf.layers.dense({ units: 1 }),
        ],
      });
      return {
        generator,
        discriminator,
        dOptimizer: tf.train.adam(2e-4, 0.5),
        gOptimizer: tf.train.adam(2e-4, 0.5),
      };
    },
    /** One round as a TF.js custom loop runs it: minimize over the discriminator's weights, then the generator's. */
    async dcganStep({ generator, discriminator, dOptimizer, gOptimizer }, real, step, wait) {
      const n = real.shape[0];
      const losses = tf.tidy(() => {
        const fake = generator.apply(tf.randomNormal([n, 64]), { training: true });
        const dLoss = dOptimizer.minimize(
          () =>
            tf
              .mean(tf.softplus(discriminator.apply(real, { training: true }).neg()))
              .add(tf.mean(tf.softplus(discriminator.apply(fake, { training: true })))),
          true,
          discriminator.trainableWeights.map((w) => w.val),
        );
        const gLoss = gOptimizer.minimize(
          () =>
            tf.mean(
              tf.softplus(
                discriminator
                  .apply(generator.apply(tf.randomNormal([n, 64]), { training: true }), { training: true })
                  .neg(),
              ),
            ),
          true,
          generator.trainableWeights.map((w) => w.val),
        );
        return [dLoss, gLoss];
      });
      if (wait) await Promise.all(losses.map((t) => t.data()));
      tf.dispose(losses);
    },
    /** One epoch as TF.js's custom loops run (optimizer.minimize over the model's loss), no readback. */
    async customEpoch(model, x, y, batchSize) {
      const n = x.shape[0];
      for (let start = 0; start < n; start += batchSize) {
        const size = Math.min(batchSize, n - start);
        tf.tidy(() => {
          const xb = x.slice([start], [size]);
          const yb = y.slice([start], [size]);
          // the compiled loss, as TF.js's fit computes it (a Sequential keeps its LayersModel in .model)
          model.optimizer.minimize(() =>
            tf.mean((model.model ?? model).lossFunctions[0](yb, model.apply(xb, { training: true }))),
          );
        });
      }
      await model.getWeights()[0].data(); // the epoch's work done, as fit's end-of-epoch readback waits for it
    },
    model(make) {
      const model = tf.sequential({ layers: make(layer) });
      model.compile({ optimizer: tf.train.adam(1e-3), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
      return model;
    },
    weightShapes: (model) => model.getWeights().map((w) => [...w.shape]),
    setWeights: (model, weights) =>
      tf.tidy(() => model.setWeights(weights.map(({ values, shape }) => tf.tensor(values, shape)))),
    fitEpoch: (model, x, y, batchSize) => model.fit(x, y, { epochs: 1, batchSize, verbose: 0, shuffle: false }),
    async evaluate(model, x, y, batchSize) {
      const [loss, accuracy] = model.evaluate(x, y, { batchSize });
      const value = (await accuracy.data())[0];
      tf.dispose([loss, accuracy]);
      return value;
    },
    async predict(model, x, batchSize) {
      const out = model.predict(x, { batchSize });
      await out.data();
      out.dispose();
    },
  };
}
