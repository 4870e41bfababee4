// The regularisation layers. GaussianNoise and GaussianDropout: identity at inference; in training the
// noise drawn on the device from the step's seed and the layer's stream (the same numbers as core's
// randomNormal under that seed, on the CPU reference and WebGPU), with the stated spread.
// ActivityRegularization: fit's logged loss is the data loss plus l1·Σ|h| + l2·Σh², and one SGD step
// moves the weights by the hand-computed gradient of both. Models with them fit and round-trip through
// save/load; bad options are refused by name.
import { expect } from 'chai';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { div, mean, randomNormal, square, sub, tensor, withBackend } from '@webgrad/core';
import {
  activityRegularization,
  dense,
  gaussianDropout,
  gaussianNoise,
  input,
  loadModel,
  model,
  sgd,
} from '@webgrad/layers';
import { backendOf, BACKENDS, expectClose, randomValues, useBackend } from '../helpers.js';
import { fitsAndRoundTrips } from './roundtrip.js';

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    return (error as Error).message;
  }
  return 'no error';
}

for (const name of BACKENDS) {
  describe(`noise layers on ${name}`, () => {
    const run = <T>(fn: () => T) => withBackend(backendOf(name), fn);

    it('gaussianNoise is the identity at inference and adds randomNormal(0, stddev) of the step seed in training', async () => {
      const values = Float32Array.from(randomValues(4 * 5, 'any', 2));
      const layer = gaussianNoise({ stddev: 0.3, seed: 4 });
      const x = run(() => tensor(values, [4, 5]));
      expect(Array.from(await run(() => layer.apply(x)).data())).to.deep.equal(Array.from(values));
      const noisy = await run(() => sub(layer.apply(x, { training: true, seed: 10 }), x)).data();
      const drawn = await run(() => randomNormal([4, 5], 0, 0.3, { seed: 14, stream: 0 })).data();
      expectClose(noisy, drawn, { rtol: 1e-5, atol: 1e-6 }, 'the added noise');
      const other = await run(() => sub(layer.apply(x, { training: true, seed: 11 }), x)).data();
      expect(Array.from(other)).to.not.deep.equal(Array.from(noisy));
    });

    it('gaussianNoise has mean 0 and the stated standard deviation over 40,000 draws', async () => {
      const x = run(() => tensor(new Float32Array(40_000).fill(1.5), [200, 200]));
      const noise = run(() => sub(gaussianNoise({ stddev: 0.5 }).apply(x, { training: true, seed: 3 }), x));
      const [m] = await run(() => mean(noise)).data();
      const [v] = await run(() => mean(square(noise))).data();
      // the standard error of the mean is 0.5/200 = 0.0025; of the variance about 0.25·√(2/40000) ≈ 0.0018
      expect(Math.abs(m)).to.be.below(0.01);
      expect(Math.abs(v - 0.25)).to.be.below(0.008);
    });

    it('gaussianDropout is the identity at inference and multiplies by randomNormal(1, √(rate/(1 − rate))) in training', async () => {
      const values = Float32Array.from(randomValues(4 * 5, 'nonzero', 3));
      const layer = gaussianDropout({ rate: 0.2, seed: 2 });
      const x = run(() => tensor(values, [4, 5]));
      expect(Array.from(await run(() => layer.apply(x)).data())).to.deep.equal(Array.from(values));
      const factors = await run(() => div(layer.apply(x, { training: true, seed: 7 }), x)).data();
      const drawn = await run(() => randomNormal([4, 5], 1, 0.5, { seed: 9, stream: 0 })).data();
      expectClose(factors, drawn, { rtol: 1e-5, atol: 1e-6 }, 'the multiplying noise');
      const ones = run(() => tensor(new Float32Array(40_000).fill(1), [200, 200]));
      const noisy = run(() => gaussianDropout({ rate: 0.5 }).apply(ones, { training: true, seed: 1 }));
      const [m] = await run(() => mean(noisy)).data();
      const [v] = await run(() => mean(square(sub(noisy, 1)))).data();
      // rate 0.5: the factor is N(1, 1); standard errors about 0.005 (mean) and 0.007 (variance)
      expect(Math.abs(m - 1)).to.be.below(0.02);
      expect(Math.abs(v - 1)).to.be.below(0.03);
    });
  });
}

describe('noise layers: models, errors', () => {
  useBackend('webgpu');

  it('a functional model with gaussianNoise on its input fits a step and round-trips through save/load', async () => {
    await fitsAndRoundTrips(() => {
      const x0 = input({ shape: [6] });
      const out = dense({ units: 2 }).apply(gaussianNoise({ stddev: 0.2, seed: 1 }).apply(x0));
      return {
        net: model({ inputs: x0, outputs: out, seed: 3 }),
        x: tensor(Float32Array.from(randomValues(8 * 6, 'any', 5)), [8, 6]),
        y: tensor(Float32Array.from(randomValues(8 * 2, 'any', 6)), [8, 2]),
      };
    });
  });

  it("fit draws the noise (its logged loss differs from evaluate's at the same weights); evaluate does not", async () => {
    const x = tensor(Float32Array.from(randomValues(16 * 4, 'any', 11)), [16, 4]);
    const y = tensor(Float32Array.from(randomValues(16, 'any', 12)), [16, 1]);
    const gaps: number[] = [];
    for (const noise of [gaussianNoise({ stddev: 0.5 }), gaussianDropout({ rate: 0.3 }), undefined]) {
      const x0 = input({ shape: [4] });
      const net = model({ inputs: x0, outputs: dense({ units: 1 }).apply(noise ? noise.apply(x0) : x0), seed: 2 });
      // a zero learning rate: fit's logged loss is taken at the weights evaluate sees
      net.compile({ optimizer: sgd({ learningRate: 0 }), loss: 'meanSquaredError' });
      const fitted = await net.fit(x, y, { epochs: 1, batchSize: 16, verbose: 0 });
      const evaluated = await net.evaluate(x, y);
      gaps.push(Math.abs(fitted.history.loss[0] - evaluated.loss));
      expect(await net.evaluate(x, y)).to.deep.equal(evaluated);
    }
    expect(gaps[0], 'gaussianNoise').to.be.above(1e-3);
    expect(gaps[1], 'gaussianDropout').to.be.above(1e-3);
    expect(gaps[2], 'no noise layer').to.be.below(1e-6);
  });

  it('a functional model with gaussianDropout fits a step and round-trips through save/load', async () => {
    await fitsAndRoundTrips(() => {
      const x0 = input({ shape: [5] });
      const hidden = dense({ units: 4, activation: 'tanh' }).apply(gaussianDropout({ rate: 0.3 }).apply(x0));
      const out = dense({ units: 2 }).apply(hidden);
      return {
        net: model({ inputs: x0, outputs: out, seed: 6 }),
        x: tensor(Float32Array.from(randomValues(8 * 5, 'any', 7)), [8, 5]),
        y: tensor(Float32Array.from(randomValues(8 * 2, 'any', 8)), [8, 2]),
      };
    });
  });

  it("activityRegularization's l1·Σ|h| + l2·Σh² is in fit's logged loss and in the step's gradient", async () => {
    const [l1, l2, rate] = [0.1, 0.05, 0.2];
    const x = [1, -2, 0.5, 0.25, 1.5, -1, -0.5, 2, 1];
    const y = [0.5, -1, 0, 2, -0.5, 1];
    const w = [0.3, -0.2, 0.1, 0.4, -0.5, 0.25];
    const b = [0.05, -0.1];
    const x0 = input({ shape: [3] });
    const h = activityRegularization({ l1, l2 }).apply(dense({ units: 2 }).apply(x0));
    const net = model({ inputs: x0, outputs: h });
    net.setWeights([tensor(w, [3, 2]), tensor(b, [2])]);
    net.compile({ optimizer: sgd({ learningRate: rate }), loss: 'meanSquaredError' });
    const history = await net.fit(tensor(x, [3, 3]), tensor(y, [3, 2]), { epochs: 1, batchSize: 3, verbose: 0 });
    // by hand, in float64: h = x·W + b; loss = mean((h − y)²) + l1·Σ|h| + l2·Σh²
    const hv = [0, 1, 2].flatMap((n) =>
      [0, 1].map((j) => b[j] + [0, 1, 2].reduce((s, k) => s + x[n * 3 + k] * w[k * 2 + j], 0)),
    );
    const mse = hv.reduce((s, v, i) => s + (v - y[i]) ** 2, 0) / 6;
    const penalty = l1 * hv.reduce((s, v) => s + Math.abs(v), 0) + l2 * hv.reduce((s, v) => s + v * v, 0);
    expectClose(history.history.loss, [mse + penalty], { rtol: 1e-5 }, 'logged loss');
    expect(penalty / (mse + penalty), 'the penalty is a sizeable part of the loss').to.be.above(0.2);
    // dL/dh = 2(h − y)/6 + l1·sign(h) + 2·l2·h; dW = xᵀ·dL/dh; db = Σ over rows
    const dh = hv.map((v, i) => (2 * (v - y[i])) / 6 + l1 * Math.sign(v) + 2 * l2 * v);
    const dw = [0, 1, 2].flatMap((k) =>
      [0, 1].map((j) => [0, 1, 2].reduce((s, n) => s + x[n * 3 + k] * dh[n * 2 + j], 0)),
    );
    const db = [0, 1].map((j) => dh[j] + dh[2 + j] + dh[4 + j]);
    const [kernel, bias] = await Promise.all(net.weights.map((v) => v.data()));
    expectClose(
      kernel,
      w.map((v, i) => v - rate * dw[i]),
      { rtol: 1e-5, atol: 1e-6 },
      'kernel after one step',
    );
    expectClose(
      bias,
      b.map((v, i) => v - rate * db[i]),
      { rtol: 1e-5, atol: 1e-6 },
      'bias after one step',
    );
    // evaluate takes the term too, and a saved and loaded model evaluates to the same loss
    const hAfter = [0, 1, 2].flatMap((n) =>
      [0, 1].map((j) => bias[j] + [0, 1, 2].reduce((s, k) => s + x[n * 3 + k] * kernel[k * 2 + j], 0)),
    );
    const expected =
      hAfter.reduce((s, v, i) => s + (v - y[i]) ** 2, 0) / 6 +
      l1 * hAfter.reduce((s, v) => s + Math.abs(v), 0) +
      l2 * hAfter.reduce((s, v) => s + v * v, 0);
    const evaluated = await net.evaluate(tensor(x, [3, 3]), tensor(y, [3, 2]));
    expectClose([evaluated.loss], [expected], { rtol: 1e-5 }, 'evaluate');
    const dir = await mkdtemp(join(tmpdir(), 'webgrad-actreg-'));
    await net.save(dir);
    const loaded = await loadModel(dir);
    loaded.compile({ optimizer: sgd({ learningRate: rate }), loss: 'meanSquaredError' });
    expect(await loaded.evaluate(tensor(x, [3, 3]), tensor(y, [3, 2]))).to.deep.equal(evaluated);
  });

  it('gaussianNoise, gaussianDropout and activityRegularization refuse bad options', () => {
    expect(errorOf(() => gaussianNoise({ stddev: -1 }))).to.equal(
      'gaussianNoise: stddev must be a finite number >= 0, got -1',
    );
    expect(errorOf(() => gaussianNoise({ stddev: 1, seed: 1.5 }))).to.equal(
      'gaussianNoise: seed must be a non-negative integer, got 1.5',
    );
    expect(errorOf(() => gaussianDropout({ rate: 1 }))).to.equal('gaussianDropout: rate must be in [0, 1), got 1');
    expect(errorOf(() => activityRegularization({ l1: -0.1 }))).to.equal(
      'activityRegularization: l1 must be a finite number >= 0, got -0.1',
    );
  });
});
