// Reductions beyond sum/mean, softmax and the losses: GPU against the CPU reference, gradients
// checked numerically; stability at extreme logits against float64 hand computations; clear errors.
import { expect } from 'chai';
import {
  argmax, globalNorm, huber, logSoftmax, max, meanAbsoluteError, meanSquaredError, min, sigmoid, sigmoidBinaryCrossEntropy, softmax,
  softmaxCrossEntropy, tensor, valueAndGrad, withBackend, type Shape, type Tensor,
} from '@webgrad/core';
import { backendOf, BACKENDS, expectClose, randomValues } from '../helpers.js';
import { describeSpecs, type Spec } from '../kernel-spec.js';

const rows: Shape[][] = [[[1, 1]], [[3, 7]], [[5, 10]], [[2, 1031]]];
/** Fixed probability rows (a softmax of seeded normals), made on the logits' backend: data, not a parameter. */
const probabilitiesLike = (z: Tensor) => {
  const [n, c] = z.shape, values = randomValues(n * c, 'any', 5);
  const p = Array.from(values, (_, i) => Math.exp(values[i]));
  for (let r = 0; r < n; r++) {
    const total = p.slice(r * c, (r + 1) * c).reduce((a, b) => a + b, 0);
    for (let k = 0; k < c; k++) p[r * c + k] /= total;
  }
  return withBackend(z.backend, () => tensor(p, [n, c]));
};

const specs: Spec[] = [
  { name: 'max (all axes)', fn: (x) => max(x), cases: [[[7]], [[3, 5, 7]]], domains: ['any'], large: [[[1024, 1031]]] },
  { name: 'max axis 1 keepDims', fn: (x) => max(x, 1, true), cases: [[[3, 5]], [[2, 1031]]], domains: ['any'] },
  { name: 'min axes [0, 2]', fn: (x) => min(x, [0, 2]), cases: [[[3, 5, 7]], [[1, 1, 1]]], domains: ['any'] },
  { name: 'argmax axis -1', fn: (x) => argmax(x), cases: [[[3, 7]], [[5, 1031]], [[1, 1]], [[67, 40]], [[130, 10]]], domains: ['any'], nonDifferentiable: true, large: [[[1024, 1031]]] },
  { name: 'argmax axis 0', fn: (x) => argmax(x, 0), cases: [[[7, 3]], [[131, 5]]], domains: ['any'], nonDifferentiable: true },
  { name: 'globalNorm of two tensors', fn: (a, b) => globalNorm([a, b]), cases: [[[3, 5], [7]], [[1031], [1]]], domains: ['any', 'any'] },
  { name: 'softmax', fn: softmax, cases: rows, domains: ['any'], large: [[[1024, 1031]]] },
  { name: 'logSoftmax', fn: logSoftmax, cases: [...rows, [[2, 3, 5]]], domains: ['any'] },
  { name: 'softmaxCrossEntropy (int32 labels)', fn: softmaxCrossEntropy, cases: [[[3, 7], [3]], [[5, 10], [5]], [[2, 1031], [2]], [[4, 1], [4]]], domains: ['any', 'any'], integerInputs: { 1: 1 }, large: [[[1024, 10], [1024]]] },
  { name: 'softmaxCrossEntropy (int32 labels, 10 classes)', fn: softmaxCrossEntropy, cases: [[[6, 10], [6]], [[67, 10], [67]], [[130, 10], [130]]], domains: ['any', 'any'], integerInputs: { 1: 10 } },
  { name: 'softmaxCrossEntropy (probabilities)', fn: (z) => softmaxCrossEntropy(z, probabilitiesLike(z)), cases: rows, domains: ['any'] },
  { name: 'softmaxCrossEntropy (soft labels, differentiated)', fn: (z, q) => softmaxCrossEntropy(z, softmax(q)), cases: [[[3, 7], [3, 7]], [[2, 10], [2, 10]], [[37, 100], [37, 100]]], domains: ['any', 'any'] },
  { name: 'sigmoidBinaryCrossEntropy', fn: (x, z) => sigmoidBinaryCrossEntropy(x, sigmoid(z)), cases: [[[1], [1]], [[7, 13], [7, 13]], [[1031], [1031]]], domains: ['any', 'any'] },
  { name: 'meanSquaredError', fn: meanSquaredError, cases: [[[3, 5], [3, 5]], [[1, 1], [1, 1]], [[7], [7]]], domains: ['any', 'any'] },
  { name: 'meanAbsoluteError', fn: meanAbsoluteError, cases: [[[3, 5], [3, 5]], [[7], [7]]], domains: ['any', 'any'] },
  { name: 'huber (δ = 1)', fn: (a, b) => huber(a, b), cases: [[[3, 5], [3, 5]], [[2, 131], [2, 131]]], domains: ['any', 'any'] },
];

describeSpecs('reductions, softmax and losses: GPU against the CPU reference, gradients checked numerically', specs);

for (const name of BACKENDS) {
  describe(`losses at extreme inputs and their errors on ${name}`, () => {
    const run = <T>(fn: () => T) => withBackend(backendOf(name), fn);

    it('softmaxCrossEntropy stays finite for logits of ±1e4, loss and gradient', async () => {
      const z = run(() => tensor([[1e4, -1e4, 0], [-1e4, -1e4, -1e4], [1e4, 1e4, -1e4]]));
      const labels = run(() => tensor([1, 2, 0], [3], 'int32'));
      const loss = await softmaxCrossEntropy(z, labels).data();
      // by hand: row 0 = 1e4 − (−1e4); row 1: three equal logits, log 3; row 2: log 2
      expectClose(loss, [2e4, Math.log(3), Math.log(2)], { rtol: 1e-6 });
      const { grads } = valueAndGrad((z: Tensor) => softmaxCrossEntropy(z, labels))(z);
      const g = await grads[0].data();
      expect(Array.from(g).every(Number.isFinite)).to.equal(true);
      expectClose(g, [1, -1, 0, 1 / 3, 1 / 3, -2 / 3, -0.5, 0.5, 0], { rtol: 1e-6, atol: 1e-6 });
    });

    it('a zero probability never makes 0·log 0 = NaN', async () => {
      const z = run(() => tensor([[0, -1e4], [0, -1e4]]));
      const p = run(() => tensor([[1, 0], [0, 1]]));
      expectClose(await softmaxCrossEntropy(z, p).data(), [0, 1e4], { rtol: 1e-6, atol: 1e-6 });
      const bce = await sigmoidBinaryCrossEntropy(run(() => tensor([1e4, -1e4, 1e4])), run(() => tensor([1, 0, 0]))).data();
      expectClose(bce, [0, 0, 1e4], { rtol: 1e-6, atol: 1e-6 });
    });

    it('names the op and the shapes for bad labels', async () => {
      const z = run(() => tensor([[1, 2, 3], [4, 5, 6]]));
      expect(() => softmaxCrossEntropy(z, run(() => tensor([0, 1, 2], [3], 'int32'))))
        .to.throw(/softmaxCrossEntropy: labels of shape \[3\] \(int32\) do not match logits \[2,3\]; expected \[2\] int32 class indices or \[2,3\] float32 probabilities/);
      expect(() => softmaxCrossEntropy(run(() => tensor([1, 2, 3])), run(() => tensor([0], [1], 'int32'))))
        .to.throw(/softmaxCrossEntropy: logits must be \[batch, classes\], got shape \[3\]/);
      expect(() => softmaxCrossEntropy(run(() => tensor([[1, 2]], [1, 2], 'int32')), run(() => tensor([0], [1], 'int32'))))
        .to.throw(/softmaxCrossEntropy: expected float32 input, got int32/);
      expect(() => meanSquaredError(z, run(() => tensor([1, 2, 3])))).to.throw(/meanSquaredError: yTrue of shape \[2,3\] does not match yPred \[3\]/);
      // a class index out of range: at once on the CPU, at the next read on the GPU
      let error: unknown;
      try {
        await softmaxCrossEntropy(z, run(() => tensor([0, 3], [2], 'int32'))).data();
      } catch (e) { error = e; }
      expect(String(error)).to.match(/softmaxCrossEntropy: (label 3 in row 1 is out of range \[0, 3\)|1 label out of range \[0, 3\), the first in row 1)/);
      // and the backend is usable afterwards
      const lse = (row: number[]) => Math.log(row.reduce((s, v) => s + Math.exp(v), 0));
      expectClose(await softmaxCrossEntropy(z, run(() => tensor([0, 2], [2], 'int32'))).data(), [lse([1, 2, 3]) - 1, lse([4, 5, 6]) - 6], { rtol: 1e-5 });
    });
  });
}
