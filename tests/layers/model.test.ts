// The Layers API end to end on the WebGPU backend (and the CPU where cheap): layer forward passes
// against hand computations, summary's parameter counts, fit/evaluate/predict, reproducibility,
// save → load, memory across epochs, and the errors a Keras user meets first.
import { expect } from 'chai';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { grad, memory, tensor, tidy, withBackend } from '@webgrad/core';
import { WebGPUBackend } from '@webgrad/webgpu';
import {
  activation,
  adam,
  batchNormalization,
  csvLogger,
  dense,
  dropout,
  flatten,
  l2,
  loadModel,
  maxout,
  modelCheckpoint,
  prelu,
  sequential,
  sgd,
  type Layer,
} from '@webgrad/layers';
import { backendOf, BACKENDS, expectClose, gpu, randomValues, useBackend } from '../helpers.js';

/** A seeded 3-class problem: class = argmax of a fixed linear map of 8 features. */
function toyData(n: number, seed: number) {
  const x = randomValues(n * 8, 'any', seed);
  const labels = Int32Array.from({ length: n }, (_, i) => {
    const s = [0, 1, 2].map((c) => x[i * 8 + c] - x[i * 8 + c + 3] + 0.5 * x[i * 8 + 6 + (c % 2)]);
    return s.indexOf(Math.max(...s));
  });
  return { x: tensor(Float32Array.from(x), [n, 8]), y: tensor(labels, [n], 'int32'), labels };
}

const mlp = (seed = 7) =>
  sequential(
    [
      dense({ units: 16, activation: 'relu', inputShape: [8] }),
      dropout({ rate: 0.2 }),
      dense({ units: 3, activation: 'softmax' }),
    ],
    { seed },
  );

for (const name of BACKENDS) {
  describe(`layers forward on ${name}`, () => {
    const run = <T>(fn: () => T) => withBackend(backendOf(name), fn);

    it('dense computes relu(x·W + b), and tanh/elu outside the fused epilogue', async () => {
      for (const act of ['relu', 'tanh', 'elu'] as const) {
        const model = sequential([dense({ units: 2, activation: act, inputShape: [3] })]);
        const w = [
            [1, -2],
            [0.5, 1],
            [-1, 0.25],
          ],
          b = [0.1, -0.3],
          x = [
            [1, 2, 3],
            [-1, 0.5, 2],
          ];
        run(() => {
          model.build();
          model.setWeights([tensor(w), tensor(b)]);
        });
        const out = await run(() => model.predict(tensor(x))).data();
        const f = {
          relu: (z: number) => Math.max(z, 0),
          tanh: Math.tanh,
          elu: (z: number) => (z > 0 ? z : Math.exp(z) - 1),
        }[act];
        const expected = x.flatMap((row) => [0, 1].map((j) => f(row.reduce((s, v, k) => s + v * w[k][j], b[j]))));
        expectClose(out, expected, { rtol: 1e-5, atol: 1e-6 }, `dense ${act}`);
        model.dispose();
      }
    });

    it('prelu, flatten and activation layers', async () => {
      const model = sequential([flatten({ inputShape: [2, 2] }), prelu(), activation({ activation: 'sigmoid' })]);
      run(() => {
        model.build();
        model.setWeights([tensor([0.1, 0.2, 0.3, 0.4])]);
      });
      const out = await run(() =>
        model.predict(
          tensor([
            [
              [1, -1],
              [-2, 2],
            ],
          ]),
        ),
      ).data();
      const sig = (z: number) => 1 / (1 + Math.exp(-z));
      expectClose(out, [sig(1), sig(-0.2), sig(-0.6), sig(2)], { rtol: 1e-6 });
      model.dispose();
    });

    it('dropout keeps the expected value in training and is off in predict', async () => {
      const layer = dropout({ rate: 0.3 });
      const ones = run(() => tensor(new Float32Array(100_000).fill(1), [100_000]));
      const kept = await run(() => layer.call(ones, { training: true, seed: 5 })).data();
      const mean = Array.from(kept).reduce((a, b) => a + b, 0) / kept.length;
      const dropped = kept.filter((v) => v === 0).length / kept.length;
      expect(Math.abs(mean - 1)).to.be.below(0.01); // E[mask / 0.7] = 1; sd of the mean ≈ 0.002
      expect(Math.abs(dropped - 0.3)).to.be.below(0.01);
      expect(Array.from(kept).every((v) => v === 0 || Math.abs(v - 1 / 0.7) < 1e-6)).to.equal(true);
      expect(layer.call(ones, { training: false, seed: 5 })).to.equal(ones);
    });
  });
}

describe('model.summary', () => {
  it('counts the parameters of 784-256-128-10 as (in + 1)·out per layer', () => {
    const model = sequential([dense({ units: 256, inputShape: [784] }), dense({ units: 128 }), dense({ units: 10 })]);
    const lines: string[] = [];
    model.summary((l) => lines.push(l));
    const total = (784 + 1) * 256 + (256 + 1) * 128 + (128 + 1) * 10;
    expect(lines.join('\n'))
      .to.contain(`Total params: ${total}`)
      .and.contain(`(None, 128)`)
      .and.contain(String((256 + 1) * 128));
    model.dispose();
  });
});

describe('fit, evaluate and predict on webgpu', () => {
  useBackend('webgpu');

  it('learns a toy problem; the same seed reproduces the run exactly', async () => {
    const weightsAfterTraining = async () =>
      withBackend(gpu(), async () => {
        const { x, y } = toyData(512, 3);
        const model = mlp(11);
        model.compile({
          optimizer: adam({ learningRate: 0.01 }),
          loss: 'sparseCategoricalCrossentropy',
          metrics: ['accuracy'],
        });
        const history = await model.fit(x, y, { epochs: 8, batchSize: 32, verbose: 0 });
        const weights = await Promise.all(model.weights.map((w) => w.data()));
        const { accuracy } = await model.evaluate(x, y);
        model.dispose();
        return { weights, history, accuracy };
      });
    const first = await weightsAfterTraining(),
      second = await weightsAfterTraining();
    expect(first.accuracy).to.be.above(0.9);
    expect(first.history.history.loss[7]).to.be.below(first.history.history.loss[0]);
    first.weights.forEach((w, i) => expect(Array.from(second.weights[i])).to.deep.equal(Array.from(w)));
  });

  it('yieldEveryMs hands the event loop turns during fit (a timer fires mid-epoch) and leaves the result unchanged', async () => {
    const train = async (yieldEveryMs: number) => {
      const { x, y } = toyData(256, 3);
      const model = mlp(11);
      model.compile({ optimizer: adam({ learningRate: 0.01 }), loss: 'sparseCategoricalCrossentropy' });
      // a timer set at the first batch can only fire inside the epoch if fit gives up the event loop
      let timerFired = false,
        firedBeforeLastBatch = false;
      await model.fit(x, y, {
        epochs: 1,
        batchSize: 32,
        verbose: 0,
        yieldEveryMs,
        callbacks: [
          {
            onBatchBegin: (step) => {
              if (step === 0) {
                setTimeout(() => {
                  timerFired = true;
                }, 0);
              }
            },
            onBatchEnd: (step) => {
              if (step === 7) firedBeforeLastBatch = timerFired;
            },
          },
        ],
      });
      const weights = await Promise.all(model.weights.map((w) => w.data()));
      model.dispose();
      return { weights, firedBeforeLastBatch };
    };
    const yielding = await train(1e-9),
      plain = await train(0);
    expect(yielding.firedBeforeLastBatch, 'with yieldEveryMs the timer runs inside the epoch').to.equal(true);
    expect(plain.firedBeforeLastBatch, 'without it, the epoch runs in one turn').to.equal(false);
    yielding.weights.forEach((w, i) => expect(Array.from(plain.weights[i])).to.deep.equal(Array.from(w)));
  });

  it('regularizers add λΣw² to the loss and 2λw to the gradient', async () => {
    const layer = dense({ units: 3, inputShape: [4], kernelRegularizer: l2({ l2: 0.1 }) });
    await withBackend(gpu(), async () => {
      layer.build([4], 1);
      const kernel = layer.weights[0];
      const [penalty, gradient, w] = [
        await layer.regularizationLoss!()!.data(),
        await grad(() => layer.regularizationLoss!()!)(kernel)[0].data(),
        await kernel.data(),
      ];
      expectClose(penalty, [0.1 * Array.from(w).reduce((s, v) => s + v * v, 0)], { rtol: 1e-5 });
      expectClose(
        gradient,
        Array.from(w, (v) => 0.2 * v),
        { rtol: 1e-5, atol: 1e-7 },
      );
    });
  });

  it('save -> loadModel -> predict gives identical outputs, and a truncated file is refused', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'webgrad-'));
    await withBackend(gpu(), async () => {
      const { x, y } = toyData(128, 4);
      const model = mlp(5);
      model.compile({
        optimizer: sgd({ learningRate: 0.1, momentum: 0.9 }),
        loss: 'sparseCategoricalCrossentropy',
        metrics: ['accuracy'],
      });
      await model.fit(x, y, { epochs: 2, batchSize: 32, verbose: 0 });
      // webgrad's own layout keeps momentum's state bit for bit; TF.js's (the default) keeps TF.js's
      // accumulator, the state divided by -learningRate, so exact to float32 rounding (tfjs-format.test.ts)
      await model.save(dir, { includeOptimizer: true, format: 'webgrad' });
      const loaded = await loadModel(dir);
      expect(Array.from(await loaded.predict(x).data())).to.deep.equal(Array.from(await model.predict(x).data()));
      expect(loaded.compiled?.optimizer.iterations).to.equal(model.compiled?.optimizer.iterations);
      // training resumes exactly: one more epoch from both gives the same weights
      await model.fit(x, y, { epochs: 1, batchSize: 32, verbose: 0, shuffle: false });
      await loaded.fit(x, y, { epochs: 1, batchSize: 32, verbose: 0, shuffle: false });
      const [a, b] = [
        await Promise.all(model.weights.map((w) => w.data())),
        await Promise.all(loaded.weights.map((w) => w.data())),
      ];
      a.forEach((w, i) => expect(Array.from(b[i])).to.deep.equal(Array.from(w)));
      const weightsFile = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8')).weightsManifest[0].paths[0];
      const bytes = await readFile(join(dir, weightsFile));
      await writeFile(join(dir, weightsFile), bytes.subarray(0, bytes.length - 8));
      let error: unknown;
      await loadModel(dir).catch((e) => {
        error = e;
      });
      expect(String(error)).to.match(
        /loadModel: \S*weights-\S+\.bin holds \d+ bytes but model.json describes \d+; the file is truncated/,
      );
      [model, loaded].forEach((m) => m.dispose());
    });
  });

  it("predict in batches matches one whole batch, and holds one batch's temporaries at a time", async () => {
    const backend = gpu() as WebGPUBackend;
    await withBackend(backend, async () => {
      const { x } = toyData(2048, 8);
      const model = mlp(5);
      const whole = await model.predict(x, { batchSize: 2048 }).data();
      const { liveBytes, pooledBytes } = backend.pool.stats();
      const batched = model.predict(x, { batchSize: 64 });
      const after = backend.pool.stats();
      expectClose(await batched.data(), whole, { rtol: 1e-5, atol: 1e-6 }, '32 batches of 64 against one of 2048');
      // the 32 outputs live until they are joined (24 KiB), but not the batches' input slices (64 KiB
      // in all, as much as x) and hidden activations (128 KiB)
      const grown = after.liveBytes + after.pooledBytes - liveBytes - pooledBytes;
      expect(grown, 'bytes the pool grew by').to.be.below(2048 * 8 * 4);
      batched.dispose();
      model.dispose();
    });
  });

  it('5 epochs of fit end with the live GPU buffers and bytes of after epoch 1', async () => {
    const backend = gpu() as WebGPUBackend;
    await withBackend(backend, async () => {
      const { x, y } = toyData(256, 6);
      const model = mlp(3);
      model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
      const seen: { liveBuffers: number; liveBytes: number; tensors: number }[] = [];
      await model.fit(x, y, {
        epochs: 5,
        batchSize: 32,
        verbose: 0,
        validationSplit: 0.25,
        callbacks: [
          {
            onEpochEnd: () => {
              const { liveBuffers, liveBytes } = backend.pool.stats();
              seen.push({ liveBuffers, liveBytes, tensors: memory().tensors });
            },
          },
        ],
      });
      expect(seen).to.have.length(5);
      seen.forEach((s) => expect(s).to.deep.equal(seen[0]));
      model.dispose();
    });
  });
});

describe('clear errors from the Layers API', () => {
  useBackend('webgpu');

  const model = () => {
    const m = mlp();
    m.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
    return m;
  };
  const rejects = async (p: Promise<unknown>, pattern: RegExp) => {
    let error: unknown;
    await p.catch((e) => {
      error = e;
    });
    expect(String(error)).to.match(pattern);
  };

  it('names the shapes, the loss and the valid names', async () => {
    await withBackend(gpu(), async () => {
      const { x, y } = toyData(16, 1);
      await rejects(
        sequential([dense({ units: 3, inputShape: [8] })]).fit(x, y),
        /fit: the model must be compiled first/,
      );
      await rejects(
        model().fit(x, tensor(new Int32Array(15), [15], 'int32')),
        /fit: x has 16 samples but y has 15; expected the same first dimension/,
      );
      await rejects(
        model().fit(tensor(new Float32Array(16 * 5), [16, 5]), y),
        /fit: input of shape \[16,5\] does not match the input shape \(None, 8\) of model '\w+'; expected \[batch, 8\]/,
      );
      await rejects(
        model().fit(x, tensor(new Float32Array(16 * 3), [16, 3])),
        /fit: targets of shape \[16,3\] \(float32\) do not fit loss 'sparseCategoricalCrossentropy' for outputs \(None, 3\); expected \[16\] int32 class indices/,
      );
      const nan = tensor(
        Float32Array.from({ length: 16 * 8 }, (_, i) => (i === 17 ? NaN : 0)),
        [16, 8],
      );
      await rejects(model().fit(nan, y), /fit: x \(shape \[16,8\]\) contains NaN or Infinity/);
      // the scan goes in chunks of 2^18 elements: an Infinity in the last element of the twelfth is found
      const n = (3 << 20) / 8,
        big = new Float32Array(n * 8);
      big[big.length - 1] = Infinity;
      const bigLabels = tensor(new Int32Array(n), [n], 'int32');
      await rejects(
        model().fit(tensor(big, [n, 8]), bigLabels, { epochs: 0 }),
        new RegExp(`fit: x \\(shape \\[${n},8\\]\\) contains NaN or Infinity`),
      );
      await rejects(model().fit(x, y, { batchSize: 0 }), /^Error: fit: batchSize must be a positive integer, got 0$/);
      await rejects(model().fit(x, y, { batchSize: 2.5 }), /fit: batchSize must be a positive integer, got 2\.5$/);
      await rejects(
        model().fit(x, y, { epochs: -1 }),
        /fit: epochs and initialEpoch must be non-negative integers, got -1 and 0$/,
      );
      await rejects(
        model().fit(x, y, { epochs: 2, initialEpoch: 0.5 }),
        /fit: epochs and initialEpoch must be non-negative integers, got 2 and 0\.5$/,
      );
      await rejects(
        model().fit(x, y, { epochs: 1.5 }),
        /fit: epochs and initialEpoch must be non-negative integers, got 1\.5 and 0$/,
      );
      await rejects(
        model().fit(x, y, { initialEpoch: -1 }),
        /fit: epochs and initialEpoch must be non-negative integers, got 1 and -1$/,
      );
      const regression = () => {
        const m = mlp();
        m.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
        return m;
      };
      const expectedTargets = 'expected \\[16, 3\\] float32';
      for (const [shape, dtype] of [
        [[16, 2], 'float32'],
        [[16, 3], 'int32'],
        [[16, 3, 1], 'float32'],
        [[16], 'float32'],
      ] as const) {
        const targets = tensor(new Float32Array(shape.reduce((a: number, b: number) => a * b, 1)), [...shape], dtype);
        await rejects(
          regression().fit(x, targets),
          new RegExp(
            `fit: targets of shape \\[${shape.join(',')}\\] \\(${dtype}\\) do not fit loss 'meanSquaredError' ` +
              `for outputs \\(None, 3\\); ${expectedTargets}$`,
          ),
        );
      }
      const badTargets = tensor(
        Float32Array.from({ length: 16 * 3 }, (_, i) => (i === 40 ? Infinity : 0)),
        [16, 3],
      );
      await rejects(regression().fit(x, badTargets), /fit: y \(shape \[16,3\]\) contains NaN or Infinity/);
      await rejects(model().fit(x, y, { validationSplit: 1 }), /fit: validationSplit must be in \[0, 1\), got 1$/);
      await rejects(
        model().fit(x, y, { validationSplit: -0.1 }),
        /fit: validationSplit must be in \[0, 1\), got -0\.1$/,
      );
      await rejects(
        model().fit(x, y, { validationData: [x, tensor(new Int32Array(16 * 2), [16, 2], 'int32')] }),
        /fit \(validationData\): targets of shape \[16,2\] \(int32\) do not fit loss 'sparseCategoricalCrossentropy'/,
      );
      await rejects(
        model().evaluate(x, tensor(new Int32Array(15), [15], 'int32')),
        /evaluate: x has 16 samples but y has 15; expected the same first dimension/,
      );
      await rejects(
        mlp().evaluate(x, y),
        /evaluate: the model must be compiled first: call model.compile\(\{optimizer, loss, metrics\}\)/,
      );
      await rejects(
        model().fit(x, tensor(new Float32Array(16), [16])),
        /fit: targets of shape \[16\] \(float32\) do not fit loss 'sparseCategoricalCrossentropy' for outputs \(None, 3\); expected \[16\] int32 class indices/,
      );
      expect(() => dense({ units: 3, activation: 'swish' as never })).to.throw(
        /unknown activation 'swish'; expected one of linear, relu, sigmoid, tanh, softmax/,
      );
      expect(() => mlp().compile({ optimizer: 'adamax' as never, loss: 'mse' })).to.throw(
        /unknown optimizer 'adamax'; expected one of sgd, adagrad, rmsprop, adam, adamw/,
      );
      expect(() => mlp().compile({ optimizer: 'sgd', loss: 'hinge' as never })).to.throw(
        /unknown loss 'hinge'; expected one of meanSquaredError/,
      );
      expect(() =>
        dense({ units: 3, kernelInitializer: 'truncatedNormal' as never, inputShape: [2] }).build([2], 1),
      ).to.throw(/unknown initializer 'truncatedNormal'/);
    });
  });
});

describe('batchNormalization, maxout, modelCheckpoint and csvLogger', () => {
  useBackend('webgpu');

  it('batchNormalization normalises with batch statistics in training and moving averages at inference', async () => {
    const model = sequential([batchNormalization({ inputShape: [2], momentum: 0.5, epsilon: 1e-3 })]);
    model.build();
    const x = tensor([
      [1, 10],
      [3, 14],
      [5, 12],
      [7, 16],
    ]);
    const layer = model.layers[0] as Layer;
    const trained = await tidy(() => layer.call(x, { training: true, seed: 0 })).data();
    // by hand: column means 4 and 13, biased variances 5 and 5
    const expected = [
      [1, 10],
      [3, 14],
      [5, 12],
      [7, 16],
    ].flatMap(([a, b]) => [(a - 4) / Math.sqrt(5 + 1e-3), (b - 13) / Math.sqrt(5 + 1e-3)]);
    expectClose(trained, expected, { rtol: 1e-5, atol: 1e-6 });
    // moving mean = 0.5·0 + 0.5·batch mean; moving variance = 0.5·1 + 0.5·batch variance
    const [, , movingMean, movingVariance] = await Promise.all(model.weights.map((w) => w.data()));
    expectClose(movingMean, [2, 6.5], { rtol: 1e-6 });
    expectClose(movingVariance, [3, 3], { rtol: 1e-6 });
    const inferred = await model.predict(x).data();
    expectClose(
      inferred,
      [
        [1, 10],
        [3, 14],
        [5, 12],
        [7, 16],
      ].flatMap(([a, b]) => [(a - 2) / Math.sqrt(3.001), (b - 6.5) / Math.sqrt(3.001)]),
      { rtol: 1e-5 },
    );
    model.dispose();
  });

  it('maxout takes the max over its pieces', async () => {
    const model = sequential([maxout({ units: 2, pieces: 3, inputShape: [1] })]);
    model.build();
    // kernel [1, 6] laid out [pieces, units]: pieces (1, -1), (2, 0), (-3, 5); bias 0
    model.setWeights([tensor([[1, -1, 2, 0, -3, 5]]), tensor([0, 0, 0, 0, 0, 0])]);
    const out = await model.predict(tensor([[2], [-1]])).data();
    expect(Array.from(out)).to.deep.equal([
      Math.max(2, 4, -6),
      Math.max(-2, 0, 10),
      Math.max(-1, -2, 3),
      Math.max(1, 0, -5),
    ]);
    model.dispose();
  });

  it('modelCheckpoint saves the best epoch; csvLogger writes one row per epoch', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'webgrad-ckpt-'));
    const { x, y } = toyData(64, 9);
    const model = mlp(2);
    model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    const csv = join(dir, 'log.csv');
    const history = await model.fit(x, y, {
      epochs: 3,
      batchSize: 16,
      verbose: 0,
      callbacks: [
        modelCheckpoint(model, { filepath: join(dir, 'best'), monitor: 'loss', saveBestOnly: true }),
        csvLogger(csv),
      ],
    });
    const lines = (await readFile(csv, 'utf8')).trim().split('\n');
    expect(lines[0]).to.equal('epoch,loss,accuracy');
    expect(lines).to.have.length(4);
    expect(Number(lines[3].split(',')[1])).to.be.closeTo(history.history.loss[2], 1e-12);
    const saved = await loadModel(join(dir, 'best'));
    expect(saved.compiled?.optimizer.iterations).to.be.within(1, 12);
    [model, saved].forEach((m) => m.dispose());
  });
});
