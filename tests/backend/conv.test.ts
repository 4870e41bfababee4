// Convolution and pooling kernels against the CPU reference over strides 1/2, both paddings,
// dilation 1/2, odd spatial sizes, batch 1 and > 1, channels 1/3/non-multiples of 4; every gradient
// by checkGradients; and the clear errors.
import { expect } from 'chai';
import { avgPool2d, cast, conv1d, conv2d, maxPool2d, sub, translate, tensor, withBackend, zeros, type Shape } from '@webgrad/core';
import type { ConvAlgorithm, WebGPUBackend } from '@webgrad/webgpu';
import { backendOf, BACKENDS, expectClose, gpu } from '../helpers.js';
import { describeSpecs, type Spec } from '../kernel-spec.js';

const convCase = (x: Shape, f: Shape): Shape[] => [x, f, [f[3]]];
const tolerance = { rtol: 1e-4, atol: 1e-4 };
const specs: Spec[] = [
  { name: 'conv2d 3×3 valid', fn: (x, f) => conv2d(x, f), domains: ['any', 'any'], tolerance, cases: [[[1, 5, 5, 1], [3, 3, 1, 2]], [[2, 7, 9, 3], [3, 3, 3, 5]], [[1, 6, 10, 10], [3, 3, 10, 13]]] },
  { name: 'conv2d same, stride 2', fn: (x, f) => conv2d(x, f, { strides: 2, padding: 'same' }), domains: ['any', 'any'], tolerance, cases: [[[1, 5, 5, 1], [3, 3, 1, 2]], [[2, 7, 9, 3], [3, 3, 3, 5]], [[1, 8, 8, 4], [2, 2, 4, 3]]] },
  { name: 'conv2d dilation 2, same', fn: (x, f) => conv2d(x, f, { dilations: 2, padding: 'same' }), domains: ['any', 'any'], tolerance, cases: [[[1, 5, 5, 1], [3, 3, 1, 1]], [[2, 9, 7, 3], [3, 3, 3, 5]]] },
  { name: 'conv2d stride [2,1], dilation [1,2], valid', fn: (x, f) => conv2d(x, f, { strides: [2, 1], dilations: [1, 2] }), domains: ['any', 'any'], tolerance, cases: [[[1, 7, 7, 2], [3, 2, 2, 3]], [[3, 11, 9, 5], [3, 3, 5, 7]]] },
  {
    name: 'conv2d + bias + relu (fused)', fn: (x, f, b) => conv2d(x, f, { bias: b, activation: 'relu', padding: 'same' }), domains: ['any', 'any', 'nonzero'], tolerance,
    cases: [convCase([1, 5, 5, 1], [3, 3, 1, 2]), convCase([2, 7, 9, 3], [3, 3, 3, 5])], large: [convCase([16, 28, 28, 1], [3, 3, 1, 32]), convCase([8, 13, 13, 32], [3, 3, 32, 64])],
  },
  { name: 'conv2d + bias + tanh, stride 2', fn: (x, f, b) => conv2d(x, f, { bias: b, activation: 'tanh', strides: 2 }), domains: ['any', 'any', 'any'], tolerance, cases: [convCase([2, 7, 7, 3], [3, 3, 3, 4])] },
  { name: 'conv1d valid', fn: (x, f) => conv1d(x, f), domains: ['any', 'any'], tolerance, cases: [[[1, 7, 1], [3, 1, 2]], [[2, 11, 3], [3, 3, 9]]] },
  {
    name: 'conv1d + bias + relu, stride 2, dilation 2, same', fn: (x, f, b) => conv1d(x, f, { stride: 2, dilation: 2, padding: 'same', bias: b, activation: 'relu' }),
    domains: ['any', 'any', 'nonzero'], tolerance, cases: [[[2, 9, 3], [3, 3, 5], [5]]],
  },
  { name: 'translate by shifts in [0, 3)', fn: (x, s) => translate(x, s), domains: ['any', 'any'], integerInputs: { 1: 3 }, cases: [[[3, 5, 6, 2], [3, 2]]], large: [[[64, 28, 28, 1], [64, 2]]] },
  {
    name: 'translate by shifts in [−2, 2]', fn: (x, s) => translate(x, cast(sub(cast(s, 'float32'), 2), 'int32')), domains: ['any', 'any'], integerInputs: { 1: 5 },
    cases: [[[4, 5, 4, 3], [4, 2]]],
  },
  { name: 'maxPool2d 2×2', fn: (x) => maxPool2d(x), domains: ['any'], cases: [[[1, 4, 4, 1]], [[2, 7, 9, 3]]], large: [[[64, 26, 26, 32]]] },
  { name: 'maxPool2d 3×3 stride 2 same', fn: (x) => maxPool2d(x, 3, 2, 'same'), domains: ['any'], cases: [[[1, 5, 5, 1]], [[2, 7, 9, 5]]] },
  { name: 'maxPool2d 2×2 same (windows tile x)', fn: (x) => maxPool2d(x, 2, 2, 'same'), domains: ['any'], cases: [[[2, 7, 9, 3]]] },
  { name: 'maxPool2d 2×2 stride 3 (gaps between windows)', fn: (x) => maxPool2d(x, 2, 3), domains: ['any'], cases: [[[2, 8, 7, 3]]] },
  { name: 'avgPool2d 2×2', fn: (x) => avgPool2d(x), domains: ['any'], cases: [[[1, 4, 4, 1]], [[2, 7, 9, 3]]] },
  { name: 'avgPool2d 2×2 same, stride [2,3]', fn: (x) => avgPool2d(x, 2, [2, 3], 'same'), domains: ['any'], cases: [[[2, 7, 9, 3]]] },
  { name: 'avgPool2d 3×3 stride 2 same', fn: (x) => avgPool2d(x, 3, 2, 'same'), domains: ['any'], cases: [[[1, 5, 5, 1]], [[2, 7, 9, 5]]] },
];

describeSpecs('convolution and pooling: GPU against the CPU reference, gradients checked numerically', specs);

// The same convolutions through the WebGPU backend's other algorithm, im2col + GEMM.
describe('convolution as im2col + GEMM on webgpu', () => {
  let previous: ConvAlgorithm;
  before(() => { previous = (gpu() as WebGPUBackend).convAlgorithm; (gpu() as WebGPUBackend).convAlgorithm = 'gemm'; });
  after(() => { (gpu() as WebGPUBackend).convAlgorithm = previous; });
  describeSpecs('against the CPU reference', specs.filter((spec) => spec.name.startsWith('conv2d')));
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

    it('conv1d of a ramp with a [2, 1] filter: y[i] = 2x[i] + x[i+1]', async () => {
      const x = run(() => tensor([1, 2, 3, 4], [1, 4, 1]));
      const filter = run(() => tensor([2, 1], [2, 1, 1]));
      expect(Array.from(await conv1d(x, filter).data())).to.deep.equal([4, 7, 10]);
      expect(Array.from(await conv1d(x, filter, { padding: 'same', stride: 2 }).data())).to.deep.equal([4, 10]);
    });

    it('translate moves a 3×3 ramp down 1 and left 1, zero-filling', async () => {
      const x = run(() => tensor([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 3, 3, 1]));
      expect(Array.from(await translate(x, run(() => tensor([1, -1], [1, 2], 'int32'))).data())).to.deep.equal([0, 0, 0, 2, 3, 0, 5, 6, 0]);
    });

    it('names the shapes for bad input', () => {
      const x = run(() => zeros([1, 5, 5, 3]));
      expect(() => conv2d(x, run(() => zeros([3, 3, 2, 4])))).to.throw(/conv2d: input has 3 channels \(shape \[1,5,5,3\]\) but the filter expects 2 \(shape \[3,3,2,4\]\)/);
      expect(() => conv2d(x, run(() => zeros([7, 7, 3, 4])))).to.throw(/conv2d: a window of 7 \(kernel 7, dilation 1\) is larger than the input's 5 with 'valid' padding/);
      expect(() => conv2d(run(() => zeros([5, 5, 3])), run(() => zeros([3, 3, 3, 4])))).to.throw(/conv2d: input must be 4-D \[batch, height, width, channels\], got shape \[5,5,3\]/);
      expect(() => maxPool2d(run(() => zeros([5, 5])))).to.throw(/maxPool2d: input must be 4-D/);
      expect(() => conv1d(run(() => zeros([1, 5, 3])), run(() => zeros([3, 2, 4])))).to.throw(/conv1d: input has 3 channels \(shape \[1,5,3\]\) but the filter expects 2/);
      expect(() => translate(x, run(() => zeros([1, 2])))).to.throw(/translate: shifts of shape \[1,2\] \(float32\) do not fit images \[1,5,5,3\]; expected int32 \[1, 2\]/);
      expect(() => conv1d(x, run(() => zeros([3, 3, 4])))).to.throw(/conv1d: input must be 3-D \[batch, length, channels\], got shape \[1,5,5,3\]/);
    });
  });
}
