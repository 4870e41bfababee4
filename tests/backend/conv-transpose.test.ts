// conv2dTranspose beyond the spec table (specs/conv.ts holds its GPU-vs-CPU and checkGradients cases):
// forward and both gradients against TF.js 4.22's tf.conv2dTranspose on its cpu backend, output sizes by
// Keras's rule, values by hand, and its errors. TF.js is the bench's dependency, loaded from bench/.
import { createRequire } from 'node:module';
import { expect } from 'chai';
import { conv2dTranspose, grad, mul, sum, tensor, withBackend, type Tensor } from '@webgrad/core';
import { backendOf, BACKENDS, expectClose, randomValues, tensorOn } from '../helpers.js';

/** The slice of TF.js's API these tests call (it is loaded untyped from the bench's node_modules). */
interface TfTensor {
  data(): Promise<Float32Array>;
}
interface Tf {
  enableProdMode(): void;
  setBackend(name: string): Promise<boolean>;
  tensor(values: Float32Array, shape: readonly number[]): TfTensor;
  conv2dTranspose(
    x: TfTensor,
    filter: TfTensor,
    outputShape: readonly number[],
    strides: number | readonly [number, number],
    pad: 'same' | 'valid',
  ): TfTensor;
  add(a: TfTensor, b: TfTensor): TfTensor;
  mul(a: TfTensor, b: TfTensor): TfTensor;
  sum(x: TfTensor): TfTensor;
  relu(x: TfTensor): TfTensor;
  tanh(x: TfTensor): TfTensor;
  grads(f: (...xs: TfTensor[]) => TfTensor): (xs: TfTensor[]) => TfTensor[];
}

async function loadTf(): Promise<Tf> {
  const fromBench = createRequire(new URL('../../bench/package.json', import.meta.url));
  const tf = fromBench('@tensorflow/tfjs') as Tf;
  tf.enableProdMode(); // silences the banner that suggests tfjs-node
  await tf.setBackend('cpu');
  return tf;
}

interface TfCase {
  name: string;
  x: number[];
  filter: number[];
  strides: number | [number, number];
  padding: 'same' | 'valid';
  activation?: 'relu' | 'tanh';
  /** By Keras's rule: 'same' H·s; 'valid' H·s + max(K − s, 0) (likewise W). */
  out: number[];
}

const tfCases: TfCase[] = [
  // 4·2 = 8, 5·2 = 10
  {
    name: "3×3, stride 2, 'same', bias + relu",
    x: [1, 4, 5, 3],
    filter: [3, 3, 2, 3],
    strides: 2,
    padding: 'same',
    activation: 'relu',
    out: [1, 8, 10, 2],
  },
  // 3·2 + 2 = 8 on both axes
  {
    name: "4×4, stride 2, 'valid'",
    x: [2, 3, 3, 1],
    filter: [4, 4, 3, 1],
    strides: 2,
    padding: 'valid',
    out: [2, 8, 8, 3],
  },
  // 5·1 = 5, 4·2 = 8; padTotal 3 and 1: padTop 1, padLeft 0
  {
    name: "4×3, strides [1, 2], 'same', bias + tanh",
    x: [2, 5, 4, 3],
    filter: [4, 3, 1, 3],
    strides: [1, 2],
    padding: 'same',
    activation: 'tanh',
    out: [2, 5, 8, 1],
  },
  // 5·3 + max(2 − 3, 0) = 15, 4·1 + 2 = 6: the kernel is shorter than the stride
  {
    name: "2×3, strides [3, 1], 'valid'",
    x: [1, 5, 4, 3],
    filter: [2, 3, 3, 3],
    strides: [3, 1],
    padding: 'valid',
    out: [1, 15, 6, 3],
  },
];

const size = (shape: readonly number[]) => shape.reduce((n, d) => n * d, 1);
const tolerance = { rtol: 1e-4, atol: 1e-5 };

describe('conv2dTranspose against TF.js 4.22 (cpu backend)', () => {
  let tf: Tf;
  before(async () => {
    tf = await loadTf();
  });

  for (const c of tfCases) {
    const CO = c.filter[2];
    const xs = randomValues(size(c.x), 'any', 11);
    const fs = randomValues(size(c.filter), 'any', 12);
    const bs = randomValues(CO, 'any', 13);
    const us = randomValues(size(c.out), 'any', 14);

    /** TF.js's y and d<u, y>/d(x, filter, bias). */
    async function tfReference() {
      const [x, filter, bias, u] = [
        tf.tensor(Float32Array.from(xs), c.x),
        tf.tensor(Float32Array.from(fs), c.filter),
        tf.tensor(Float32Array.from(bs), [CO]),
        tf.tensor(Float32Array.from(us), c.out),
      ];
      const forward = (x: TfTensor, filter: TfTensor, bias: TfTensor) => {
        const z = tf.conv2dTranspose(x, filter, c.out, c.strides, c.padding);
        if (!c.activation) return z;
        return tf[c.activation](tf.add(z, bias));
      };
      const y = forward(x, filter, bias);
      const inputs = c.activation ? [x, filter, bias] : [x, filter];
      const grads = tf.grads((x, filter, bias) => tf.sum(tf.mul(forward(x, filter, bias), u)))(inputs);
      return { y: await y.data(), grads: await Promise.all(grads.map((g) => g.data())) };
    }

    for (const name of BACKENDS) {
      it(`${c.name}: forward and d/dx, d/dfilter${c.activation ? ', d/dbias' : ''} on ${name}`, async () => {
        const reference = await tfReference();
        const backend = backendOf(name);
        const [x, filter, bias, u] = [
          tensorOn(backend, xs, c.x),
          tensorOn(backend, fs, c.filter),
          tensorOn(backend, bs, [CO]),
          tensorOn(backend, us, c.out),
        ];
        const forward = (x: Tensor, filter: Tensor, bias: Tensor) =>
          conv2dTranspose(x, filter, {
            strides: c.strides,
            padding: c.padding,
            ...(c.activation && { bias, activation: c.activation }),
          });
        const y = withBackend(backend, () => forward(x, filter, bias));
        expect(y.shape).to.deep.equal(c.out);
        expectClose(await y.data(), reference.y, tolerance, 'forward');
        const inputs = c.activation ? [x, filter, bias] : [x, filter];
        const grads = withBackend(backend, () => grad((x, f, b) => sum(mul(forward(x, f, b), u)))(...inputs));
        expect(grads.length).to.equal(reference.grads.length);
        const names = ['d/dx', 'd/dfilter', 'd/dbias'];
        for (let i = 0; i < grads.length; i++) {
          expectClose(await grads[i].data(), reference.grads[i], tolerance, names[i]);
        }
        [x, filter, bias, u, y, ...grads].forEach((t) => t.dispose());
      });
    }
  }
});

for (const name of BACKENDS) {
  describe(`conv2dTranspose by hand and its errors on ${name}`, () => {
    const run = <T>(fn: () => T) => withBackend(backendOf(name), fn);
    const x = () => run(() => tensor([1, 2, 3, 4], [1, 2, 2, 1]));

    it("stride 2 'valid' with a 2×2 filter stamps x[i, j]·filter at (2i, 2j)", async () => {
      const filter = run(() => tensor([1, 10, 100, 1000], [2, 2, 1, 1]));
      const y = conv2dTranspose(x(), filter, { strides: 2 });
      expect(y.shape).to.deep.equal([1, 4, 4, 1]);
      expect(Array.from(await y.data())).to.deep.equal([
        1, 10, 2, 20, 100, 1000, 200, 2000, 3, 30, 4, 40, 300, 3000, 400, 4000,
      ]);
    });

    // 'valid' would be 5×5; 'same' keeps 4×4 of it, padTotal 1 cut after (padTop 0). A 3×3 box filter
    // sums the x[i, j] whose window (rows 2i..2i+2, columns 2j..2j+2) covers the position.
    it("stride 2 'same' with a 3×3 box filter, then with bias −3.5 and relu", async () => {
      const box = run(() => tensor(new Array<number>(9).fill(1), [3, 3, 1, 1]));
      const bias = run(() => tensor([-3.5], [1]));
      const y = conv2dTranspose(x(), box, { strides: 2, padding: 'same' });
      expect(Array.from(await y.data())).to.deep.equal([1, 1, 3, 2, 1, 1, 3, 2, 4, 4, 10, 6, 3, 3, 7, 4]);
      const fused = conv2dTranspose(x(), box, { strides: 2, padding: 'same', bias, activation: 'relu' });
      expect(Array.from(await fused.data())).to.deep.equal([
        0, 0, 0, 0, 0, 0, 0, 0, 0.5, 0.5, 6.5, 2.5, 0, 0, 3.5, 0.5,
      ]);
    });

    it('output sizes follow Keras: same H·s, valid H·s + max(K − s, 0)', () => {
      const image = run(() => tensor(new Array<number>(5 * 4).fill(1), [1, 5, 4, 1]));
      const shapeOf = (kh: number, kw: number, strides: [number, number], padding: 'same' | 'valid') =>
        conv2dTranspose(
          image,
          run(() => tensor(new Array<number>(kh * kw).fill(1), [kh, kw, 1, 1])),
          {
            strides,
            padding,
          },
        ).shape;
      expect(shapeOf(3, 3, [2, 2], 'valid')).to.deep.equal([1, 11, 9, 1]);
      expect(shapeOf(3, 3, [2, 2], 'same')).to.deep.equal([1, 10, 8, 1]);
      expect(shapeOf(2, 4, [3, 1], 'valid')).to.deep.equal([1, 15, 7, 1]);
      expect(shapeOf(2, 4, [3, 1], 'same')).to.deep.equal([1, 15, 4, 1]);
    });

    it('bad input: ranks, channels, bias, activation, strides, padding and dtype, each named', () => {
      const image = run(() => tensor(new Array<number>(16 * 3).fill(1), [1, 4, 4, 3]));
      const filter = run(() => tensor(new Array<number>(9 * 5 * 3).fill(1), [3, 3, 5, 3]));
      expect(() =>
        conv2dTranspose(
          run(() => tensor([1, 2, 3], [1, 3, 1])),
          filter,
        ),
      ).to.throw('conv2dTranspose: input must be 4-D [batch, height, width, channels], got shape [1,3,1]');
      expect(() =>
        conv2dTranspose(
          image,
          run(() => tensor([1, 2, 3], [1, 1, 3])),
        ),
      ).to.throw('conv2dTranspose: filter must be 4-D [height, width, out, in], got shape [1,1,3]');
      const wrongIn = run(() => tensor(new Array<number>(9 * 5 * 2).fill(1), [3, 3, 5, 2]));
      expect(() => conv2dTranspose(image, wrongIn)).to.throw(
        'conv2dTranspose: input has 3 channels (shape [1,4,4,3]) but the filter [height, width, out, in] expects 2 (shape [3,3,5,2])',
      );
      expect(() => conv2dTranspose(image, filter, { bias: run(() => tensor([1, 2, 3], [3])) })).to.throw(
        'conv2dTranspose: bias of shape [3] does not fit 5 output channels; expected [5]',
      );
      expect(() => conv2dTranspose(image, filter, { activation: 'softmax' as 'relu' })).to.throw(
        "conv2dTranspose: activation 'softmax' cannot be fused; expected one of linear, relu, sigmoid, tanh",
      );
      expect(() => conv2dTranspose(image, filter, { strides: [2, 0] })).to.throw(
        'conv2dTranspose: strides must be positive integers, got 0',
      );
      expect(() => conv2dTranspose(image, filter, { padding: 'full' as 'same' })).to.throw(
        "conv2dTranspose: padding must be 'same' or 'valid', got 'full'",
      );
      const ints = run(() => tensor(new Array<number>(16 * 3).fill(1), [1, 4, 4, 3], 'int32'));
      expect(() => conv2dTranspose(ints, filter)).to.throw(/conv2dTranspose.*int32/);
    });
  });
}
