// Reverse-mode autodiff: the computation-graph examples of a course, gradients summed over paths,
// broadcast gradients summed back, and the numeric gradient check catching a wrong rule.
import { expect } from 'chai';
import {
  add,
  checkGradients,
  grad,
  mul,
  philox4x32,
  runOp,
  shuffledIndices,
  sigmoid,
  sub,
  sum,
  tensor,
  valueAndGrad,
  withBackend,
  type OpDef,
  type Tensor,
} from '@webgrad/core';
import { backendOf, BACKENDS, cpu, expectClose } from '../helpers.js';

const values = async (ts: Tensor[]) => Promise.all(ts.map(async (t) => Array.from(await t.data())));

for (const name of BACKENDS) {
  describe(`autodiff on ${name}`, () => {
    const run = <T>(fn: () => T) => withBackend(backendOf(name), fn);

    it('f(x, y, z) = (x + y)·z at (-2, 5, -4) has gradients (-4, -4, 3)', async () => {
      const [x, y, z] = run(() => [tensor(-2), tensor(5), tensor(-4)]);
      const { value, grads } = valueAndGrad((x, y, z) => mul(add(x, y), z))(x, y, z);
      expect(await value.array()).to.equal(-12);
      expect(await values(grads)).to.deep.equal([[-4], [-4], [3]]);
    });

    it('sums the gradients of a variable reached by two paths', async () => {
      // f = (x·y)·(x + y): df/dx = y(x + y) + xy = 2xy + y², df/dy = x² + 2xy
      const [x, y] = run(() => [tensor(3), tensor(-2)]);
      const grads = grad((x, y) => mul(mul(x, y), add(x, y)))(x, y);
      expect(await values(grads)).to.deep.equal([[2 * 3 * -2 + 4], [9 + 2 * 3 * -2]]);
      // the neuron example: σ(w·x) uses x twice through one product each
      const [w] = run(() => [tensor(0.5)]);
      const [g] = grad((w) => sigmoid(add(mul(w, 2), mul(w, -3))))(w);
      const s = 1 / (1 + Math.exp(0.5));
      expectClose(await g.data(), [s * (1 - s) * -1], { rtol: 1e-6 });
    });

    it('sums broadcast gradients back to each input shape', async () => {
      const [a, b] = run(() => [
        tensor([
          [1, 2, 3],
          [4, 5, 6],
        ]),
        tensor([10, 20, 30]),
      ]);
      const [ga, gb] = grad((a, b) => mul(a, b))(a, b);
      expect(ga.shape).to.deep.equal([2, 3]);
      expect(gb.shape).to.deep.equal([3]);
      expect(await values([ga, gb])).to.deep.equal([
        [10, 20, 30, 10, 20, 30],
        [5, 7, 9],
      ]);
      const [gc] = grad((c) => sub(a, c))(run(() => tensor([[1], [1]])));
      expect(await gc.array()).to.deep.equal([[-3], [-3]]);
    });

    it('gives zeros for an argument f does not use, and distinct tensors per argument', async () => {
      const [x, y] = run(() => [tensor([1, 2]), tensor([3, 4])]);
      const [gx, gy] = grad((x, _y) => sum(x))(x, y);
      expect(await values([gx, gy])).to.deep.equal([
        [1, 1],
        [0, 0],
      ]);
      const [g1, g2] = grad((p, q) => add(p, q))(x, y); // both are the seed: handed out as two tensors
      g1.dispose();
      expect(Array.from(await g2.data())).to.deep.equal([1, 1]);
      expect(x.isDisposed || y.isDisposed).to.equal(false);
    });
  });
}

describe('checkGradients', () => {
  it('passes a correct rule, element by element and along random directions', async () => {
    const [a, b] = withBackend(cpu(), () => [tensor([0.3, -1.2, 2.0]), tensor([1.5, 0.7, -0.4])]);
    const small = await checkGradients((a, b) => sigmoid(mul(a, b)), [a, b]);
    expect(small.mode).to.equal('elementwise');
    expect(small.checks).to.equal(6);
    const big = await checkGradients((a, b) => sigmoid(mul(a, b)), [a, b], { maxElements: 0 });
    expect(big.mode).to.equal('directional');
  });

  it('fails a wrong gradient, naming the input and element', async () => {
    // x² with the factor 2 missing from its backward rule
    const badSquare: OpDef<undefined> = {
      name: 'badSquare',
      infer: ([x]) => ({ shape: x.shape, dtype: x.dtype }),
      kernel: (backend, [x]) => backend.binary('mul', x, x, x.shape),
      grad: (dy, [x]) => [() => mul(dy, x)],
    };
    const x = withBackend(cpu(), () => tensor([1.5, -0.5]));
    await checkGradients((x) => mul(x, x), [x]);
    let error: unknown;
    await checkGradients((x) => runOp(badSquare, [x], undefined), [x]).catch((e) => {
      error = e;
    });
    expect(String(error)).to.match(
      /checkGradients: input 0 \(shape \[2\]\), element 0: autodiff gives .*, central differences/,
    );
  });
});

describe('shuffledIndices', () => {
  it('is a permutation fixed by its seed', () => {
    const a = shuffledIndices(1000, 3),
      b = shuffledIndices(1000, 3),
      c = shuffledIndices(1000, 4);
    expect(Array.from(a).sort((p, q) => p - q)).to.deep.equal(Array.from({ length: 1000 }, (_, i) => i));
    expect(Array.from(b)).to.deep.equal(Array.from(a));
    expect(Array.from(c)).to.not.deep.equal(Array.from(a));
  });
});

describe('Philox4x32-10', () => {
  it('matches the Random123 known-answer vectors', () => {
    const hex = (ws: number[]) => ws.map((w) => w.toString(16).padStart(8, '0'));
    expect(hex(philox4x32([0, 0, 0, 0], [0, 0]))).to.deep.equal(['6627e8d5', 'e169c58d', 'bc57ac4c', '9b00dbd8']);
    const ones = 0xffffffff;
    expect(hex(philox4x32([ones, ones, ones, ones], [ones, ones]))).to.deep.equal([
      '408f276d',
      '41c83b0e',
      'a20bc7c6',
      '6d5451fd',
    ]);
    expect(hex(philox4x32([0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344], [0xa4093822, 0x299f31d0]))).to.deep.equal([
      'd16cfe09',
      '94fdcceb',
      '5001e420',
      '24126ea1',
    ]);
  });
});
