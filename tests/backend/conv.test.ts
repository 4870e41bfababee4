// The convolution family: conv2d, conv1d, pooling and translate against the CPU reference with every
// gradient by checkGradients (specs/conv.ts: asymmetric windows, strides and paddings), the same
// convolutions through the WebGPU backend's im2col + GEMM algorithm, values by hand, and clear errors.
import { expect } from 'chai';
import { avgPool2d, conv1d, conv2d, grad, maxPool2d, translate, tensor, withBackend, zeros } from '@webgrad/core';
import type { ConvAlgorithm, WebGPUBackend } from '@webgrad/webgpu';
import { backendOf, BACKENDS, expectClose, gpu } from '../helpers.js';
import { describeSpecPart, describeSpecs } from '../kernel-spec.js';
import { convSpecs } from './specs/conv.js';

describeSpecPart('convolution and pooling: GPU against the CPU reference, gradients checked numerically', convSpecs);

// The same convolutions through the WebGPU backend's other algorithm, im2col + GEMM.
describe('convolution as im2col + GEMM on webgpu', () => {
  let previous: ConvAlgorithm;
  before(() => {
    previous = (gpu() as WebGPUBackend).convAlgorithm;
    (gpu() as WebGPUBackend).convAlgorithm = 'gemm';
  });
  after(() => {
    (gpu() as WebGPUBackend).convAlgorithm = previous;
  });
  describeSpecs('against the CPU reference', [...convSpecs.conv2d, ...convSpecs.conv2dTranspose]);
});

for (const name of BACKENDS) {
  describe(`convolution by hand and its errors on ${name}`, () => {
    const run = <T>(fn: () => T) => withBackend(backendOf(name), fn);

    it('a 2×2 box filter and a 2×2 max pool on a 3×3 ramp', async () => {
      const x = run(() => tensor([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 3, 3, 1]));
      const box = run(() => tensor([1, 1, 1, 1], [2, 2, 1, 1]));
      expect(Array.from(await conv2d(x, box).data())).to.deep.equal([12, 16, 24, 28]);
      expect(Array.from(await maxPool2d(x, 2, 1).data())).to.deep.equal([5, 6, 8, 9]);
      expectClose(await avgPool2d(x, 2, 2, 'same').data(), [3, 4.5, 7.5, 9], { rtol: 1e-7 });
    });

    it("max pooling sends a window's gradient to its first maximum in scan order", async () => {
      // one 2×3 window of ties: the top-left 1 wins; a 2×2 window whose maxima sit at (0,1) and (1,0): (0,1) wins
      const tiedWindow = run(() => tensor([1, 1, 1, 1, 0, 1], [1, 2, 3, 1]));
      expect(Array.from(await grad((x) => maxPool2d(x, [2, 3]))(tiedWindow)[0].data())).to.deep.equal([
        1, 0, 0, 0, 0, 0,
      ]);
      const diagonal = run(() => tensor([0, 2, 2, 1], [1, 2, 2, 1]));
      expect(Array.from(await grad((x) => maxPool2d(x, 2))(diagonal)[0].data())).to.deep.equal([0, 1, 0, 0]);
    });

    it('conv1d of a ramp with a [2, 1] filter: y[i] = 2x[i] + x[i+1]', async () => {
      const x = run(() => tensor([1, 2, 3, 4], [1, 4, 1]));
      const filter = run(() => tensor([2, 1], [2, 1, 1]));
      expect(Array.from(await conv1d(x, filter).data())).to.deep.equal([4, 7, 10]);
      expect(Array.from(await conv1d(x, filter, { padding: 'same', stride: 2 }).data())).to.deep.equal([4, 10]);
    });

    it('translate moves a 3×3 ramp down 1 and left 1, zero-filling', async () => {
      const x = run(() => tensor([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 3, 3, 1]));
      expect(
        Array.from(
          await translate(
            x,
            run(() => tensor([1, -1], [1, 2], 'int32')),
          ).data(),
        ),
      ).to.deep.equal([0, 0, 0, 2, 3, 0, 5, 6, 0]);
    });

    // Output sizes and leading pads by TF's rule, worked out by hand per axis: 'same' gives out =
    // ceil(size / stride), padTotal = max((out − 1)·stride + (k − 1)·dilation + 1 − size, 0) and
    // padBefore = floor(padTotal / 2); 'valid' gives out = floor((size − span) / stride) + 1, no pad.
    const geometryCases = [
      // H: out 3, padTotal 2, top 1; W: out 3, padTotal 1, left 0 (the odd pad goes after)
      {
        name: "5×6, 3×3 kernel, stride 2, 'same'",
        hw: [5, 6],
        k: [3, 3],
        s: [2, 2],
        d: [1, 1],
        p: 'same',
        out: [3, 3],
        pad: [1, 0],
      },
      // span 5 and 3: H out 5, padTotal 4, top 2; W out 4, padTotal 2, left 1
      {
        name: "5×4, 3×2 kernel, dilation 2, 'same'",
        hw: [5, 4],
        k: [3, 2],
        s: [1, 1],
        d: [2, 2],
        p: 'same',
        out: [5, 4],
        pad: [2, 1],
      },
      // spans 3 and 3: H out 3, padTotal 2, top 1; W out 3, padTotal 2, left 1
      {
        name: "7×5, 2×3 kernel, strides [3, 2], dilations [2, 1], 'same'",
        hw: [7, 5],
        k: [2, 3],
        s: [3, 2],
        d: [2, 1],
        p: 'same',
        out: [3, 3],
        pad: [1, 1],
      },
      // (out − 1)·stride + span − size is −1 on both axes: no pad, not a negative one
      {
        name: "8×6, 1×2 kernel, stride 3, 'same'",
        hw: [8, 6],
        k: [1, 2],
        s: [3, 3],
        d: [1, 1],
        p: 'same',
        out: [3, 2],
        pad: [0, 0],
      },
      // spans 5 and 4: H out floor(2 / 2) + 1 = 2, W out floor(2 / 2) + 1 = 2; a span equal to the size fits
      {
        name: "7×6, 3×2 kernel, stride 2, dilations [2, 3], 'valid'",
        hw: [7, 6],
        k: [3, 2],
        s: [2, 2],
        d: [2, 3],
        p: 'valid',
        out: [2, 2],
        pad: [0, 0],
      },
      {
        name: "5×4, 3×2 kernel, dilations [2, 3], 'valid' (windows as large as the input)",
        hw: [5, 4],
        k: [3, 2],
        s: [1, 1],
        d: [2, 3],
        p: 'valid',
        out: [1, 1],
        pad: [0, 0],
      },
    ] as const;

    for (const c of geometryCases) {
      it(`conv2d geometry by TF's rule: ${c.name}`, async () => {
        const [H, W] = c.hw;
        const [KH, KW] = c.k;
        const image = Array.from({ length: H * W }, (_, i) => i + 1);
        // powers of 3 tell the taps apart in every sum
        const taps = Array.from({ length: KH * KW }, (_, i) => 3 ** i);
        const y = conv2d(
          run(() => tensor(image, [1, H, W, 1])),
          run(() => tensor(taps, [KH, KW, 1, 1])),
          { strides: [...c.s], dilations: [...c.d], padding: c.p },
        );
        expect(y.shape).to.deep.equal([1, c.out[0], c.out[1], 1]);
        const expected: number[] = [];
        for (let oh = 0; oh < c.out[0]; oh++) {
          for (let ow = 0; ow < c.out[1]; ow++) {
            let total = 0;
            for (let kh = 0; kh < KH; kh++) {
              for (let kw = 0; kw < KW; kw++) {
                const h = oh * c.s[0] + kh * c.d[0] - c.pad[0];
                const w = ow * c.s[1] + kw * c.d[1] - c.pad[1];
                if (h >= 0 && h < H && w >= 0 && w < W) total += image[h * W + w] * taps[kh * KW + kw];
              }
            }
            expected.push(total);
          }
        }
        expectClose(await y.data(), expected, { rtol: 1e-6 });
      });
    }

    it('pooling strides default to the window, and bad strides, dilations, padding, bias and activation are named', async () => {
      const ramp = run(() =>
        tensor(
          Array.from({ length: 36 }, (_, i) => i),
          [1, 6, 6, 1],
        ),
      );
      // 3×3 windows at stride 3: the bottom-right of each window is its maximum
      const pooled = maxPool2d(ramp, 3);
      expect(pooled.shape).to.deep.equal([1, 2, 2, 1]);
      expect(Array.from(await pooled.data())).to.deep.equal([14, 17, 32, 35]);
      expect(avgPool2d(ramp, [2, 3]).shape).to.deep.equal([1, 3, 2, 1]);
      const x = run(() => zeros([1, 5, 5, 3]));
      const filter = run(() => zeros([3, 3, 3, 4]));
      expect(() => conv2d(x, filter, { strides: [1, 0] })).to.throw('conv2d: strides must be positive integers, got 0');
      expect(() => conv2d(x, filter, { dilations: 1.5 })).to.throw(
        'conv2d: dilations must be positive integers, got 1.5',
      );
      expect(() => maxPool2d(x, [2, 0])).to.throw('maxPool2d: kernel sizes must be positive integers, got 0');
      expect(() => conv2d(x, filter, { padding: 'full' as never })).to.throw(
        "conv2d: padding must be 'same' or 'valid', got 'full'",
      );
      expect(() => conv2d(x, filter, { bias: run(() => zeros([3])) })).to.throw(
        'conv2d: bias of shape [3] does not fit 4 output channels; expected [4]',
      );
      expect(() => conv2d(x, filter, { activation: 'softmax' as never })).to.throw(
        "conv2d: activation 'softmax' cannot be fused; expected one of",
      );
      expect(() =>
        conv2d(
          x,
          run(() => zeros([3, 3, 3])),
        ),
      ).to.throw('conv2d: filter must be 4-D [height, width, in, out], got shape [3,3,3]');
      expect(() =>
        conv1d(
          run(() => zeros([1, 5, 3])),
          run(() => zeros([3, 3, 4, 1])),
        ),
      ).to.throw('conv1d: filter must be 3-D [width, in, out], got shape [3,3,4,1]');
    });

    it('names the shapes for bad input', () => {
      const x = run(() => zeros([1, 5, 5, 3]));
      expect(() =>
        conv2d(
          x,
          run(() => zeros([3, 3, 2, 4])),
        ),
      ).to.throw(/conv2d: input has 3 channels \(shape \[1,5,5,3\]\) but the filter expects 2 \(shape \[3,3,2,4\]\)/);
      expect(() =>
        conv2d(
          x,
          run(() => zeros([7, 7, 3, 4])),
        ),
      ).to.throw(/conv2d: a window of 7 \(kernel 7, dilation 1\) is larger than the input's 5 with 'valid' padding/);
      expect(() =>
        conv2d(
          x,
          run(() => zeros([2, 3, 3, 4])),
          { dilations: 3 },
        ),
      ).to.throw(/conv2d: a window of 7 \(kernel 3, dilation 3\) is larger than the input's 5 with 'valid' padding/);
      expect(() =>
        conv2d(
          run(() => zeros([5, 5, 3])),
          run(() => zeros([3, 3, 3, 4])),
        ),
      ).to.throw(/conv2d: input must be 4-D \[batch, height, width, channels\], got shape \[5,5,3\]/);
      expect(() => maxPool2d(run(() => zeros([5, 5])))).to.throw(/maxPool2d: input must be 4-D/);
      expect(() =>
        conv1d(
          run(() => zeros([1, 5, 3])),
          run(() => zeros([3, 2, 4])),
        ),
      ).to.throw(/conv1d: input has 3 channels \(shape \[1,5,3\]\) but the filter expects 2/);
      expect(() =>
        translate(
          x,
          run(() => zeros([1, 2])),
        ),
      ).to.throw(
        /translate: shifts of shape \[1,2\] \(float32\) do not fit images \[1,5,5,3\]; expected int32 \[1, 2\]/,
      );
      expect(() =>
        conv1d(
          x,
          run(() => zeros([3, 3, 4])),
        ),
      ).to.throw(/conv1d: input must be 3-D \[batch, length, channels\], got shape \[1,5,5,3\]/);
    });
  });
}
