// The elementwise family: every unary and binary op and where, GPU against the CPU reference with
// gradients checked numerically (specs/elementwise.ts); values and tie rules by hand on both backends.
import { expect } from 'chai';
import {
  elu,
  equal,
  gelu,
  grad,
  greater,
  isFinite,
  leakyRelu,
  less,
  maximum,
  minimum,
  pow,
  relu,
  selu,
  softplus,
  sqrt,
  tensor,
  where,
  withBackend,
  type Tensor,
} from '@webgrad/core';
import { backendOf, BACKENDS, expectClose } from '../helpers.js';
import { describeSpecPart } from '../kernel-spec.js';
import { elementwiseSpecs } from './specs/elementwise.js';

describeSpecPart('elementwise: GPU against the CPU reference, gradients checked numerically', elementwiseSpecs);

for (const name of BACKENDS) {
  describe(`elementwise values by hand on ${name}`, () => {
    const run = <T>(fn: () => T) => withBackend(backendOf(name), fn);
    const at = async (f: (x: ReturnType<typeof tensor>) => ReturnType<typeof tensor>, x: number[]) =>
      Array.from(await f(run(() => tensor(x))).data());

    it('selu, gelu, leakyRelu, elu and softplus at known points', async () => {
      const selu1 = 1.0507009873554805 * 1.6732632423543772 * (Math.exp(-1) - 1);
      expectClose(await at(selu, [-1, 2]), [selu1, 2 * 1.0507009873554805], { rtol: 1e-6 });
      expectClose(await at(gelu, [1, -1, 0]), [0.8413447460685429, -0.15865525393145707, 0], {
        rtol: 1e-6,
        atol: 1e-7,
      });
      expectClose(await at((x) => leakyRelu(x, 0.2), [-2, 3]), [-0.4, 3], { rtol: 1e-7 });
      expectClose(await at((x) => elu(x, 1), [-1, 3]), [Math.exp(-1) - 1, 3], { rtol: 1e-6 });
      const s = await at(softplus, [-100, 100, 0]);
      expect(s.every(Number.isFinite)).to.equal(true);
      expectClose(s, [0, 100, Math.log(2)], { rtol: 1e-7, atol: 1e-30 });
    });

    it('comparisons give 1/0 masks and where picks by them', async () => {
      const a = run(() => tensor([1, 2, 3])),
        b = run(() => tensor([3, 2, 1]));
      expect(await at((x) => greater(x, 2), [1, 2, 3])).to.deep.equal([0, 0, 1]);
      expect(Array.from(await equal(a, b).data())).to.deep.equal([0, 1, 0]);
      expect(
        Array.from(
          await where(
            run(() => tensor([1, 0, -1], [3], 'int32')),
            a,
            b,
          ).data(),
        ),
      ).to.deep.equal([1, 2, 3]);
      expect(Array.from(await where(less(a, b), a, 0).data())).to.deep.equal([1, 0, 0]);
    });

    it("relu's gradient is 0 at exactly 0, as at negative inputs", async () => {
      const x = run(() => tensor([-1, 0, -0, 2]));
      expect(Array.from(await grad(relu)(x)[0].data())).to.deep.equal([0, 0, 0, 1]);
    });

    it('isFinite is 0 exactly for NaN and ±∞, 1 for zeros, subnormals and large finite values', async () => {
      // 1e-40 is a float32 subnormal (zero exponent bits), 3e38 is near the largest finite float32
      const flags = await at(isFinite, [0, -0, 1e-40, -2.5, 3e38, Infinity, -Infinity, NaN]);
      expect(flags).to.deep.equal([1, 1, 1, 1, 1, 0, 0, 0]);
    });

    it('where treats a float condition of −0 as false, like +0', async () => {
      const a = run(() => tensor([1, 2, 3, 4]));
      const b = run(() => tensor([-1, -2, -3, -4]));
      const condition = run(() => tensor(Float32Array.from([-0, 0, 0.5, -2]), [4]));
      expect(Array.from(await where(condition, a, b).data())).to.deep.equal([-1, -2, 3, 4]);
    });

    it("maximum and minimum send a tie's gradient to a, the rest to the larger (smaller) input", async () => {
      const a = run(() => tensor([1, 2, 3, -1])),
        b = run(() => tensor([1, 1, 4, -1]));
      const gradsOf = async (f: (x: Tensor, y: Tensor) => Tensor) =>
        Promise.all(grad(f)(a, b).map(async (g) => Array.from(await g.data())));
      expect(await gradsOf(maximum)).to.deep.equal([
        [1, 1, 0, 1],
        [0, 0, 1, 0],
      ]);
      expect(await gradsOf(minimum)).to.deep.equal([
        [1, 0, 1, 1],
        [0, 1, 0, 0],
      ]);
    });

    it('float-only ops reject int32 input', () => {
      const ints = run(() => tensor([1, 2], [2], 'int32'));
      expect(() => sqrt(ints)).to.throw(
        /sqrt: expected float32 input, got int32 \(shape \[2\]\); this op is float-only/,
      );
      expect(() => pow(ints, 2)).to.throw(/pow: expected float32 input, got int32/);
    });
  });
}
