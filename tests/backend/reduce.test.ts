// The reduction family: its specs (specs/reduce.ts) GPU against the CPU reference with gradients checked
// numerically; the tie rules by hand on both backends; and every path of the GPU reduction
// (packages/webgpu/src/ops/reduce.ts) against the CPU reference: the rows
// kernel for trailing axes — full reductions and row-wise ones, one pass (rows up to one chunk,
// REDUCE_CHUNK = 65536) and two (longer rows, up to 1M + 3 elements) — and the general strided kernel
// for other axes. Every op (sum, mean, max, min) at sizes around the workgroup's 64, its 4 loads a
// round (256) and the chunk;
// max and min also on all-negative and all-positive data, where a wrong identity would show. A mean's
// tolerance is its sum's divided by the count: a mean of a million normal values is near 1e-3, and an
// absolute bound of that size would accept any result near zero.
import { expect } from 'chai';
import {
  argmax,
  globalNorm,
  grad,
  max,
  mean,
  min,
  sum,
  summaryStats,
  tensor,
  withBackend,
  type Shape,
  type Tensor,
} from '@webgrad/core';
import { backendOf, BACKENDS, cpu, expectClose, gpu, on, randomValues, tensorOn, type Domain } from '../helpers.js';
import { describeSpecPart } from '../kernel-spec.js';
import { reduceSpecs } from './specs/reduce.js';

describeSpecPart('reductions: GPU against the CPU reference, gradients checked numerically', reduceSpecs);

for (const name of BACKENDS) {
  describe(`reductions by hand on ${name}: tie rules, default axes, errors`, () => {
    const run = <T>(fn: () => T) => withBackend(backendOf(name), fn);
    const gradOf = async (f: (x: Tensor) => Tensor, values: number[], shape: Shape) =>
      Array.from(await grad(f)(run(() => tensor(values, shape)))[0].data());

    it('max and min split the gradient equally among tied extrema', async () => {
      expectClose(await gradOf((x) => max(x), [1, 3, 3, 2], [4]), [0, 0.5, 0.5, 0], { rtol: 1e-7 });
      expectClose(await gradOf((x) => min(x, 1), [2, 2, 2, 5, 1, 1], [2, 3]), [1 / 3, 1 / 3, 1 / 3, 0, 0.5, 0.5], {
        rtol: 1e-6,
      });
    });

    it('default axes and keepDims: all axes dropped, argmax along the last; keepDims keeps size-1 axes', async () => {
      // x[i][j][k] = 100i + 10j + k·(−1)^j on [2, 2, 3]: rows alternate rising and falling
      const values = [0, 1, 2, 10, 9, 8, 100, 101, 102, 110, 109, 108];
      const x = run(() => tensor(values, [2, 2, 3]));
      const total = values.reduce((a, b) => a + b, 0);
      const shapeAndValues = async (t: Tensor) => ({ shape: t.shape, values: Array.from(await t.data()) });
      expect(await shapeAndValues(sum(x))).to.deep.equal({ shape: [], values: [total] });
      expect(await shapeAndValues(mean(x))).to.deep.equal({ shape: [], values: [total / 12] });
      expect(await shapeAndValues(max(x))).to.deep.equal({ shape: [], values: [110] });
      expect(await shapeAndValues(min(x))).to.deep.equal({ shape: [], values: [0] });
      expect(await shapeAndValues(argmax(x))).to.deep.equal({ shape: [2, 2], values: [2, 0, 2, 0] });
      expect(await shapeAndValues(sum(x, 1, true))).to.deep.equal({
        shape: [2, 1, 3],
        values: [10, 10, 10, 210, 210, 210],
      });
      expect(await shapeAndValues(mean(x, [0, 2], true))).to.deep.equal({ shape: [1, 2, 1], values: [51, 59] });
      expect(await shapeAndValues(max(x, -1, true))).to.deep.equal({ shape: [2, 2, 1], values: [2, 10, 102, 110] });
      expect(await shapeAndValues(min(x, 0, true))).to.deep.equal({
        shape: [1, 2, 3],
        values: [0, 1, 2, 10, 9, 8],
      });
      expect(await shapeAndValues(max(x, [0, 1]))).to.deep.equal({ shape: [3], values: [110, 109, 108] });
    });

    it('rejects an empty axis, an axis out of range and no tensors, naming the op and the shape', () => {
      const empty = run(() => tensor(new Float32Array(0), [2, 0]));
      expect(() => max(empty, 1)).to.throw('max: cannot reduce an empty axis of shape [2,0]');
      expect(() => min(empty)).to.throw('min: cannot reduce an empty axis of shape [2,0]');
      expect(() => argmax(empty)).to.throw('argmax: cannot reduce an empty axis of shape [2,0]');
      const x = run(() => tensor([1, 2, 3, 4], [2, 2]));
      const outOfRange = (op: string, axis: number) =>
        `${op}: axis ${axis} is out of range for a tensor of shape [2,2] (rank 2)`;
      expect(() => sum(x, 2)).to.throw(outOfRange('sum', 2));
      expect(() => mean(x, [0, -3])).to.throw(outOfRange('mean', -3));
      expect(() => max(x, 2)).to.throw(outOfRange('max', 2));
      expect(() => min(x, 1.5)).to.throw(outOfRange('min', 1.5));
      expect(() => argmax(x, 2)).to.throw(outOfRange('argmax', 2));
      expect(() => globalNorm([])).to.throw('globalNorm: needs at least one tensor');
    });

    it('summaryStats rejects a minus input of another size or its own, and an input no run reads', () => {
      const [a, b, c] = run(() => [tensor([1, 2, 3, 4], [2, 2]), tensor([1, 2, 3, 4]), tensor([1, 2, 3])]);
      expect(() => summaryStats([a, c], [{ size: 4, minus: 1 }])).to.throw(
        'summaryStats: run 0 subtracts input 1 (shape [3]) from input 0 (shape [2,2]); expected inputs of the same size',
      );
      expect(() => summaryStats([a, b], [{ size: 4, minus: 0 }])).to.throw(
        'summaryStats: run 0 subtracts input 0; expected another of the 2 inputs than its own (0)',
      );
      expect(() => summaryStats([a, b, c], [{ size: 4, minus: 1 }])).to.throw(
        'summaryStats: no run reads input 2 (shape [3]) and none subtracts it; expected runs covering its 3 elements',
      );
      expect(() => summaryStats([a, b], [{ size: 4 }, { size: 3, minus: 1 }])).to.throw(
        'summaryStats: the runs of input 0 less input 1 add up to 3 elements, but it has 4 (shape [2,2])',
      );
    });

    it('argmax picks the first of tied maxima, along either axis', async () => {
      const x = run(() =>
        tensor([
          [1, 3, 3, 0],
          [2, 2, 2, 2],
          [0, 3, 5, 5],
        ]),
      );
      expect(Array.from(await argmax(x).data())).to.deep.equal([1, 0, 2]);
      expect(Array.from(await argmax(x, 0).data())).to.deep.equal([1, 0, 2, 2]);
    });
  });
}

const OPS = { sum, mean, max, min } as const;
type ReductionName = keyof typeof OPS;

interface Case {
  shape: Shape;
  axes?: number[];
  domain?: Domain | 'negative';
}

const FULL: Case[] = [1, 7, 255, 256, 257, 4097, 65535, 65536, 65537, 131073, (1 << 20) + 3].map((n) => ({
  shape: [n],
}));
const CASES: Case[] = [
  ...FULL,
  { shape: [3, 5, 7] }, // full reduction of a rank-3 tensor
  { shape: [(1 << 20) + 3], domain: 'negative' },
  { shape: [257], domain: 'negative' },
  { shape: [65537], domain: 'positive' },
  { shape: [64, 10], axes: [1] }, // softmax-sized rows, one pass
  { shape: [3, 10000], axes: [1] },
  { shape: [3, 150001], axes: [1] }, // rows of three chunks
  { shape: [5, 65537], axes: [1], domain: 'negative' }, // two chunks, the second of one element
  { shape: [2, 3, 40099], axes: [1, 2] }, // two trailing axes, two chunks
  { shape: [7, 1], axes: [1] },
  { shape: [67, 131], axes: [0] }, // leading axis: the strided kernel, 8 lanes an output
  { shape: [64, 128], axes: [0] }, // a bias gradient: 4 lanes an output, 16 outputs a workgroup
  { shape: [64, 10], axes: [0], domain: 'negative' },
  { shape: [1, 33], axes: [0] }, // one element an output: one lane, the last workgroup part full
  { shape: [3, 4097, 5], axes: [1] },
  { shape: [3, 5, 7], axes: [0, 2] },
];

const describeCase = (c: Case) =>
  `[${c.shape}]${c.axes ? ` axes [${c.axes}]` : ' (all axes)'}${c.domain ? ` ${c.domain}` : ''}`;

async function runOn(backend: ReturnType<typeof gpu>, op: ReductionName, c: Case, seed: number): Promise<Float32Array> {
  const n = c.shape.reduce((p, d) => p * d, 1);
  const domain = c.domain ?? 'any';
  const values = randomValues(n, domain === 'negative' ? 'positive' : domain, seed).map((v) =>
    domain === 'negative' ? -v : v,
  );
  const x = tensorOn(backend, values, c.shape);
  const out: Tensor = on(backend, () => OPS[op](x, c.axes));
  const result = (await out.data()) as Float32Array;
  x.dispose();
  out.dispose();
  return result;
}

describe('reductions: rows and strided paths against the CPU reference', () => {
  for (const op of Object.keys(OPS) as ReductionName[]) {
    describe(op, () => {
      CASES.forEach((c, i) => {
        it(describeCase(c), async () => {
          const expected = await runOn(cpu(), op, c, 300 + i);
          const actual = await runOn(gpu(), op, c, 300 + i);
          // max/min are exact; sums of up to 1M normal values carry float32 rounding (pairwise: small),
          // and a mean carries that rounding divided by the count
          const count = (c.axes ?? c.shape.map((_, d) => d)).reduce((n, d) => n * c.shape[d], 1);
          const tolerance =
            op === 'max' || op === 'min'
              ? { rtol: 0, atol: 0 }
              : { rtol: 1e-5, atol: op === 'mean' ? 1e-3 / count : 1e-3 };
          expectClose(actual, expected, tolerance, `${op} ${describeCase(c)}`);
        });
      });
    });
  }
});
