// The convolutional layers end to end: Conv2D/Conv1D/Conv2DTranspose/pooling forward against the core
// ops on the CPU reference and against hand computations, summary's shapes and parameter counts for
// the MNIST CNN and a conv autoencoder, save → load → identical predictions (regularizers included), a
// small CNN that learns to tell bars apart on the GPU, the layer-level errors, and RandomTranslation's
// shifts.
import { expect } from 'chai';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  avgPool2d,
  conv1d as conv1dOp,
  conv2d as conv2dOp,
  conv2dTranspose as conv2dTransposeOp,
  maxPool2d,
  mean,
  tensor,
  tidy,
  withBackend,
} from '@webgrad/core';
import {
  adam,
  averagePooling2d,
  conv1d,
  conv2d,
  conv2dTranspose,
  dense,
  flatten,
  globalAveragePooling2d,
  l1,
  l1l2,
  l2,
  loadModel,
  maxPooling2d,
  randomTranslation,
  sequential,
  type Model,
} from '@webgrad/layers';
import { cpu, expectClose, gpu, randomValues, useBackend } from '../helpers.js';

describe('convolutional layers', () => {
  useBackend('webgpu');

  it('conv2d → maxPooling2d → averagePooling2d → globalAveragePooling2d on webgpu equals the same ops on the CPU reference', async () => {
    const model = sequential(
      [
        conv2d({ filters: 5, kernelSize: 3, padding: 'same', activation: 'relu', inputShape: [9, 7, 3] }),
        maxPooling2d({ poolSize: 2 }),
        averagePooling2d({ poolSize: 2, strides: 1 }),
        globalAveragePooling2d(),
      ],
      { seed: 3 },
    );
    const xValues = Float32Array.from(randomValues(2 * 9 * 7 * 3, 'any', 5));
    const gpuOut = await withBackend(gpu(), () => model.predict(tensor(xValues, [2, 9, 7, 3]))).data();
    const [kernel, bias] = await Promise.all(model.weights.map((w) => w.data()));
    const expected = await withBackend(cpu(), () => {
      const y = conv2dOp(tensor(xValues, [2, 9, 7, 3]), tensor(kernel, [3, 3, 3, 5]), {
        padding: 'same',
        bias: tensor(bias, [5]),
        activation: 'relu',
      });
      return mean(avgPool2d(maxPool2d(y, 2), 2, 1), [1, 2]);
    }).data();
    expectClose(gpuOut, expected, { rtol: 1e-4, atol: 1e-5 });
    model.dispose();
  });

  it('conv1d with a [2, 1] kernel and bias 1 computes 2x[i] + x[i+1] + 1', async () => {
    const model = sequential([conv1d({ filters: 1, kernelSize: 2, inputShape: [4, 1] })]);
    withBackend(gpu(), () => {
      model.build();
      model.setWeights([tensor([2, 1], [2, 1, 1]), tensor([1])]);
    });
    const out = await withBackend(gpu(), () => model.predict(tensor([1, 2, 3, 4], [1, 4, 1]))).data();
    expect(Array.from(out)).to.deep.equal([5, 8, 11]);
    expect(model.outputShape).to.deep.equal([3, 1]);
    model.dispose();
  });

  it("summary gives the MNIST CNN's output shapes and (kh·kw·in + 1)·filters parameters per conv", () => {
    const model = sequential([
      conv2d({ filters: 32, kernelSize: 3, activation: 'relu', inputShape: [28, 28, 1] }),
      maxPooling2d({ poolSize: 2 }),
      conv2d({ filters: 64, kernelSize: 3, activation: 'relu' }),
      maxPooling2d({ poolSize: 2 }),
      flatten(),
      dense({ units: 128, activation: 'relu' }),
      dense({ units: 10, activation: 'softmax' }),
    ]);
    const text = model.summary(() => {});
    const conv1Params = (3 * 3 * 1 + 1) * 32,
      conv2Params = (3 * 3 * 32 + 1) * 64;
    const total = conv1Params + conv2Params + (5 * 5 * 64 + 1) * 128 + (128 + 1) * 10;
    for (const s of [
      '(None, 26, 26, 32)',
      '(None, 13, 13, 32)',
      '(None, 11, 11, 64)',
      '(None, 5, 5, 64)',
      '(None, 1600)',
    ]) {
      expect(text).to.contain(s);
    }
    expect(text).to.contain(String(conv1Params)).and.contain(String(conv2Params)).and.contain(`Total params: ${total}`);
    model.dispose();
  });

  it('a small CNN learns vertical from horizontal bars on webgpu, and save → loadModel predicts the same', async () => {
    // 8×8 images holding one bar (row or column) at a random place, plus noise; label 0 = horizontal.
    const n = 256,
      noise = randomValues(n * 64, 'any', 9),
      where = randomValues(n * 2, 'positive', 10);
    const images = new Float32Array(n * 64),
      labels = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      labels[i] = where[2 * i] < 1.25 ? 0 : 1;
      const at = Math.floor(((where[2 * i + 1] - 0.5) / 1.5) * 8) % 8;
      for (let p = 0; p < 64; p++) {
        const [r, c] = [Math.floor(p / 8), p % 8];
        images[i * 64 + p] = 0.3 * noise[i * 64 + p] + ((labels[i] === 0 ? r : c) === at ? 1 : 0);
      }
    }
    const model = sequential(
      [
        conv2d({ filters: 4, kernelSize: 3, activation: 'relu', inputShape: [8, 8, 1] }),
        maxPooling2d({ poolSize: 2 }),
        flatten(),
        dense({ units: 2, activation: 'softmax' }),
      ],
      { seed: 4 },
    );
    await withBackend(gpu(), async () => {
      const x = tensor(images, [n, 8, 8, 1]),
        y = tensor(labels, [n], 'int32');
      model.compile({
        optimizer: adam({ learningRate: 0.02 }),
        loss: 'sparseCategoricalCrossentropy',
        metrics: ['accuracy'],
      });
      const before = (await model.evaluate(x, y)).accuracy;
      await model.fit(x, y, { epochs: 6, batchSize: 32, verbose: 0 });
      const { accuracy } = await model.evaluate(x, y);
      expect(accuracy, `accuracy before training ${before}`).to.be.greaterThan(0.95);
      const dir = await mkdtemp(join(tmpdir(), 'webgrad-cnn-'));
      await model.save(dir);
      const reloaded = await loadModel(dir);
      expect(Array.from(await reloaded.predict(x).data())).to.deep.equal(Array.from(await model.predict(x).data()));
      reloaded.dispose();
    });
    model.dispose();
  });

  it('a Conv1D model saves and loads with its kernel shape', async () => {
    const model = sequential(
      [
        conv1d({ filters: 3, kernelSize: 3, strides: 2, padding: 'same', inputShape: [7, 2] }),
        flatten(),
        dense({ units: 2 }),
      ],
      { seed: 8 },
    );
    await withBackend(gpu(), async () => {
      const x = tensor(Float32Array.from(randomValues(3 * 7 * 2, 'any', 11)), [3, 7, 2]);
      const dir = await mkdtemp(join(tmpdir(), 'webgrad-conv1d-'));
      await model.save(dir);
      const reloaded = await loadModel(dir);
      expect(reloaded.weights[0].shape).to.deep.equal([3, 2, 3]);
      expect(Array.from(await reloaded.predict(x).data())).to.deep.equal(Array.from(await model.predict(x).data()));
      // and the layer agrees with the op
      const [kernel, bias] = [model.weights[0], model.weights[1]];
      const direct = conv1dOp(x, kernel, { stride: 2, padding: 'same', bias });
      expect(direct.shape).to.deep.equal([3, 4, 3]);
      reloaded.dispose();
    });
    model.dispose();
  });

  it('conv2dTranspose on webgpu equals the core op on the CPU reference, with a [kh, kw, filters, channels] kernel', async () => {
    const model = sequential(
      [
        conv2dTranspose({
          filters: 2,
          kernelSize: [3, 2],
          strides: 2,
          padding: 'same',
          activation: 'tanh',
          inputShape: [5, 4, 3],
        }),
      ],
      { seed: 6 },
    );
    const xValues = Float32Array.from(randomValues(2 * 5 * 4 * 3, 'any', 7));
    withBackend(gpu(), () => {
      model.build();
      // a bias that is not zero, so the fused epilogue shows
      model.weights[1].assign(tensor([0.25, -0.5]));
    });
    expect(model.weights[0].shape).to.deep.equal([3, 2, 2, 3]);
    expect(model.outputShape).to.deep.equal([10, 8, 2]);
    const gpuOut = await withBackend(gpu(), () => model.predict(tensor(xValues, [2, 5, 4, 3]))).data();
    const [kernel, bias] = await Promise.all(model.weights.map((w) => w.data()));
    const expected = await withBackend(cpu(), () =>
      conv2dTransposeOp(tensor(xValues, [2, 5, 4, 3]), tensor(kernel, [3, 2, 2, 3]), {
        strides: 2,
        padding: 'same',
        bias: tensor(bias, [2]),
        activation: 'tanh',
      }),
    ).data();
    expectClose(gpuOut, expected, { rtol: 1e-4, atol: 1e-5 });
    model.dispose();
  });

  it("summary gives a conv autoencoder's shapes and kh·kw·filters·channels + filters parameters per transpose", () => {
    const model = sequential([
      conv2d({ filters: 8, kernelSize: 3, strides: 2, padding: 'same', inputShape: [28, 28, 1] }),
      conv2d({ filters: 4, kernelSize: 3, strides: 2, padding: 'same' }),
      conv2dTranspose({ filters: 8, kernelSize: 3, strides: 2, padding: 'same' }),
      conv2dTranspose({ filters: 1, kernelSize: 2, strides: 2 }),
      conv2dTranspose({ filters: 3, kernelSize: 5 }),
    ]);
    const text = model.summary(() => {});
    // 7·2 = 14; 14·2 + max(2 − 2, 0) = 28; 28·1 + max(5 − 1, 0) = 32
    for (const shape of [
      '(None, 14, 14, 8)',
      '(None, 7, 7, 4)',
      '(None, 14, 14, 8)',
      '(None, 28, 28, 1)',
      '(None, 32, 32, 3)',
    ]) {
      expect(text).to.contain(shape);
    }
    const params = [(3 * 3 * 1 + 1) * 8, (3 * 3 * 8 + 1) * 4, 3 * 3 * 8 * 4 + 8, 2 * 2 * 1 * 8 + 1, 5 * 5 * 3 * 1 + 3];
    expect(text).to.contain(`Total params: ${params.reduce((a, b) => a + b)}`);
    model.dispose();
  });

  it('a conv autoencoder with conv2dTranspose learns on webgpu, and save → loadModel predicts the same', async () => {
    // 8×8 images of one bar plus noise, reconstructed through a 4×4×4 code
    const n = 64;
    const noise = randomValues(n * 64, 'any', 31);
    const at = randomValues(n, 'positive', 32);
    const images = new Float32Array(n * 64);
    for (let i = 0; i < n; i++) {
      const row = Math.floor(((at[i] - 0.5) / 1.5) * 8) % 8;
      for (let p = 0; p < 64; p++) images[i * 64 + p] = 0.1 * noise[i * 64 + p] + (Math.floor(p / 8) === row ? 1 : 0);
    }
    const model = sequential(
      [
        conv2d({ filters: 4, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', inputShape: [8, 8, 1] }),
        conv2dTranspose({
          filters: 4,
          kernelSize: 3,
          strides: 2,
          padding: 'same',
          activation: 'relu',
          kernelRegularizer: l2({ l2: 1e-3 }),
        }),
        conv2dTranspose({ filters: 1, kernelSize: 3, padding: 'same' }),
      ],
      { seed: 5 },
    );
    await withBackend(gpu(), async () => {
      const x = tensor(images, [n, 8, 8, 1]);
      model.compile({ optimizer: adam({ learningRate: 0.01 }), loss: 'meanSquaredError' });
      const { history } = await model.fit(x, x, { epochs: 15, batchSize: 16, verbose: 0 });
      const losses = history.loss;
      expect(losses[losses.length - 1], `losses ${losses.join(', ')}`).to.be.lessThan(0.5 * losses[0]);
      const dir = await mkdtemp(join(tmpdir(), 'webgrad-convt-'));
      await model.save(dir);
      const reloaded = await loadModel(dir);
      expect(reloaded.layers.map((l) => l.className)).to.deep.equal(['Conv2D', 'Conv2DTranspose', 'Conv2DTranspose']);
      expect(reloaded.weights[2].shape).to.deep.equal([3, 3, 4, 4]);
      expect(Array.from(await reloaded.predict(x).data())).to.deep.equal(Array.from(await model.predict(x).data()));
      const penalty = async (m: Model) => (await tidy(() => m.layers[1].regularizationLoss!()!).data())[0];
      expect(await penalty(reloaded)).to.equal(await penalty(model));
      reloaded.dispose();
    });
    model.dispose();
  });

  it('Conv2D, Conv1D and Conv2DTranspose save their kernel regularizers, which come back with their factors', () =>
    withBackend(cpu(), async () => {
      const model = sequential(
        [
          conv1d({ filters: 2, kernelSize: 3, kernelRegularizer: l1({ l1: 2e-3 }), inputShape: [6, 4] }),
          flatten(),
          dense({ units: 12 }),
        ],
        { seed: 9 },
      );
      const image = sequential(
        [
          conv2d({ filters: 3, kernelSize: 2, kernelRegularizer: l2({ l2: 1e-3 }), inputShape: [5, 5, 2] }),
          conv2dTranspose({ filters: 2, kernelSize: 2, kernelRegularizer: l1l2({ l1: 1e-3, l2: 4e-3 }) }),
        ],
        { seed: 10 },
      );
      // λ·Σ|w|, λ·Σw², and both, from each layer's kernel
      const expected = [
        { model, layer: 0, penalty: (w: Float32Array) => 2e-3 * w.reduce((a, v) => a + Math.abs(v), 0) },
        { model: image, layer: 0, penalty: (w: Float32Array) => 1e-3 * w.reduce((a, v) => a + v * v, 0) },
        {
          model: image,
          layer: 1,
          penalty: (w: Float32Array) => w.reduce((a, v) => a + 1e-3 * Math.abs(v) + 4e-3 * v * v, 0),
        },
      ];
      const reloaded = new Map<Model, Model>();
      for (const m of [model, image]) {
        m.build();
        const dir = await mkdtemp(join(tmpdir(), 'webgrad-conv-regularizer-'));
        await m.save(dir);
        reloaded.set(m, await loadModel(dir));
      }
      for (const e of expected) {
        const loaded = reloaded.get(e.model)!.layers[e.layer];
        const penalty = loaded.regularizationLoss?.();
        expect(penalty, `${loaded.className} lost its kernel regularizer`).to.not.equal(undefined);
        const kernel = Float32Array.from(await e.model.layers[e.layer].weights[0].data());
        expect((await penalty!.data())[0]).to.be.closeTo(e.penalty(kernel), 1e-9);
      }
      for (const m of [model, image, ...reloaded.values()]) m.dispose();
    }));

  it('names the layer and the shapes for bad input', () => {
    const model = sequential([conv2d({ filters: 2, kernelSize: 3, inputShape: [5, 5, 3] })]);
    withBackend(gpu(), () => {
      expect(() => model.predict(tensor(new Float32Array(2 * 5 * 5 * 2), [2, 5, 5, 2]))).to.throw(
        /predict.*\[2,5,5,2\].*\(None, 5, 5, 3\)|5,5,3/,
      );
      expect(() => sequential([conv2d({ filters: 2, kernelSize: 3, inputShape: [25, 3] })]).build()).to.throw(
        /conv2d layer .*: input shape must be \[height, width, channels\], got \[25,3\]/,
      );
      expect(() =>
        sequential([conv2d({ filters: 2, kernelSize: 7, inputShape: [5, 5, 3] })]).predict(
          tensor(new Float32Array(75), [1, 5, 5, 3]),
        ),
      ).to.throw(
        /sequential: layer 'conv2d_\d+' \(Conv2D\) turns input shape \[5,5,3\] into \[-1,-1,2\]; every size must be a positive integer/,
      );
      expect(() => conv2d({ filters: 0, kernelSize: 3 })).to.throw(/conv2d: filters must be a positive integer, got 0/);
      expect(() => conv2dTranspose({ filters: 2, kernelSize: [3, 0] })).to.throw(
        'conv2dTranspose: kernelSize must be positive integers, got [3,0]',
      );
      expect(() =>
        sequential([conv2dTranspose({ filters: 2, kernelSize: 3, name: 'up', inputShape: [25, 3] })]).build(),
      ).to.throw('conv2dTranspose layer up: input shape must be [height, width, channels], got [25,3]');
      const up = conv2dTranspose({ filters: 2, kernelSize: 3, name: 'up2' });
      up.build([4, 4, 3], 1);
      expect(() => up.call(tensor(new Float32Array(48), [4, 4, 3]), { training: false, seed: 0 })).to.throw(
        'conv2dTranspose layer up2: input must be 4-D [batch, height, width, channels], got shape [4,4,3]',
      );
      expect(() => up.call(tensor(new Float32Array(32), [1, 4, 4, 2]), { training: false, seed: 0 })).to.throw(
        'conv2dTranspose: input has 2 channels (shape [1,4,4,2]) but the filter [height, width, out, in] expects 3 (shape [3,3,2,3])',
      );
      up.weights.forEach((w) => w.dispose());
    });
    model.dispose();
  });
});

describe('randomTranslation', () => {
  useBackend('webgpu');

  it('in training moves each image by whole pixels within ±round(factor·size); in predict it is the identity', async () => {
    const n = 16,
      side = 10;
    const images = Float32Array.from(randomValues(n * side * side, 'positive', 21)); // no zeros: a moved pixel is told from fill
    const layer = randomTranslation({ heightFactor: 0.2, widthFactor: 0.1, inputShape: [side, side, 1] });
    const model = sequential([layer]);
    const x = tensor(images, [n, side, side, 1]);
    expect(Array.from(await model.predict(x).data())).to.deep.equal(Array.from(images));
    const moved = await layer.call(x, { training: true, seed: 5 }).data();
    const seen = new Set<string>();
    for (let i = 0; i < n; i++) {
      const shiftOf = (sh: number, sw: number) => {
        for (let h = 0; h < side; h++) {
          for (let w = 0; w < side; w++) {
            const [ih, iw] = [h - sh, w - sw];
            const expected =
              ih >= 0 && ih < side && iw >= 0 && iw < side ? images[i * side * side + ih * side + iw] : 0;
            if (moved[i * side * side + h * side + w] !== expected) return false;
          }
        }
        return true;
      };
      const matches = [-2, -1, 0, 1, 2].flatMap((sh) =>
        [-1, 0, 1].filter((sw) => shiftOf(sh, sw)).map((sw) => `${sh},${sw}`),
      );
      expect(matches, `image ${i} is not a shift within (±2, ±1) of its input`).to.have.length(1);
      seen.add(matches[0]);
    }
    expect(seen.size, 'the shifts vary from image to image').to.be.greaterThan(3);
    model.dispose();
  });

  it('rejects factors outside [0, 1)', () => {
    expect(() => randomTranslation({ heightFactor: 1.5 })).to.throw(
      /randomTranslation: heightFactor must be in \[0, 1\), got 1.5/,
    );
  });
});
