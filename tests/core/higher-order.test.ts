// Gradients of gradients: each unary op's second derivative against central differences of its first
// (checkGradients in float64 on the CPU reference), the same on WebGPU against the CPU, and a WGAN-GP
// gradient penalty — (‖∂D/∂x‖ − 1)² — differentiated with respect to the critic's weights.
import { expect } from 'chai';
import {
  abs,
  checkGradients,
  conv2d,
  maxPool2d,
  elu,
  gelu,
  grad,
  leakyRelu,
  matmul,
  mul,
  reciprocal,
  relu,
  rsqrt,
  selu,
  sigmoid,
  softplus,
  sqrt,
  square,
  sub,
  sum,
  tanh,
  tensor,
  withBackend,
  type Tensor,
} from '@webgrad/core';
import { cpu, expectClose, gpu, randomValues, type Domain } from '../helpers.js';

const UNARY: [string, (x: Tensor) => Tensor, Domain][] = [
  ['relu', relu, 'nonzero'],
  ['sigmoid', sigmoid, 'any'],
  ['tanh', tanh, 'any'],
  ['abs', abs, 'nonzero'],
  ['sqrt', sqrt, 'positive'],
  ['rsqrt', rsqrt, 'positive'],
  ['square', square, 'any'],
  ['reciprocal', reciprocal, 'positive'],
  ['leakyRelu', (x) => leakyRelu(x, 0.2), 'nonzero'],
  ['elu', (x) => elu(x), 'nonzero'],
  ['selu', selu, 'nonzero'],
  ['softplus', softplus, 'any'],
  ['gelu', gelu, 'any'],
];

/** Σ w·f'(x): its gradient is w·f''(x), the second derivative the test checks. */
const firstDerivative = (f: (x: Tensor) => Tensor, w: Tensor) => (x: Tensor) =>
  sum(mul(grad((v) => sum(f(v)))(x)[0], w));

describe('gradients of gradients', () => {
  for (const [name, f, domain] of UNARY) {
    it(`${name}: the second derivative agrees with central differences (float64), and WebGPU with the CPU`, async () => {
      const values = Float32Array.from(randomValues(6, domain, 11));
      const weights = Float32Array.from(randomValues(6, 'any', 12));
      const x = withBackend(cpu(), () => tensor(values, [2, 3]));
      const w = withBackend(cpu(), () => tensor(weights, [2, 3]));
      const result = await checkGradients(firstDerivative(f, w), [x], { rtol: 1e-4, atol: 1e-6 });
      expect(result.checks).to.be.greaterThan(0);
      const [onCpu] = withBackend(cpu(), () => grad(firstDerivative(f, w))(x));
      const [onGpu] = withBackend(gpu(), () =>
        grad(firstDerivative(f, tensor(weights, [2, 3])))(tensor(values, [2, 3])),
      );
      expectClose(Array.from(await onGpu.data()), Array.from(await onCpu.data()), { rtol: 1e-4, atol: 1e-5 }, name);
    });
  }

  for (const [strides, padding] of [
    [1, 'valid'],
    [2, 'same'],
  ] as const) {
    it(`through conv2d (strides ${strides}, '${padding}'): a penalty on ∂D/∂x differentiates to the filter and input`, async () => {
      const arrays = [
        [Float32Array.from(randomValues(2 * 5 * 5 * 2, 'any', 31)), [2, 5, 5, 2]],
        [Float32Array.from(randomValues(3 * 3 * 2 * 3, 'any', 32)), [3, 3, 2, 3]],
        [Float32Array.from(randomValues(2 * 5 * 5 * 2, 'any', 33)), [2, 5, 5, 2]],
      ] as const;
      const make = () => arrays.map(([values, shape]) => tensor(values, [...shape]));
      const penaltyWith = (w: Tensor) => (input: Tensor, k: Tensor) =>
        sum(mul(grad((v) => sum(tanh(conv2d(v, k, { strides, padding }))))(input)[0], w));
      const [x, filter, w] = withBackend(cpu(), make);
      const result = await checkGradients(penaltyWith(w), [x, filter], { rtol: 1e-4, atol: 1e-6 });
      expect(result.checks).to.be.greaterThan(0);
      const [, onCpu] = withBackend(cpu(), () => grad(penaltyWith(w))(x, filter));
      const [gx, gFilter, gw] = withBackend(gpu(), make);
      const [, onGpu] = withBackend(gpu(), () => grad(penaltyWith(gw))(gx, gFilter));
      expectClose(Array.from(await onGpu.data()), Array.from(await onCpu.data()), { rtol: 1e-3, atol: 1e-4 }, 'filter');
    });
  }

  it('refuses a gradient of a gradient through pooling by name, rather than leaving it at zero', () => {
    const x = withBackend(cpu(), () => tensor(Float32Array.from(randomValues(16, 'any', 41)), [1, 4, 4, 1]));
    const penalty = (input: Tensor) => sum(square(grad((v) => sum(square(maxPool2d(v, 2))))(input)[0]));
    expect(() => withBackend(cpu(), () => grad(penalty)(x))).to.throw(
      "pool2dGrad: the gradient of max pooling's gradient (input [1,4,4,1]) is not implemented; " +
        'a gradient penalty cannot go through a pooling layer yet: use strided convolutions',
    );
  });

  it("a WGAN-GP gradient penalty (‖∂D/∂x‖ − 1)² has the critic weights' gradient central differences give", async () => {
    const run = <T>(fn: () => T) => withBackend(cpu(), fn);
    const [x, w1, w2] = run(() => [
      tensor(Float32Array.from(randomValues(8, 'any', 21)), [2, 4]),
      tensor(Float32Array.from(randomValues(12, 'any', 22)), [4, 3]),
      tensor(Float32Array.from(randomValues(3, 'any', 23)), [3, 1]),
    ]);
    const critic = (input: Tensor, a: Tensor, b: Tensor) => matmul(tanh(matmul(input, a)), b);
    const penalty = (a: Tensor, b: Tensor) => {
      const [dx] = grad((input) => sum(critic(input, a, b)))(x);
      const norms = sqrt(sum(square(dx), 1));
      return sum(square(sub(norms, 1)));
    };
    const result = await checkGradients(penalty, [w1, w2], { rtol: 1e-4, atol: 1e-6 });
    expect(result.checks).to.be.greaterThan(0);
    const [g1] = run(() => grad(penalty)(w1, w2));
    expect(Math.max(...Array.from(await g1.data()).map(Math.abs))).to.be.greaterThan(1e-3);
  });
});
