// The softmax and loss family: softmax, logSoftmax, softmaxCrossEntropy (labels across the class range)
// and sigmoidBinaryCrossEntropy, and Keras's regression losses, GPU against the CPU reference with
// gradients checked numerically (specs/loss.ts); stability at extreme logits against float64 hand
// computations; clear errors. (max, min, argmax and globalNorm, which ran here before, are in
// specs/reduce.ts, run by reduce.test.ts.)
import { expect } from 'chai';
import {
  logSoftmax,
  meanSquaredError,
  sigmoidBinaryCrossEntropy,
  softmax,
  softmaxCrossEntropy,
  tensor,
  valueAndGrad,
  withBackend,
  type Tensor,
} from '@webgrad/core';
import { backendOf, BACKENDS, expectClose } from '../helpers.js';
import { describeSpecPart, describeSpecs } from '../kernel-spec.js';
import { compositeLossSpecs, lossSpecs } from './specs/loss.js';

describeSpecPart('softmax and losses: GPU against the CPU reference, gradients checked numerically', lossSpecs);
describeSpecs(
  'regression losses (composites): GPU against the CPU reference, gradients checked numerically',
  compositeLossSpecs,
);

for (const name of BACKENDS) {
  describe(`losses at extreme inputs and their errors on ${name}`, () => {
    const run = <T>(fn: () => T) => withBackend(backendOf(name), fn);

    it('softmaxCrossEntropy stays finite for logits of ±1e4, loss and gradient', async () => {
      const z = run(() =>
        tensor([
          [1e4, -1e4, 0],
          [-1e4, -1e4, -1e4],
          [1e4, 1e4, -1e4],
        ]),
      );
      const labels = run(() => tensor([1, 2, 0], [3], 'int32'));
      const loss = await softmaxCrossEntropy(z, labels).data();
      // by hand: row 0 = 1e4 − (−1e4); row 1: three equal logits, log 3; row 2: log 2
      expectClose(loss, [2e4, Math.log(3), Math.log(2)], { rtol: 1e-6 });
      const { grads } = valueAndGrad((z: Tensor) => softmaxCrossEntropy(z, labels))(z);
      const g = await grads[0].data();
      expect(Array.from(g).every(Number.isFinite)).to.equal(true);
      expectClose(g, [1, -1, 0, 1 / 3, 1 / 3, -2 / 3, -0.5, 0.5, 0], { rtol: 1e-6, atol: 1e-6 });
    });

    it('softmax and logSoftmax of logits near 1e4 equal those of the logits shifted to 0', async () => {
      // e^1e4 overflows float32: only a kernel that subtracts the row max first stays finite
      const z = run(() =>
        tensor([
          [1e4, 1e4 + 1, 1e4 - 2],
          [-1e4, -1e4 - 1, -1e4 + 3],
        ]),
      );
      const shifts = [
        [0, 1, -2],
        [0, -1, 3],
      ];
      const logSums = shifts.map((row) => Math.log(row.reduce((total, v) => total + Math.exp(v), 0)));
      const expectedLog = shifts.flatMap((row, r) => row.map((v) => v - logSums[r]));
      expectClose(await softmax(z).data(), expectedLog.map(Math.exp), { rtol: 1e-5, atol: 1e-7 });
      // m + log Σ rounds to float32's spacing near 1e4 (2⁻¹⁰) when a kernel adds them before subtracting
      expectClose(await logSoftmax(z).data(), expectedLog, { rtol: 0, atol: 2e-3 });
    });

    it('a zero probability never makes 0·log 0 = NaN', async () => {
      const z = run(() =>
        tensor([
          [0, -1e4],
          [0, -1e4],
        ]),
      );
      const p = run(() =>
        tensor([
          [1, 0],
          [0, 1],
        ]),
      );
      expectClose(await softmaxCrossEntropy(z, p).data(), [0, 1e4], { rtol: 1e-6, atol: 1e-6 });
      const bce = await sigmoidBinaryCrossEntropy(
        run(() => tensor([1e4, -1e4, 1e4])),
        run(() => tensor([1, 0, 0])),
      ).data();
      expectClose(bce, [0, 0, 1e4], { rtol: 1e-6, atol: 1e-6 });
    });

    it('names the op and the shapes for bad labels', async () => {
      const z = run(() =>
        tensor([
          [1, 2, 3],
          [4, 5, 6],
        ]),
      );
      expect(() =>
        softmaxCrossEntropy(
          z,
          run(() => tensor([0, 1, 2], [3], 'int32')),
        ),
      ).to.throw(
        /softmaxCrossEntropy: labels of shape \[3\] \(int32\) do not match logits \[2,3\]; expected \[2\] int32 class indices or \[2,3\] float32 probabilities/,
      );
      expect(() =>
        softmaxCrossEntropy(
          run(() => tensor([1, 2, 3])),
          run(() => tensor([0], [1], 'int32')),
        ),
      ).to.throw(/softmaxCrossEntropy: logits must be \[batch, classes\], got shape \[3\]/);
      expect(() =>
        softmaxCrossEntropy(
          run(() => tensor([[1, 2]], [1, 2], 'int32')),
          run(() => tensor([0], [1], 'int32')),
        ),
      ).to.throw(/softmaxCrossEntropy: expected float32 input, got int32/);
      expect(() =>
        meanSquaredError(
          z,
          run(() => tensor([1, 2, 3])),
        ),
      ).to.throw(/meanSquaredError: yTrue of shape \[2,3\] does not match yPred \[3\]/);
      // a class index out of range: at once on the CPU, at the next read on the GPU
      let error: unknown;
      try {
        await softmaxCrossEntropy(
          z,
          run(() => tensor([0, 3], [2], 'int32')),
        ).data();
      } catch (e) {
        error = e;
      }
      expect(String(error)).to.match(
        /softmaxCrossEntropy: (label 3 in row 1 is out of range \[0, 3\)|1 label out of range \[0, 3\), the first in row 1)/,
      );
      // and the backend is usable afterwards
      const lse = (row: number[]) => Math.log(row.reduce((s, v) => s + Math.exp(v), 0));
      expectClose(
        await softmaxCrossEntropy(
          z,
          run(() => tensor([0, 2], [2], 'int32')),
        ).data(),
        [lse([1, 2, 3]) - 1, lse([4, 5, 6]) - 6],
        { rtol: 1e-5 },
      );
    });
  });
}
