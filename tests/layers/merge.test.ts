// The merge layers: forward on the CPU reference and WebGPU against hand computations (broadcasting
// and rank lifting as Keras 3 does them, concatenation on inner axes, batched dots with and without
// normalisation), gradients by checkGradients, a two-input functional model using all of them that
// fits and round-trips through save/load, and the errors for inputs they cannot take, symbolic or real.
import { expect } from 'chai';
import { checkGradients, tensor, withBackend, type Tensor } from '@webgrad/core';
import {
  add,
  average,
  concatenate,
  dense,
  dot,
  input,
  maximum,
  minimum,
  model,
  multiply,
  subtract,
  type ListLayer,
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

const elementwise: [string, () => ListLayer, (vs: number[]) => number, number][] = [
  ['add', () => add(), (vs) => vs.reduce((a, b) => a + b), 3],
  ['subtract', () => subtract(), ([a, b]) => a - b, 2],
  ['multiply', () => multiply(), (vs) => vs.reduce((a, b) => a * b), 3],
  ['average', () => average(), (vs) => vs.reduce((a, b) => a + b) / vs.length, 3],
  ['maximum', () => maximum(), (vs) => Math.max(...vs), 3],
  ['minimum', () => minimum(), (vs) => Math.min(...vs), 3],
];

for (const name of BACKENDS) {
  describe(`merge layers forward on ${name}`, () => {
    const run = <T>(fn: () => T) => withBackend(backendOf(name), fn);

    it('add, subtract, multiply, average, maximum, minimum compute their elementwise formula', async () => {
      for (const [what, make, formula, count] of elementwise) {
        const inputs = Array.from({ length: count }, (_, k) => values(3 * 5, 20 + k));
        const out = await run(() => make().apply(inputs.map((v) => tensor(v, [3, 5])))).data();
        const expected = inputs[0].map((_, i) => formula(inputs.map((v) => v[i])));
        expectClose(out, expected, { rtol: 1e-6, atol: 1e-6 }, what);
      }
    });

    it('broadcasts a size-1 axis and lifts a lower-rank input with size-1 axes after the batch axis, as Keras 3', async () => {
      const a = values(2 * 3 * 4, 1),
        b = values(2 * 4, 2),
        c = values(2 * 3, 3);
      // (None, 3, 4) + (None, 4) + (None, 3, 1): b repeats over axis 1, c over axis 2
      const out = await run(() => add().apply([tensor(a, [2, 3, 4]), tensor(b, [2, 4]), tensor(c, [2, 3, 1])])).data();
      const expected = a.map((v, k) => {
        const [n, i, j] = [Math.floor(k / 12), Math.floor(k / 4) % 3, k % 4];
        return v + b[n * 4 + j] + c[n * 3 + i];
      });
      expectClose(out, expected, { rtol: 1e-6, atol: 1e-6 }, 'broadcast add');
    });

    it('concatenate joins along the last axis and along axis 1', async () => {
      const a = values(2 * 3 * 2, 4),
        b = values(2 * 3 * 1, 5),
        c = values(2 * 1 * 2, 6);
      const last = await run(() => concatenate().apply([tensor(a, [2, 3, 2]), tensor(b, [2, 3, 1])])).data();
      expect(Array.from(last)).to.deep.equal(
        Array.from({ length: 18 }, (_, k) => {
          const [row, j] = [Math.floor(k / 3), k % 3];
          return j < 2 ? a[row * 2 + j] : b[row];
        }),
      );
      const rows = await run(() => concatenate({ axis: 1 }).apply([tensor(a, [2, 3, 2]), tensor(c, [2, 1, 2])])).data();
      expect(Array.from(rows)).to.deep.equal([...a.slice(0, 6), ...c.slice(0, 2), ...a.slice(6), ...c.slice(2)]);
    });

    it('dot: per-sample inner products, a batched matrix product over axes [2, 1], cosine similarity with normalize', async () => {
      const x = values(3 * 4, 7),
        y = values(3 * 4, 8);
      const inner = await run(() => dot({ axes: 1 }).apply([tensor(x, [3, 4]), tensor(y, [3, 4])])).data();
      const sums = [0, 1, 2].map((n) => [0, 1, 2, 3].reduce((s, j) => s + x[n * 4 + j] * y[n * 4 + j], 0));
      expectClose(inner, sums, { rtol: 1e-5, atol: 1e-6 }, 'inner');
      const norm = (v: number[], n: number) => Math.hypot(...v.slice(n * 4, n * 4 + 4));
      const cosine = await run(() =>
        dot({ axes: -1, normalize: true }).apply([tensor(x, [3, 4]), tensor(y, [3, 4])]),
      ).data();
      expectClose(
        cosine,
        sums.map((s, n) => s / (norm(x, n) * norm(y, n))),
        { rtol: 1e-5, atol: 1e-6 },
        'cosine',
      );
      // (None, 2, 3)·(None, 3, 2) over axes [2, 1]: a 2×2 matrix product per sample
      const m = values(2 * 2 * 3, 9),
        p = values(2 * 3 * 2, 10);
      const product = await run(() => dot({ axes: [2, 1] }).apply([tensor(m, [2, 2, 3]), tensor(p, [2, 3, 2])])).data();
      const expected = Array.from({ length: 8 }, (_, k) => {
        const [n, i, j] = [Math.floor(k / 4), Math.floor(k / 2) % 2, k % 2];
        return [0, 1, 2].reduce((s, t) => s + m[n * 6 + i * 3 + t] * p[n * 6 + t * 2 + j], 0);
      });
      expectClose(product, expected, { rtol: 1e-5, atol: 1e-6 }, 'matrix product');
    });
  });
}

describe('merge layers: gradients, models, errors', () => {
  useBackend('webgpu');

  it('every merge layer passes checkGradients', async () => {
    const [a, b, c] = withBackend(cpu(), () => [1, 2, 3].map((s) => tensor(values(2 * 3 * 4, 30 + s), [2, 3, 4])));
    for (const [what, make, , count] of elementwise) {
      const layer = make();
      const inputs = [a, b, c].slice(0, count);
      await checkGradients((...xs: Tensor[]) => layer.apply(xs), inputs).catch((error: Error) => {
        throw new Error(`${what}: ${error.message}`);
      });
    }
    const layers = [concatenate({ axis: 2 }), dot({ axes: 2 }), dot({ axes: [1, 1], normalize: true })];
    for (const layer of layers) await checkGradients((x: Tensor, y: Tensor) => layer.apply([x, y]), [a, b]);
  });

  it('a two-input functional model through every merge layer fits a step and round-trips through save/load', async () => {
    await fitsAndRoundTrips(() => {
      const left = input({ shape: [4], name: 'left' });
      const right = input({ shape: [4], name: 'right' });
      const [l, r] = [dense({ units: 3, activation: 'tanh' }).apply(left), dense({ units: 3 }).apply(right)];
      const merged = concatenate().apply([
        add().apply([l, r]),
        subtract().apply([l, r]),
        multiply().apply([l, r]),
        average().apply([l, r]),
        maximum().apply([l, r]),
        minimum().apply([l, r]),
        dot({ axes: 1, normalize: true }).apply([l, r]),
      ]);
      expect(merged.shape).to.deep.equal([null, 19]);
      return {
        net: model({ inputs: [left, right], outputs: dense({ units: 2 }).apply(merged), seed: 4 }),
        x: [tensor(values(8 * 4, 40), [8, 4]), tensor(values(8 * 4, 41), [8, 4])],
        y: tensor(values(8 * 2, 42), [8, 2]),
      };
    });
  });

  it('refuses inputs that cannot merge, naming the layer and the shapes, symbolic or real', () => {
    const a = input({ shape: [32], name: 'a32' });
    const b = input({ shape: [16], name: 'b16' });
    const c = input({ shape: [3, 16], name: 'c' });
    expect(errorOf(() => add({ name: 'sum' }).apply([a, b]))).to.equal(
      "layer 'sum' (Add) applied to 'a32' [32], 'b16' [16]: Add needs inputs of one shape (or shapes that " +
        'broadcast), got (None, 32) and (None, 16); axis 1 differs (32 vs 16)',
    );
    const real = withBackend(cpu(), () => [tensor(values(64, 1), [2, 32]), tensor(values(32, 2), [2, 16])]);
    expect(errorOf(() => multiply({ name: 'product' }).apply(real))).to.equal(
      "layer 'product' (Multiply): Multiply needs inputs of one shape (or shapes that broadcast), got " +
        '(None, 32) and (None, 16); axis 1 differs (32 vs 16)',
    );
    expect(errorOf(() => subtract({ name: 'diff' }).apply([b, b, b]))).to.equal(
      "layer 'diff' (Subtract) applied to 'b16' [16], 'b16' [16], 'b16' [16]: Subtract takes exactly 2 inputs, " +
        'got 3: (None, 16) and (None, 16) and (None, 16)',
    );
    expect(errorOf(() => concatenate({ name: 'cat' }).apply([a, c]))).to.equal(
      "layer 'cat' (Concatenate) applied to 'a32' [32], 'c' [3,16]: Concatenate needs inputs of one rank, " +
        'got (None, 32) and (None, 3, 16)',
    );
    expect(errorOf(() => concatenate({ name: 'cat1', axis: 1 }).apply([a, b]))).to.equal(
      'no error',
      'joining (None, 32) and (None, 16) along axis 1 is fine',
    );
    const d = input({ shape: [4, 16], name: 'd' });
    expect(errorOf(() => concatenate({ name: 'cat2' }).apply([c, d]))).to.equal(
      "layer 'cat2' (Concatenate) applied to 'c' [3,16], 'd' [4,16]: Concatenate along axis -1 needs inputs that " +
        'agree on every other axis, got (None, 3, 16) and (None, 4, 16)',
    );
    expect(errorOf(() => concatenate({ name: 'cat3', axis: 3 }).apply([c, d]))).to.equal(
      "layer 'cat3' (Concatenate) applied to 'c' [3,16], 'd' [4,16]: Concatenate: axis 3 is not an axis of " +
        '(None, 3, 16) and (None, 4, 16) other than the batch axis (expected 1..2 or -2..-1)',
    );
    expect(errorOf(() => dot({ name: 'dp', axes: 1 }).apply([a, b]))).to.equal(
      "layer 'dp' (Dot) applied to 'a32' [32], 'b16' [16]: Dot over axes [1, 1] needs those axes of equal size, " +
        'got (None, 32) and (None, 16) (32 vs 16)',
    );
    expect(errorOf(() => add({ name: 'lone' }).apply(a as never))).to.equal(
      "layer 'lone' (Add) takes a list of tensors, got one tensor",
    );
    expect(errorOf(() => concatenate({ axis: 0 }))).to.equal(
      'concatenate: axis must be a non-zero integer (0 is the batch axis), got 0',
    );
    expect(errorOf(() => dot({ axes: [1, 0] }))).to.equal(
      'dot: axes must be a non-zero integer or a pair of them (0 is the batch axis), got [1,0]',
    );
  });
});
