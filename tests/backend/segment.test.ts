// The segment family: segment sum/mean/max/min/softmax, scatterAdd, gatherNd, scatterNd and the CSR
// sparse matmul against the CPU reference with their gradients (specs/segment.ts), by hand on both
// backends, bit-identical GPU results run to run with one segment holding half the rows, and the
// clear errors for bad ids, indices, row pointers and shapes.
import { expect } from 'chai';
import {
  add,
  gather,
  gatherNd,
  grad,
  mul,
  scatterAdd,
  scatterNd,
  segmentMax,
  segmentMean,
  segmentMin,
  segmentSoftmax,
  segmentSum,
  sparseMatmul,
  sum,
  tensor,
  tidy,
  uniformValues,
  withBackend,
  type Tensor,
} from '@webgrad/core';
import { backendOf, BACKENDS, cpu, expectClose, gpu } from '../helpers.js';
import { describeSpecPart } from '../kernel-spec.js';
import { segmentSpecs } from './specs/segment.js';

describeSpecPart('segment: GPU against the CPU reference, gradients checked numerically', segmentSpecs);

/** The message of the error `run` throws, at once (CPU) or at the readback (GPU). */
async function errorOf(run: () => Tensor): Promise<string> {
  try {
    await run().data();
  } catch (error) {
    return (error as Error).message;
  }
  return 'no error';
}

for (const name of BACKENDS) {
  describe(`segment ops by hand on ${name}`, () => {
    const run = <T>(fn: () => T) => withBackend(backendOf(name), fn);
    const ints = (values: number[], shape = [values.length]) => run(() => tensor(values, shape, 'int32'));
    // rows 0..3, ids 2, 0, 2, 0: segment 1 is empty
    const x = () =>
      run(() =>
        tensor([
          [1, -2],
          [3, 4],
          [5, 6],
          [-7, 8],
        ]),
      );
    const ids = () => ints([2, 0, 2, 0]);

    it('sums, averages, takes maxima and minima per segment (0 for an empty one)', async () => {
      expect(await segmentSum(x(), ids(), 3).array()).to.deep.equal([
        [-4, 12],
        [0, 0],
        [6, 4],
      ]);
      expect(await segmentMean(x(), ids(), 3).array()).to.deep.equal([
        [-2, 6],
        [0, 0],
        [3, 2],
      ]);
      expect(await segmentMax(x(), ids(), 3).array()).to.deep.equal([
        [3, 8],
        [0, 0],
        [5, 6],
      ]);
      expect(await segmentMin(x(), ids(), 3).array()).to.deep.equal([
        [-7, 4],
        [0, 0],
        [1, -2],
      ]);
    });

    it('takes sorted ids without sorting them, with the same results', async () => {
      const sortedIds = ints([0, 0, 2, 2]);
      const out = await segmentSum(x(), sortedIds, 4, { sorted: true }).array();
      expect(out).to.deep.equal([
        [4, 2],
        [0, 0],
        [-2, 14],
        [0, 0],
      ]);
      expect(await segmentSum(x(), sortedIds, 4).array()).to.deep.equal(out);
    });

    it('gives the same bits for sorted ids whether or not they are declared sorted', async () => {
      const rows = 1000;
      const data = run(() => tensor(uniformValues(rows * 3, 4, -1, 1), [rows, 3]));
      const sortedIds = ints(Array.from({ length: rows }, (_, i) => Math.floor((i * i) / 27000)));
      for (const op of [segmentSum, segmentMean, segmentMax, segmentMin, segmentSoftmax]) {
        const declared = await op(data, sortedIds, 40, { sorted: true }).data();
        expect(Array.from(await op(data, sortedIds, 40).data()), op.name).to.deep.equal(Array.from(declared));
      }
    });

    it('softmaxes each column over the rows of a segment', async () => {
      const out = await segmentSoftmax(x(), ids(), 3).data();
      // segment 0 holds rows 1 and 3: column 0 is softmax(3, −7), column 1 softmax(4, 8)
      const pair = (a: number, b: number) => [
        Math.exp(a) / (Math.exp(a) + Math.exp(b)),
        Math.exp(b) / (Math.exp(a) + Math.exp(b)),
      ];
      const [c0r1, c0r3] = pair(3, -7),
        [c1r1, c1r3] = pair(4, 8),
        [c0r0, c0r2] = pair(1, 5),
        [c1r0, c1r2] = pair(-2, 6);
      expectClose(out, [c0r0, c1r0, c0r1, c1r1, c0r2, c1r2, c0r3, c1r3], { rtol: 1e-6, atol: 1e-7 }, 'segmentSoftmax');
    });

    it('sends the max gradient to the winners, split evenly on ties', async () => {
      const tied = run(() => tensor([[2], [2], [1]]));
      const [g] = grad((t) => segmentMax(t, ints([0, 0, 0]), 1))(tied);
      expect(Array.from(await g.data())).to.deep.equal([0.5, 0.5, 0]);
    });

    it('scatter-adds rows at repeated indices; gatherNd and scatterNd address leading axes', async () => {
      const target = run(() =>
        tensor([
          [1, 1],
          [2, 2],
          [3, 3],
        ]),
      );
      const updates = run(() =>
        tensor([
          [10, 20],
          [30, 40],
          [50, 60],
        ]),
      );
      expect(await scatterAdd(target, ints([2, 0, 2]), updates).array()).to.deep.equal([
        [31, 41],
        [2, 2],
        [63, 83],
      ]);
      expect(await gatherNd(x(), ints([3, 1, 0, 0], [2, 2])).array()).to.deep.equal([8, 1]);
      expect(await gatherNd(x(), ints([3, 0], [2, 1])).array()).to.deep.equal([
        [-7, 8],
        [1, -2],
      ]);
      const scattered = scatterNd(
        ints([1, 0, 1, 0, 0, 1], [3, 2]),
        run(() => tensor([5, 6, 7])),
        [2, 2],
      );
      expect(await scattered.array()).to.deep.equal([
        [0, 7],
        [11, 0],
      ]);
    });

    it('multiplies a CSR matrix by a dense one, with gradients for values and dense', async () => {
      // [[1, 0, 2], [0, 0, 0], [0, 3, 0]] × [[1, 2], [3, 4], [5, 6]]
      const rowPtr = ints([0, 2, 2, 3]),
        colIdx = ints([0, 2, 1]);
      const values = run(() => tensor([1, 2, 3]));
      const dense = run(() =>
        tensor([
          [1, 2],
          [3, 4],
          [5, 6],
        ]),
      );
      expect(await sparseMatmul({ rowPtr, colIdx, values }, dense).array()).to.deep.equal([
        [11, 14],
        [0, 0],
        [9, 12],
      ]);
      const [dValues, dDense] = grad((v, d) => sparseMatmul({ rowPtr, colIdx, values: v }, d))(values, dense);
      // d/dvalues[p] = Σ_k dense[col p, k]; d/ddense[c] = Σ of the values in column c
      expect(Array.from(await dValues.data())).to.deep.equal([3, 11, 7]);
      expect(await dDense.array()).to.deep.equal([
        [1, 1],
        [3, 3],
        [2, 2],
      ]);
    });

    it('names the op and the bad value for out-of-range ids, indices and columns', async () => {
      expect(await errorOf(() => segmentSum(x(), ints([0, 3, 1, -1]), 3))).to.match(
        /^segmentSum: 2 segment ids out of range \[0, 3\), the first at position 1/,
      );
      expect(await errorOf(() => segmentSoftmax(x(), ints([0, 1, 1, 9]), 3))).to.match(
        /^segmentSoftmax: 1 segment id out of range \[0, 3\), the first at position 3/,
      );
      expect(await errorOf(() => segmentMean(x(), ints([0, 1, 0, 1]), 2, { sorted: true }))).to.match(
        /^segmentMean: segment ids are not sorted \(sorted: true\)/,
      );
      const target = run(() => tensor([[1], [2]]));
      expect(
        await errorOf(() =>
          scatterAdd(
            target,
            ints([0, 2]),
            run(() => tensor([[1], [1]])),
          ),
        ),
      ).to.match(/^scatterAdd: 1 segment id out of range \[0, 2\), the first at position 1/);
      expect(await errorOf(() => gatherNd(x(), ints([0, 1, 4, 0], [2, 2])))).to.match(/^gatherNd: .*out of range/);
      expect(
        await errorOf(() =>
          scatterNd(
            ints([0, 5], [1, 2]),
            run(() => tensor([1])),
            [2, 2],
          ),
        ),
      ).to.match(/^scatterNd: .*out of range/);
      const csr = { rowPtr: ints([0, 1, 2]), colIdx: ints([0, 7]), values: run(() => tensor([1, 1])) };
      expect(await errorOf(() => sparseMatmul(csr, x()))).to.match(
        /^sparseMatmul: 1 column index out of range \[0, 4\), the first at position 1/,
      );
    });
  });
}

describe('segment ops on the GPU: no buffer left behind', () => {
  it('releases the sort and layout buffers of every op, forward and backward', async () => {
    const ids = withBackend(gpu(), () => tensor([3, 1, 3, 0, 2, 2, 0], [7], 'int32'));
    const x = withBackend(gpu(), () => tensor(uniformValues(21, 2, -1, 1), [7, 3]));
    const step = () =>
      withBackend(gpu(), () =>
        tidy(() => {
          const f = (t: Tensor) =>
            sum(
              add(
                segmentSoftmax(t, ids, 4),
                gather(add(segmentMax(t, ids, 4), scatterAdd(segmentMean(t, ids, 4), ids, t)), ids),
              ),
            );
          return grad(f)(x)[0];
        }),
      );
    const warm = step();
    await warm.data();
    warm.dispose();
    const before = gpu().memory!().buffers;
    for (let i = 0; i < 3; i++) {
      const g = step();
      await g.data();
      g.dispose();
    }
    expect(gpu().memory!().buffers).to.equal(before);
  });
});

describe('segment ops: clear errors for bad shapes and dtypes', () => {
  const x = tensor([[1], [2]]);
  it('names the op, the shapes and what was expected', () => {
    expect(() => segmentSum(x, tensor([0, 1, 1], [3], 'int32'), 2)).to.throw(
      'segmentSum: segment ids of shape [3] must be 1-D with one id per row of data (shape [2,1]), i.e. [2]',
    );
    expect(() => segmentSum(x, tensor([0, 1]), 2)).to.throw('segmentSum: segment ids must be int32, got float32');
    expect(() => segmentMax(x, tensor([0, 1], [2], 'int32'), 0)).to.throw(
      'segmentMax: numSegments must be a positive integer, got 0',
    );
    expect(() => scatterAdd(x, tensor([0], [1], 'int32'), tensor([[1, 2]]))).to.throw(
      'scatterAdd: updates of shape [1,2] must be indices.shape + target.shape[1:] = [1,1]',
    );
    expect(() => gatherNd(x, tensor([0, 0, 0], [1, 3], 'int32'))).to.throw(
      'gatherNd: the last axis of indices (shape [1,3]) must address 1 to 2 axes of x (shape [2,1])',
    );
    const csr = {
      rowPtr: tensor([0, 2, 1], [3], 'int32'),
      colIdx: tensor([0, 1], [2], 'int32'),
      values: tensor([1, 1]),
    };
    expect(() => sparseMatmul(csr, x)).to.throw(
      'sparseMatmul: rowPtr must rise from 0 to nnz = 2 without decreasing; got rowPtr[0] = 0, rowPtr[2] = 1',
    );
  });
});

describe('segment ops on the GPU: bit-identical results run to run under heavy contention', () => {
  // 40,000 rows, half of them in segment 0 and the rest spread over 999 others, unsorted
  const rows = 40000,
    width = 8,
    segments = 1000;
  const idValues = Array.from(uniformValues(rows, 5, 0, 1), (u, i) =>
    i % 2 === 0 ? 0 : 1 + Math.floor(u * (segments - 1)),
  );
  const dataValues = uniformValues(rows * width, 6, -1, 1);

  const bitsOf = async (t: Tensor) => new Uint32Array(new Float32Array(await t.data()).buffer);
  async function tenRuns(make: () => Tensor): Promise<Uint32Array> {
    const first = await bitsOf(make());
    for (let run = 1; run < 10; run++) expect(await bitsOf(make())).to.deep.equal(first, `run ${run}`);
    return first;
  }

  it('segmentSum, scatterAdd and sparseMatmul agree with themselves bit for bit and with the CPU', async () => {
    const onBoth = (fn: () => Tensor) => [withBackend(gpu(), fn), withBackend(cpu(), fn)] as const;
    const data = () => tensor(dataValues, [rows, width]);
    const ids = () => tensor(idValues, [rows], 'int32');
    const target = () => tensor(uniformValues(segments * width, 7, -1, 1), [segments, width]);
    // the transpose of the segment matrix as CSR: row s lists the rows of segment s in order
    const order = idValues.map((s, i) => [s, i]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    const rowPtr = Array.from({ length: segments + 1 }, (_, s) => order.findIndex(([id]) => id >= s)).map((p) =>
      p < 0 ? rows : p,
    );
    const csr = () => ({
      rowPtr: tensor(rowPtr, [segments + 1], 'int32'),
      colIdx: tensor(
        order.map(([, i]) => i),
        [rows],
        'int32',
      ),
      values: tensor(uniformValues(rows, 8, 0, 1), [rows]),
    });
    const cases: [string, () => Tensor][] = [
      ['segmentSum', () => segmentSum(data(), ids(), segments)],
      ['scatterAdd', () => scatterAdd(target(), ids(), data())],
      ['sparseMatmul', () => sparseMatmul(csr(), data())],
      ['gather backward', () => grad((t) => sum(mul(gather(t, ids(), 0), data())))(target())[0]],
    ];
    for (const [what, make] of cases) {
      const bits = await tenRuns(() => withBackend(gpu(), make));
      const [, reference] = onBoth(make);
      expectClose(new Float32Array(bits.buffer), await reference.data(), { rtol: 1e-4, atol: 1e-4 }, what);
    }
  });
});
