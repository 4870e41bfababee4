// The activation layers with options (ReLU, LeakyReLU, ELU, Softmax) and LayerNormalization: forward
// on the CPU reference and WebGPU against hand computations in float64, gradients by checkGradients,
// a functional model with them that fits and round-trips through save/load, and their errors.
import { expect } from 'chai';
import { checkGradients, tensor, withBackend, type Tensor } from '@webgrad/core';
import {
  dense,
  elu,
  flatten,
  input,
  layerNormalization,
  leakyReLU,
  model,
  relu,
  softmax,
  type Layer,
} from '@webgrad/layers';
import { backendOf, BACKENDS, cpu, expectClose, randomValues, useBackend } from '../helpers.js';
import { fitsAndRoundTrips } from './roundtrip.js';

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    return (error as Error).message;
  }
  return 'no error';
}

const values = (n: number, seed: number): number[] => Array.from(randomValues(n, 'any', seed), Math.fround);

// Keras's formulas, elementwise
const elementwise: [string, () => Layer, (v: number) => number][] = [
  ['relu', () => relu(), (v) => Math.max(v, 0)],
  ['relu maxValue 0.8', () => relu({ maxValue: 0.8 }), (v) => Math.min(Math.max(v, 0), 0.8)],
  [
    'relu slope 0.1, threshold 0.5, maxValue 1.5',
    () => relu({ negativeSlope: 0.1, threshold: 0.5, maxValue: 1.5 }),
    (v) => (v > 0.5 ? Math.min(v, 1.5) : 0.1 * (v - 0.5)),
  ],
  ['relu threshold 0.3', () => relu({ threshold: 0.3 }), (v) => (v > 0.3 ? v : 0)],
  ['leakyReLU (Keras 3: slope 0.3)', () => leakyReLU(), (v) => (v >= 0 ? v : 0.3 * v)],
  ['leakyReLU slope 0.05', () => leakyReLU({ negativeSlope: 0.05 }), (v) => (v >= 0 ? v : 0.05 * v)],
  ['elu', () => elu(), (v) => (v > 0 ? v : Math.exp(v) - 1)],
  ['elu alpha 0.5', () => elu({ alpha: 0.5 }), (v) => (v > 0 ? v : 0.5 * (Math.exp(v) - 1))],
];

/** Softmax of float64 values over one axis of a [2, 3, 4] array. */
function softmaxOver(x: number[], axis: 1 | 2): number[] {
  const at = (n: number, i: number, j: number) => (n * 3 + i) * 4 + j;
  return x.map((_, k) => {
    const [n, i, j] = [Math.floor(k / 12), Math.floor(k / 4) % 3, k % 4];
    const line = axis === 2 ? [0, 1, 2, 3].map((t) => x[at(n, i, t)]) : [0, 1, 2].map((t) => x[at(n, t, j)]);
    const top = Math.max(...line);
    return Math.exp(x[k] - top) / line.reduce((s, v) => s + Math.exp(v - top), 0);
  });
}

/** Layer normalisation of a [2, 3, 4] array over `axes` (of 1, 2), with gamma/beta laid over those axes. */
function layerNormOf(x: number[], axes: number[], gamma: number[], beta: number[], epsilon: number): number[] {
  const coords = (k: number) => [Math.floor(k / 12), Math.floor(k / 4) % 3, k % 4];
  const paramIndex = (c: number[]) => (axes.length === 2 ? c[1] * 4 + c[2] : axes[0] === 1 ? c[1] : c[2]);
  // the group of an element: its coordinates on the axes not normalised over
  const group = (c: number[]) =>
    [0, 1, 2]
      .filter((a) => a === 0 || !axes.includes(a))
      .map((a) => c[a])
      .join(',');
  const members = new Map<string, number[]>();
  x.forEach((v, k) => {
    const g = group(coords(k));
    members.set(g, [...(members.get(g) ?? []), v]);
  });
  return x.map((v, k) => {
    const c = coords(k);
    const vs = members.get(group(c))!;
    const mu = vs.reduce((s, t) => s + t, 0) / vs.length;
    const variance = vs.reduce((s, t) => s + (t - mu) ** 2, 0) / vs.length;
    return ((v - mu) / Math.sqrt(variance + epsilon)) * gamma[paramIndex(c)] + beta[paramIndex(c)];
  });
}

for (const name of BACKENDS) {
  describe(`activation layers and layerNormalization forward on ${name}`, () => {
    const run = <T>(fn: () => T) => withBackend(backendOf(name), fn);

    it("relu, leakyReLU and elu follow Keras's formulas with their options", async () => {
      // values around the thresholds and the cap, and normal draws
      const x = [...values(30, 50), -1, -0.5, 0, 0.25, 0.3, 0.5, 0.8, 1.2, 1.5, 2];
      for (const [what, make, formula] of elementwise) {
        const out = await run(() => make().apply(tensor(x, [4, 10]))).data();
        expectClose(out, x.map(formula), { rtol: 1e-6, atol: 1e-7 }, what);
      }
    });

    it('softmax over the last axis and over axis 1', async () => {
      const x = values(24, 51);
      const last = await run(() => softmax().apply(tensor(x, [2, 3, 4]))).data();
      expectClose(last, softmaxOver(x, 2), { rtol: 1e-5, atol: 1e-7 }, 'axis -1');
      const middle = await run(() => softmax({ axis: 1 }).apply(tensor(x, [2, 3, 4]))).data();
      expectClose(middle, softmaxOver(x, 1), { rtol: 1e-5, atol: 1e-7 }, 'axis 1');
    });

    it('layerNormalization over the last axis, over axes [1, 2] and over axis 1, with learned gamma and beta', async () => {
      const x = values(24, 52);
      for (const axes of [[2], [1, 2], [1]]) {
        const layer = layerNormalization({ axis: axes.length === 1 && axes[0] === 2 ? -1 : axes, epsilon: 1e-3 });
        const size = axes.length === 2 ? 12 : axes[0] === 1 ? 3 : 4;
        const [gamma, beta] = [values(size, 53), values(size, 54)];
        const out = await run(() => {
          const xt = tensor(x, [2, 3, 4]);
          layer.apply(xt);
          layer.weights[0].assign(tensor(gamma, layer.weights[0].shape));
          layer.weights[1].assign(tensor(beta, layer.weights[1].shape));
          return layer.apply(xt);
        }).data();
        expect(layer.weights.map((w) => w.shape)).to.deep.equal(
          axes.length === 2
            ? [
                [3, 4],
                [3, 4],
              ]
            : [[size], [size]],
        );
        expectClose(out, layerNormOf(x, axes, gamma, beta, 1e-3), { rtol: 1e-4, atol: 1e-5 }, `axes ${axes}`);
      }
      const plain = layerNormalization({ center: false, scale: false });
      const out = await run(() => plain.apply(tensor(x, [2, 3, 4]))).data();
      expect(plain.weights).to.have.length(0);
      const ones = [1, 1, 1, 1];
      expectClose(out, layerNormOf(x, [2], ones, [0, 0, 0, 0], 1e-3), { rtol: 1e-4, atol: 1e-5 }, 'no gamma, beta');
    });
  });
}

describe('activation layers and layerNormalization: gradients, models, errors', () => {
  useBackend('webgpu');

  it('pass checkGradients', async () => {
    const x = withBackend(cpu(), () => tensor(values(2 * 3 * 4, 60), [2, 3, 4]));
    const layers: [string, Layer][] = [
      ...elementwise.map(([what, make]): [string, Layer] => [what, make()]),
      ['softmax', softmax()],
      ['softmax axis 1', softmax({ axis: 1 })],
      ['layerNormalization', layerNormalization()],
      ['layerNormalization axes [1, 2]', layerNormalization({ axis: [1, 2] })],
    ];
    for (const [what, layer] of layers) {
      await checkGradients((t: Tensor) => layer.apply(t), [x], { rtol: 1e-4, atol: 1e-6 }).catch((error: Error) => {
        throw new Error(`${what}: ${error.message}`);
      });
    }
  });

  it('a functional model through each of them fits a step and round-trips through save/load', async () => {
    await fitsAndRoundTrips(() => {
      const x0 = input({ shape: [3, 4] });
      const normed = layerNormalization({ axis: [1, 2], epsilon: 1e-5 }).apply(x0);
      const h = dense({ units: 6 }).apply(flatten().apply(normed));
      const acts = elu({ alpha: 0.7 }).apply(
        leakyReLU({ negativeSlope: 0.1 }).apply(relu({ maxValue: 2, negativeSlope: 0.05 }).apply(h)),
      );
      const out = softmax().apply(dense({ units: 3 }).apply(layerNormalization().apply(acts)));
      return {
        net: model({ inputs: x0, outputs: out, seed: 2 }),
        x: tensor(values(6 * 12, 61), [6, 3, 4]),
        y: tensor(values(6 * 3, 62).map(Math.abs), [6, 3]),
      };
    });
  });

  it('a softmax layer after a linear dense evaluates a cross-entropy as a softmax dense does (the fused path)', async () => {
    const x0 = input({ shape: [4] });
    const split = model({ inputs: x0, outputs: softmax().apply(dense({ units: 3 }).apply(x0)) });
    const x1 = input({ shape: [4] });
    const fused = model({ inputs: x1, outputs: dense({ units: 3, activation: 'softmax' }).apply(x1) });
    fused.setWeights(split.weights);
    const x = tensor(
      values(6 * 4, 70).map((v) => 3 * v),
      [6, 4],
    );
    const labels = tensor([0, 2, 1, 1, 0, 2], [6], 'int32');
    const losses = [];
    for (const net of [split, fused]) {
      net.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
      losses.push((await net.evaluate(x, labels)).loss);
    }
    // by hand from the predictions: mean of −log p[label]
    const p = await split.predict(x).data();
    const expected = [0, 2, 1, 1, 0, 2].reduce((s, label, n) => s - Math.log(p[n * 3 + label]), 0) / 6;
    expectClose(losses, [expected, expected], { rtol: 1e-5 }, 'cross-entropy');
  });

  it('refuse bad options and inputs, by name', () => {
    const flat = input({ shape: [5], name: 'flat' });
    expect(errorOf(() => softmax({ axis: 2, name: 'sm' }).apply(flat))).to.equal(
      "layer 'sm' (Softmax) applied to 'flat' [5]: softmax: axis 2 is not an axis of a rank-2 input other than " +
        'the batch axis (expected 1..1 or -1..-1)',
    );
    expect(errorOf(() => layerNormalization({ axis: [1, 2], name: 'ln' }).apply(flat))).to.equal(
      "layer 'ln' (LayerNormalization) applied to 'flat' [5]: layerNormalization: axis [1,2] does not name " +
        'distinct axes of an input of shape [5] other than the batch axis',
    );
    const real = withBackend(cpu(), () => tensor([1, 2, 3], [3, 1]));
    expect(errorOf(() => softmax({ axis: 2, name: 'sm2' }).apply(real))).to.equal(
      "layer 'sm2' (Softmax): softmax: axis 2 is not an axis of a rank-2 input other than the batch axis " +
        '(expected 1..1 or -1..-1)',
    );
    expect(errorOf(() => layerNormalization({ axis: 1, name: 'ln2' }).apply(real))).to.equal('no error');
    expect(errorOf(() => layerNormalization({ axis: 2, name: 'ln3' }).apply(real))).to.equal(
      "layer 'ln3' (LayerNormalization): layerNormalization: axis 2 does not name distinct axes " +
        'of an input of shape [1] other than the batch axis',
    );
    expect(errorOf(() => relu({ maxValue: -1 }))).to.equal('relu: maxValue must be a finite number >= 0, got -1');
    expect(errorOf(() => relu({ threshold: -0.5 }))).to.equal('relu: threshold must be a finite number >= 0, got -0.5');
    expect(errorOf(() => leakyReLU({ negativeSlope: -0.1 }))).to.equal(
      'leakyReLU: negativeSlope must be a finite number >= 0, got -0.1',
    );
    expect(errorOf(() => softmax({ axis: 0 }))).to.equal(
      'softmax: axis must be a non-zero integer (0 is the batch axis), got 0',
    );
    expect(errorOf(() => layerNormalization({ epsilon: 0 }))).to.equal(
      'layerNormalization: epsilon must be a positive number, got 0',
    );
  });
});
