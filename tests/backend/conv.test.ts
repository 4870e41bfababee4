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
  describeSpecs('against the CPU reference', convSpecs.conv2d);
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
