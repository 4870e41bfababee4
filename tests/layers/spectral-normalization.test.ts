// spectralNormalization against closed forms: a dense kernel built as U·diag(3, 1.5, 0.5)·Vᵀ from
// Givens rotations has largest singular value 3, so a training call with enough power iterations
// leaves W/3; with one iteration a call, repeated calls drive the kernel's largest singular value
// (from a float64 eigendecomposition of WᵀW) to 1. Inference leaves the kernel alone. On the CPU
// reference and on WebGPU.
import { expect } from 'chai';
import { tensor, withBackend, type Tensor } from '@webgrad/core';
import { dense, flatten, spectralNormalization, symmetricEigen } from '@webgrad/layers';
import { backendOf, BACKENDS, expectClose } from '../helpers.js';

/** A rows×cols orthonormal-column matrix: Givens rotations applied to the identity's first columns. */
function rotated(rows: number, cols: number, angles: [number, number, number][]): number[][] {
  let q: number[][] = Array.from({ length: rows }, (_, i) => Array.from({ length: rows }, (_, j) => (i === j ? 1 : 0)));
  for (const [p, r, angle] of angles) {
    q = q.map((row) => {
      const next = [...row];
      next[p] = Math.cos(angle) * row[p] - Math.sin(angle) * row[r];
      next[r] = Math.sin(angle) * row[p] + Math.cos(angle) * row[r];
      return next;
    });
  }
  return q.map((row) => row.slice(0, cols));
}

const S = [3, 1.5, 0.5];
const U = rotated(4, 3, [
  [0, 1, 0.7],
  [1, 3, -0.4],
  [0, 2, 1.2],
  [2, 3, 0.3],
]);
const V = rotated(3, 3, [
  [0, 2, 0.9],
  [1, 2, -1.1],
]);
/** W = U·diag(S)·Vᵀ, [4, 3]. */
const W = U.map((row) => V.map((vRow) => row.reduce((s, uk, k) => s + uk * S[k] * vRow[k], 0)));

/** The largest singular value of a [rows, cols] matrix in float64: √ of WᵀW's largest eigenvalue. */
function largestSingular(values: ArrayLike<number>, rows: number, cols: number): number {
  const gram = new Float64Array(cols * cols);
  for (let i = 0; i < cols; i++) {
    for (let j = 0; j < cols; j++) {
      for (let k = 0; k < rows; k++) gram[i * cols + j] += values[k * cols + i] * values[k * cols + j];
    }
  }
  return Math.sqrt(Math.max(...symmetricEigen(gram, cols).values));
}

for (const name of BACKENDS) {
  describe(`spectralNormalization on ${name}`, () => {
    const run = <T>(fn: () => T): T => withBackend(backendOf(name), fn);
    const wrapped = (powerIterations: number) =>
      run(() => {
        const layer = spectralNormalization({ layer: dense({ units: 3, useBias: false }), powerIterations });
        layer.build([4], 5);
        layer.weights[0].assign(tensor(W.flat(), [4, 3]));
        return layer;
      });
    const x = () => run(() => tensor([[0.5, -1, 2, 0.25]]));

    it('a training call with 30 power iterations divides the kernel by its largest singular value, 3', async () => {
      const layer = wrapped(30);
      const y = run(() => layer.apply(x(), { training: true }) as Tensor);
      expectClose(
        Array.from(await layer.weights[0].data()),
        W.flat().map((v) => v / 3),
        { rtol: 1e-4, atol: 1e-6 },
        'W/σ',
      );
      // and the output is the normalised layer's
      const expected = W[0].map((_, j) => [0.5, -1, 2, 0.25].reduce((s, xi, i) => s + (xi * W[i][j]) / 3, 0));
      expectClose(Array.from(await y.data()), expected, { rtol: 1e-4, atol: 1e-6 }, 'y');
    });

    it("one iteration a call: ten training calls bring the kernel's largest singular value to 1; inference changes nothing", async () => {
      const layer = wrapped(1);
      for (let call = 0; call < 10; call++) run(() => layer.apply(x(), { training: true }) as Tensor).dispose();
      const after = await layer.weights[0].data();
      expect(Math.abs(largestSingular(after, 4, 3) - 1)).to.be.lessThan(1e-3);
      run(() => layer.apply(x()) as Tensor).dispose();
      expect(Array.from(await layer.weights[0].data())).to.deep.equal(Array.from(after));
    });
  });
}

describe('spectralNormalization errors', () => {
  it('refuses a layer without a kernel, and a power-iteration count that is not a positive integer', () => {
    const layer = spectralNormalization({ layer: flatten() });
    expect(() => layer.build([2, 3], 1)).to.throw("spectralNormalization: layer 'flatten");
    expect(() => spectralNormalization({ layer: dense({ units: 2 }), powerIterations: 0 })).to.throw(
      'spectralNormalization: powerIterations must be a positive integer, got 0',
    );
  });
});
