// Data movement kernels (transpose, slice, pad, concat, gather, oneHot, cast) against the CPU reference
// and hand computations, with their gradients; and their clear errors.
import { expect } from 'chai';
import { broadcastTo, cast, concat, gather, oneHot, pad, slice, tensor, transpose, withBackend, type Shape } from '@webgrad/core';
import { backendOf, BACKENDS } from '../helpers.js';
import { describeSpecs, type Spec } from '../kernel-spec.js';

const specs: Spec[] = [
  { name: 'transpose 2-D', fn: (x) => transpose(x), cases: [[[3, 5]], [[1, 7]], [[67, 131]]], domains: ['any'], large: [[[1031, 1024]]] },
  { name: 'transpose [2,0,1]', fn: (x) => transpose(x, [2, 0, 1]), cases: [[[2, 3, 5]], [[7, 1, 13]]], domains: ['any'] },
  { name: 'slice', fn: (x) => slice(x, [1, 2], [2, -1]), cases: [[[4, 7]], [[3, 131]]], domains: ['any'] },
  { name: 'slice 3-D', fn: (x) => slice(x, [0, 1, 3], [-1, 2, 4]), cases: [[[2, 3, 7]], [[5, 4, 9]]], domains: ['any'] },
  { name: 'pad', fn: (x) => pad(x, [[1, 0], [2, 3]], 0.5), cases: [[[2, 3]], [[1, 1]], [[13, 7]]], domains: ['any'] },
  { name: 'concat axis 0', fn: (a, b) => concat([a, b], 0), cases: [[[2, 3], [1, 3]], [[7, 5], [13, 5]]], domains: ['any', 'any'] },
  { name: 'concat axis 1 (three inputs)', fn: (a, b, c) => concat([a, b, c], 1), cases: [[[2, 3], [2, 1], [2, 2]], [[3, 7], [3, 13], [3, 1]]], domains: ['any', 'any', 'any'] },
  { name: 'gather axis 0', fn: (x, i) => gather(x, i, 0), cases: [[[5, 3], [4]], [[131, 7], [67]]], domains: ['any', 'any'], integerInputs: { 1: 5 } },
  { name: 'gather axis 1', fn: (x, i) => gather(x, i, 1), cases: [[[2, 5, 3], [2, 3]], [[3, 7, 2], [11]]], domains: ['any', 'any'], integerInputs: { 1: 5 } },
  { name: 'oneHot', fn: (i) => oneHot(i, 10), cases: [[[7]], [[3, 5]], [[1031]]], domains: ['any'], integerInputs: { 0: 10 }, nonDifferentiable: true },
  { name: 'cast float32 → int32', fn: (x) => cast(x, 'int32'), cases: [[[7]], [[1031]]], domains: ['any'], nonDifferentiable: true },
  { name: 'cast int32 → float32', fn: (x) => cast(x, 'float32'), cases: [[[7]], [[1031]]], domains: ['any'], integerInputs: { 0: 1000 }, nonDifferentiable: true },
];

describeSpecs('movement: GPU against the CPU reference, gradients checked numerically', specs);

for (const name of BACKENDS) {
  describe(`movement by hand on ${name}`, () => {
    const run = <T>(fn: () => T) => withBackend(backendOf(name), fn);
    const m = () => run(() => tensor([[1, 2, 3], [4, 5, 6]]));

    it('transposes, slices, pads and concatenates', async () => {
      expect(await transpose(m()).array()).to.deep.equal([[1, 4], [2, 5], [3, 6]]);
      expect(await slice(m(), [0, 1], [2, 2]).array()).to.deep.equal([[2, 3], [5, 6]]);
      expect(await pad(run(() => tensor([[7]])), [[1, 0], [0, 1]]).array()).to.deep.equal([[0, 0], [7, 0]]);
      expect(await concat([m(), run(() => tensor([[9], [9]]))], 1).array()).to.deep.equal([[1, 2, 3, 9], [4, 5, 6, 9]]);
    });

    it('broadcasts int32 values bit for bit (small integers are float32 denormals, which a float copy may flush)', async () => {
      const ints = run(() => tensor([1, 2, -3, 2147483647], [4, 1], 'int32'));
      const out = broadcastTo(ints, [2, 4, 3]);
      expect(out.dtype).to.equal('int32');
      const row = (v: number) => [v, v, v];
      expect(await out.array()).to.deep.equal([0, 1].map(() => [row(1), row(2), row(-3), row(2147483647)]));
    });

    it('gathers rows, makes one-hot rows and casts', async () => {
      const idx = run(() => tensor([2, 0, 2], [3], 'int32'));
      expect(await gather(transpose(m()), idx).array()).to.deep.equal([[3, 6], [1, 4], [3, 6]]);
      expect(await oneHot(run(() => tensor([1, 3, -1], [3], 'int32')), 3).array()).to.deep.equal([[0, 1, 0], [0, 0, 0], [0, 0, 0]]);
      const t = cast(run(() => tensor([1.7, -1.7, 2.5, -0.2])), 'int32');
      expect(t.dtype).to.equal('int32');
      expect(Array.from(await t.data())).to.deep.equal([1, -1, 2, 0]);
    });

    it('reports bad arguments naming the op and shapes', () => {
      const x = m();
      const bad = (shape: Shape) => run(() => tensor(new Float32Array(shape.reduce((a, b) => a * b, 1)), shape));
      expect(() => transpose(x, [0, 0])).to.throw(/transpose: perm \[0,0\] is not a permutation of the 2 axes of shape \[2,3\]/);
      expect(() => slice(x, [1, 2], [2, 1])).to.throw(/slice: begin \[1,2\] and size \[2,1\] do not fit inside shape \[2,3\]/);
      expect(() => concat([x, bad([3, 3])], 1)).to.throw(/concat: shapes \[2,3\] float32, \[3,3\] float32 cannot be joined along axis 1/);
      expect(() => gather(x, bad([2]))).to.throw(/gather: indices must be int32, got float32/);
      expect(() => oneHot(run(() => tensor([1], [1], 'int32')), 0)).to.throw(/oneHot: depth 0 must be a positive integer/);
      expect(() => pad(x, [[1, 1]])).to.throw(/pad: expected 2 pairs of non-negative integers/);
    });
  });
}
