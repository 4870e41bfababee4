// The matmul family: matmul and fusedMatmul on the GPU against the CPU reference, gradients checked
// numerically, every flag combination of fusedMatmul's gradient rule included (specs/matmul.ts); batch
// broadcasting by hand on both backends (the op's shared code expands batches before either kernel
// runs, so only a hand computation can see it go wrong).
import { expect } from 'chai';
import { fusedMatmul, matmul, tensor, withBackend, zeros, type Tensor } from '@webgrad/core';
import { backendOf, BACKENDS, expectClose } from '../helpers.js';
import { describeSpecPart } from '../kernel-spec.js';
import { matmulSpecs } from './specs/matmul.js';

describeSpecPart('matmul: GPU against the CPU reference, gradients checked numerically', matmulSpecs);

/** Row-major [rows, cols] blocks of a flat array, for the hand products below. */
const block = (values: readonly number[], at: number, rows: number, cols: number): number[][] =>
  Array.from({ length: rows }, (_, r) => values.slice(at + r * cols, at + (r + 1) * cols));

const product = (a: number[][], b: number[][]): number[] =>
  a.flatMap((row) => b[0].map((_, j) => row.reduce((total, v, k) => total + v * b[k][j], 0)));

for (const name of BACKENDS) {
  describe(`matmul batch broadcasting and errors by hand on ${name}`, () => {
    const run = <T>(fn: () => T) => withBackend(backendOf(name), fn);
    const ramp = (n: number, scale: number) => Array.from({ length: n }, (_, i) => (i - n / 2) * scale);

    const cases: {
      name: string;
      a: number[];
      b: number[];
      batch: number[];
      aOf: (i: number, j: number) => number;
      bOf: (i: number, j: number) => number;
    }[] = [
      // [2,1] against [1,3]: each side broadcast along the other's axis
      { name: '[2,1,2,3] · [1,3,3,2]', a: [2, 1], b: [1, 3], batch: [2, 3], aOf: (i) => i, bOf: (_, j) => j },
      // [3] against [2,3]: a leading axis added to b's batch
      { name: '[2,3,2,3] · [3,3,2]', a: [2, 3], b: [3], batch: [2, 3], aOf: (i, j) => i * 3 + j, bOf: (_, j) => j },
      // one matrix against a batch of 4
      { name: '[1,2,3] · [4,3,2]', a: [1], b: [4], batch: [4], aOf: () => 0, bOf: (_, j) => j },
    ];

    it('names the shapes of operands that cannot be multiplied', () => {
      const z = (shape: number[]) => run(() => zeros(shape));
      expect(() => matmul(z([3]), z([3, 2]))).to.throw('matmul: inputs must have rank >= 2, got shapes [3] and [3,2]');
      expect(() => matmul(z([2, 3]), z([3]))).to.throw('matmul: inputs must have rank >= 2, got shapes [2,3] and [3]');
      expect(() => matmul(z([2, 3]), z([2, 4]))).to.throw(
        'matmul: inner dimensions differ: [2,3] · [2,4] multiplies 2×3 by 2×4; expected equal inner sizes (3 vs 2)',
      );
      expect(() => matmul(z([2, 3]), z([2, 4]), true, true)).to.throw(
        'matmul: inner dimensions differ: [2,3]ᵀ · [2,4]ᵀ multiplies 3×2 by 4×2; expected equal inner sizes (2 vs 4)',
      );
      expect(() => matmul(z([2, 2, 3]), z([3, 3, 4]))).to.throw(
        'matmul (batch axes): shapes [2] and [3] cannot be broadcast together',
      );
      expect(() => fusedMatmul({ a: z([2, 3]), b: z([3, 4]), bias: z([3]) })).to.throw(
        'fusedMatmul: bias of shape [3] does not fit the result [2,4]; expected [4]',
      );
      expect(() => fusedMatmul({ a: z([2, 3]), b: z([3, 4]), bias: z([1, 4]) })).to.throw(
        'fusedMatmul: bias of shape [1,4] does not fit the result [2,4]; expected [4]',
      );
      const intBias = run(() => tensor([1, 2, 3, 4], [4], 'int32'));
      expect(() => fusedMatmul({ a: z([2, 3]), b: z([3, 4]), bias: intBias })).to.throw(
        'fusedMatmul: expected float32 input, got int32 (shape [4]); this op is float-only',
      );
    });

    for (const c of cases) {
      it(`${c.name}: every batch element multiplies its broadcast operands`, async () => {
        const [m, k, n] = [2, 3, 2];
        const aValues = ramp(c.a.reduce((p, d) => p * d, 1) * m * k, 0.5);
        const bValues = ramp(c.b.reduce((p, d) => p * d, 1) * k * n, 0.25);
        const a: Tensor = run(() => tensor(aValues, [...c.a, m, k]));
        const b: Tensor = run(() => tensor(bValues, [...c.b, k, n]));
        const y = matmul(a, b);
        expect(y.shape).to.deep.equal([...c.batch, m, n]);
        const expected: number[] = [];
        const [outer, inner] = c.batch.length === 2 ? c.batch : [1, c.batch[0]];
        for (let i = 0; i < outer; i++) {
          for (let j = 0; j < inner; j++) {
            expected.push(
              ...product(block(aValues, c.aOf(i, j) * m * k, m, k), block(bValues, c.bOf(i, j) * k * n, k, n)),
            );
          }
        }
        expectClose(await y.data(), expected, { rtol: 1e-6, atol: 1e-6 });
      });
    }
  });
}
