// The rest of the elementwise family: unary math and activations, pow, maximum/minimum, comparisons
// and where — GPU against the CPU reference, gradients checked numerically, a few values by hand.
import { expect } from 'chai';
import {
  abs, elu, equal, gelu, greater, greaterEqual, leakyRelu, less, lessEqual, maximum, minimum, pow, reciprocal, rsqrt,
  selu, softplus, sqrt, square, tensor, where, withBackend, type Shape,
} from '@webgrad/core';
import { backendOf, BACKENDS, expectClose } from '../helpers.js';
import { describeSpecs, type Spec } from '../kernel-spec.js';

const unaryCases: Shape[][] = [[[1]], [[7, 13]], [[1031]]];
const binaryCases: Shape[][] = [[[7, 13], [13]], [[3, 1, 5], [1, 4, 1]], [[1031], [1031]]];
const large: Shape[][] = [[[1024, 1031]]];

const specs: Spec[] = [
  { name: 'abs', fn: abs, cases: unaryCases, domains: ['nonzero'], large },
  { name: 'sqrt', fn: sqrt, cases: unaryCases, domains: ['positive'], large },
  { name: 'rsqrt', fn: rsqrt, cases: unaryCases, domains: ['positive'] },
  { name: 'square', fn: square, cases: unaryCases, domains: ['any'] },
  { name: 'reciprocal', fn: reciprocal, cases: unaryCases, domains: ['nonzero'] },
  { name: 'leakyRelu (α = 0.2)', fn: (x) => leakyRelu(x), cases: unaryCases, domains: ['nonzero'], large },
  { name: 'leakyRelu (α = 0.01)', fn: (x) => leakyRelu(x, 0.01), cases: unaryCases, domains: ['nonzero'] },
  { name: 'elu (α = 1)', fn: (x) => elu(x), cases: unaryCases, domains: ['any'] },
  { name: 'elu (α = 0.5)', fn: (x) => elu(x, 0.5), cases: unaryCases, domains: ['nonzero'] },
  { name: 'selu', fn: selu, cases: unaryCases, domains: ['nonzero'] },
  { name: 'softplus', fn: softplus, cases: unaryCases, domains: ['any'], large },
  { name: 'gelu', fn: gelu, cases: unaryCases, domains: ['any'], large, tolerance: { rtol: 2e-5, atol: 2e-6 } },
  { name: 'pow', fn: pow, cases: binaryCases, domains: ['positive', 'any'], tolerance: { rtol: 1e-4, atol: 1e-5 } },
  { name: 'maximum', fn: maximum, cases: binaryCases, domains: ['any', 'any'], large: [[[1024, 1031], [1031]]] },
  { name: 'minimum', fn: minimum, cases: binaryCases, domains: ['any', 'any'] },
  ...([['greater', greater], ['less', less], ['equal', equal], ['greaterEqual', greaterEqual], ['lessEqual', lessEqual]] as const)
    .map(([name, fn]): Spec => ({ name, fn, cases: binaryCases, domains: ['any', 'any'], nonDifferentiable: true })),
  {
    name: 'where (broadcast condition)', fn: (c, a, b) => where(greater(c, 0), a, b), domains: ['any', 'any', 'any'],
    cases: [[[7, 1], [7, 13], [13]], [[5], [3, 5], [3, 1]], [[1031], [1031], [1031]]],
  },
];

describeSpecs('elementwise: GPU against the CPU reference, gradients checked numerically', specs);

for (const name of BACKENDS) {
  describe(`elementwise values by hand on ${name}`, () => {
    const run = <T>(fn: () => T) => withBackend(backendOf(name), fn);
    const at = async (f: (x: ReturnType<typeof tensor>) => ReturnType<typeof tensor>, x: number[]) => Array.from(await f(run(() => tensor(x))).data());

    it('selu, gelu, leakyRelu, elu and softplus at known points', async () => {
      const selu1 = 1.0507009873554805 * 1.6732632423543772 * (Math.exp(-1) - 1);
      expectClose(await at(selu, [-1, 2]), [selu1, 2 * 1.0507009873554805], { rtol: 1e-6 });
      expectClose(await at(gelu, [1, -1, 0]), [0.8413447460685429, -0.15865525393145707, 0], { rtol: 1e-6, atol: 1e-7 });
      expectClose(await at((x) => leakyRelu(x, 0.2), [-2, 3]), [-0.4, 3], { rtol: 1e-7 });
      expectClose(await at((x) => elu(x, 1), [-1, 3]), [Math.exp(-1) - 1, 3], { rtol: 1e-6 });
      const s = await at(softplus, [-100, 100, 0]);
      expect(s.every(Number.isFinite)).to.equal(true);
      expectClose(s, [0, 100, Math.log(2)], { rtol: 1e-7, atol: 1e-30 });
    });

    it('comparisons give 1/0 masks and where picks by them', async () => {
      const a = run(() => tensor([1, 2, 3])), b = run(() => tensor([3, 2, 1]));
      expect(await at((x) => greater(x, 2), [1, 2, 3])).to.deep.equal([0, 0, 1]);
      expect(Array.from(await equal(a, b).data())).to.deep.equal([0, 1, 0]);
      expect(Array.from(await where(run(() => tensor([1, 0, -1], [3], 'int32')), a, b).data())).to.deep.equal([1, 2, 3]);
      expect(Array.from(await where(less(a, b), a, 0).data())).to.deep.equal([1, 0, 0]);
    });

    it('float-only ops reject int32 input', () => {
      const ints = run(() => tensor([1, 2], [2], 'int32'));
      expect(() => sqrt(ints)).to.throw(/sqrt: expected float32 input, got int32 \(shape \[2\]\); this op is float-only/);
      expect(() => pow(ints, 2)).to.throw(/pow: expected float32 input, got int32/);
    });
  });
}
