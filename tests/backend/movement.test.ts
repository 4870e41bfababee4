// The movement family: transpose, slice, pad, concat, gather, oneHot, cast, reshape and broadcastTo
// against the CPU reference with their gradients (specs/movement.ts), and by hand; their clear errors.
import { expect } from 'chai';
import {
  add,
  broadcastTo,
  cast,
  concat,
  gather,
  oneHot,
  pad,
  reshape,
  slice,
  tensor,
  transpose,
  withBackend,
  type Shape,
} from '@webgrad/core';
import { backendOf, BACKENDS } from '../helpers.js';
import { describeSpecPart } from '../kernel-spec.js';
import { movementSpecs } from './specs/movement.js';

describeSpecPart('movement: GPU against the CPU reference, gradients checked numerically', movementSpecs);

for (const name of BACKENDS) {
  describe(`movement by hand on ${name}`, () => {
    const run = <T>(fn: () => T) => withBackend(backendOf(name), fn);
    const m = () =>
      run(() =>
        tensor([
          [1, 2, 3],
          [4, 5, 6],
        ]),
      );

    it('transposes, slices, pads and concatenates', async () => {
      expect(await transpose(m()).array()).to.deep.equal([
        [1, 4],
        [2, 5],
        [3, 6],
      ]);
      expect(await slice(m(), [0, 1], [2, 2]).array()).to.deep.equal([
        [2, 3],
        [5, 6],
      ]);
      expect(
        await pad(
          run(() => tensor([[7]])),
          [
            [1, 0],
            [0, 1],
          ],
        ).array(),
      ).to.deep.equal([
        [0, 0],
        [7, 0],
      ]);
      expect(await concat([m(), run(() => tensor([[9], [9]]))], 1).array()).to.deep.equal([
        [1, 2, 3, 9],
        [4, 5, 6, 9],
      ]);
    });

    it('slices one run of memory (a buffer copy on the GPU) in order with the kernels around it', async () => {
      // two such slices back to back, then kernels reading them, all in one batch of work: each
      // copy must run after the kernel that wrote its source and before the ones that read it
      const x = run(() => tensor([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], [3, 4]));
      const doubled = run(() => add(x, x));
      const rows = slice(doubled, [1, 0], [2, 4]);
      const row = slice(doubled, [0, 0], [1, 4]);
      const sum = run(() => add(rows, concat([row, row], 0)));
      expect(await sum.array()).to.deep.equal([
        [8, 12, 16, 20],
        [16, 20, 24, 28],
      ]);
      expect(
        await slice(
          run(() => reshape(doubled, [12])),
          [5],
          [3],
        ).array(),
      ).to.deep.equal([10, 12, 14]);
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
      expect(await gather(transpose(m()), idx).array()).to.deep.equal([
        [3, 6],
        [1, 4],
        [3, 6],
      ]);
      expect(
        await oneHot(
          run(() => tensor([1, 3, -1], [3], 'int32')),
          3,
        ).array(),
      ).to.deep.equal([
        [0, 1, 0],
        [0, 0, 0],
        [0, 0, 0],
      ]);
      const t = cast(
        run(() => tensor([1.7, -1.7, 2.5, -0.2])),
        'int32',
      );
      expect(t.dtype).to.equal('int32');
      expect(Array.from(await t.data())).to.deep.equal([1, -1, 2, 0]);
    });

    it('reports gather indices equal to the axis size (one past the end) as out of range', async () => {
      // the GPU finds bad indices inside the kernel and reports them at the next readback, the CPU at once
      const gatherError = async (indices: number[], axis: number) => {
        try {
          const idx = run(() => tensor(indices, [indices.length], 'int32'));
          await gather(m(), idx, axis).data();
        } catch (error) {
          return (error as Error).message;
        }
        return 'no error';
      };
      expect(await gatherError([1, 2, 0, 2], 0)).to.match(
        /^gather: 2 indices out of range \[0, 2\), the first at position 1 of the indices/,
      );
      expect(await gatherError([0, 3], 1)).to.match(
        /^gather: 1 index out of range \[0, 3\), the first at position 1 of the indices/,
      );
      // reported once: the last in-range index of each axis reads its row or column
      const lastRow = run(() => tensor([1], [1], 'int32'));
      expect(await gather(m(), lastRow, 0).array()).to.deep.equal([[4, 5, 6]]);
    });

    it('reshape infers one −1 axis; slice runs a size of −1 (or a missing one) to the end; pad and oneHot take fill values', async () => {
      const x = m();
      expect(reshape(x, [3, -1]).shape).to.deep.equal([3, 2]);
      expect(await reshape(x, [-1]).array()).to.deep.equal([1, 2, 3, 4, 5, 6]);
      expect(await slice(x, [0, 1], [-1, -1]).array()).to.deep.equal([
        [2, 3],
        [5, 6],
      ]);
      expect(await slice(x, [1]).array()).to.deep.equal([[4, 5, 6]]);
      expect(
        await pad(
          x,
          [
            [0, 1],
            [1, 0],
          ],
          -1,
        ).array(),
      ).to.deep.equal([
        [-1, 1, 2, 3],
        [-1, 4, 5, 6],
        [-1, -1, -1, -1],
      ]);
      const idx = run(() => tensor([0, 2], [2], 'int32'));
      expect(await oneHot(idx, 3, 5, -2).array()).to.deep.equal([
        [5, -2, -2],
        [-2, -2, 5],
      ]);
      expect(
        reshape(
          run(() => tensor(new Float32Array(0), [0, 3])),
          [0, -1],
        ).shape,
      ).to.deep.equal([0, 0]);
      expect(slice(x, [1, 1], [1, 0]).shape).to.deep.equal([1, 0]);
      expect(await oneHot(idx, 1).array()).to.deep.equal([[1], [0]]);
      const cube = run(() => tensor([1, 2, 3, 4, 5, 6, 7, 8], [2, 2, 2]));
      expect(await transpose(cube, [0, 2, 1]).array()).to.deep.equal([
        [
          [1, 3],
          [2, 4],
        ],
        [
          [5, 7],
          [6, 8],
        ],
      ]);
      expect(await concat([x, x], -1).array()).to.deep.equal([
        [1, 2, 3, 1, 2, 3],
        [4, 5, 6, 4, 5, 6],
      ]);
    });

    it('returns the input itself where nothing moves (reshape to its shape, identity perm, whole slice, same dtype, one tensor)', () => {
      const x = m();
      expect(reshape(x, [2, 3])).to.equal(x);
      expect(reshape(x, [2, -1])).to.equal(x);
      expect(transpose(x, [0, 1])).to.equal(x);
      expect(slice(x, [0, 0], [2, 3])).to.equal(x);
      expect(broadcastTo(x, [2, 3])).to.equal(x);
      expect(cast(x, 'float32')).to.equal(x);
      expect(concat([x], 1)).to.equal(x);
    });

    it('reports bad reshape, broadcastTo, slice, pad, concat, oneHot and cast arguments by exact message', () => {
      const x = m();
      expect(() => reshape(x, [-1, -1])).to.throw('reshape: at most one axis may be -1, got [-1,-1]');
      expect(() => reshape(x, [-1, 4])).to.throw('reshape: cannot reshape shape [2,3] (6 elements) to [-1,4]');
      expect(() => reshape(x, [7])).to.throw('reshape: cannot reshape shape [2,3] (6 elements) to [7]');
      expect(() =>
        broadcastTo(
          run(() => tensor([1, 2], [2, 1])),
          [2],
        ),
      ).to.throw('broadcastTo: shape [2,1] cannot be broadcast to [2]');
      expect(() => slice(x, [0, 0, 0])).to.throw('slice: begin [0,0,0] and size [] do not fit inside shape [2,3]');
      expect(() => slice(x, [0, 0.5])).to.throw('slice: begin [0,0.5] and size [] do not fit inside shape [2,3]');
      expect(() => slice(x, [0, 0], [1, -2])).to.throw(
        'slice: begin [0,0] and size [1,-2] do not fit inside shape [2,3]',
      );
      expect(() => slice(x, [-1, 0], [1, 1])).to.throw(
        'slice: begin [-1,0] and size [1,1] do not fit inside shape [2,3]',
      );
      expect(() => slice(x, [0, 2], [1, 2])).to.throw(
        'slice: begin [0,2] and size [1,2] do not fit inside shape [2,3]',
      );
      expect(() =>
        pad(x, [
          [0, 0],
          [-1, 0],
        ]),
      ).to.throw('pad: expected 2 pairs of non-negative integers [before, after] for shape [2,3], got [[0,0],[-1,0]]');
      expect(() =>
        pad(x, [
          [0, 0],
          [0, 1.5],
        ]),
      ).to.throw('pad: expected 2 pairs of non-negative integers [before, after] for shape [2,3], got [[0,0],[0,1.5]]');
      expect(() => concat([])).to.throw('concat: needs at least one tensor');
      expect(() => concat([x, run(() => tensor([1, 2, 3, 4, 5, 6], [2, 3], 'int32'))])).to.throw(
        'concat: shapes [2,3] float32, [2,3] int32 cannot be joined along axis 0; expected one dtype and equal sizes on every other axis',
      );
      expect(() => concat([x, run(() => tensor([1, 2, 3], [3]))], 0)).to.throw(
        'concat: shapes [2,3] float32, [3] float32 cannot be joined along axis 0',
      );
      expect(() => oneHot(x, 3)).to.throw('oneHot: indices must be int32, got float32 (shape [2,3])');
      expect(() =>
        oneHot(
          run(() => tensor([1], [1], 'int32')),
          2.5,
        ),
      ).to.throw('oneHot: depth 2.5 must be a positive integer');
      expect(() => reshape(x, [2.5, -1])).to.throw('reshape: shape [2.5] must hold non-negative integers');
      expect(() => broadcastTo(x, [2, -3])).to.throw('broadcastTo: shape [2,-3] must hold non-negative integers');
      expect(() => transpose(x, [0])).to.throw('transpose: perm [0] is not a permutation of the 2 axes of shape [2,3]');
      expect(() => slice(x, [0, 0.5], [1, 1])).to.throw(
        'slice: begin [0,0.5] and size [1,1] do not fit inside shape [2,3]',
      );
      expect(() =>
        pad(x, [
          [0.5, 0],
          [0, 0],
        ]),
      ).to.throw('pad: expected 2 pairs of non-negative integers');
      expect(() => concat([x, x], 2)).to.throw('concat: axis 2 is out of range for a tensor of shape [2,3] (rank 2)');
      const idx = run(() => tensor([0], [1], 'int32'));
      expect(() => gather(x, idx, -3)).to.throw('gather: axis -3 is out of range for a tensor of shape [2,3] (rank 2)');
      expect(() => cast(x, 'float64' as never)).to.throw(
        "cast: unknown dtype 'float64'; expected 'float32' or 'int32'",
      );
    });

    it('reports bad arguments naming the op and shapes', () => {
      const x = m();
      const bad = (shape: Shape) => run(() => tensor(new Float32Array(shape.reduce((a, b) => a * b, 1)), shape));
      expect(() => transpose(x, [0, 0])).to.throw(
        /transpose: perm \[0,0\] is not a permutation of the 2 axes of shape \[2,3\]/,
      );
      expect(() => slice(x, [1, 2], [2, 1])).to.throw(
        /slice: begin \[1,2\] and size \[2,1\] do not fit inside shape \[2,3\]/,
      );
      expect(() => concat([x, bad([3, 3])], 1)).to.throw(
        /concat: shapes \[2,3\] float32, \[3,3\] float32 cannot be joined along axis 1/,
      );
      expect(() => gather(x, bad([2]))).to.throw(/gather: indices must be int32, got float32/);
      expect(() =>
        oneHot(
          run(() => tensor([1], [1], 'int32')),
          0,
        ),
      ).to.throw(/oneHot: depth 0 must be a positive integer/);
      expect(() => pad(x, [[1, 1]])).to.throw(/pad: expected 2 pairs of non-negative integers/);
    });
  });
}
