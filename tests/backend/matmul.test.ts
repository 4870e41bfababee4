// The matmul family: matmul and fusedMatmul on the GPU against the CPU reference, gradients checked
// numerically, every flag combination of fusedMatmul's gradient rule included (specs/matmul.ts); batch
// broadcasting by hand on both backends (the op's shared code expands batches before either kernel
// runs, so only a hand computation can see it go wrong).
import { expect } from 'chai';
import { matmul, tensor, withBackend, type Tensor } from '@webgrad/core';
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
  describe(`matmul batch broadcasting by hand on ${name}`, () => {
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
