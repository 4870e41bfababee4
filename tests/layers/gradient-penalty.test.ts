// WGAN-GP: the Wasserstein losses by hand, and the gradient penalty of a linear critic D(x) = x·w,
// whose input gradient is w for every sample: λ(‖w‖ − 1)², with weight gradient 2λ(‖w‖ − 1)·w/‖w‖ —
// a gradient of a gradient, on the CPU and on WebGPU.
import { expect } from 'chai';
import { grad, matmul, tensor, withBackend } from '@webgrad/core';
import { ganLoss, gradientPenalty } from '@webgrad/layers';
import { backendOf, BACKENDS, expectClose, randomValues } from '../helpers.js';

for (const name of BACKENDS) {
  describe(`WGAN-GP on ${name}`, () => {
    const run = <T>(fn: () => T): T => withBackend(backendOf(name), fn);

    it('the Wasserstein losses: D = mean(fake) − mean(real), G = −mean(fake)', async () => {
      const [real, fake] = run(() => [tensor([[1], [3]]), tensor([[-2], [0.5]])]);
      const loss = ganLoss('wasserstein');
      const [d, g] = await Promise.all(
        run(() => [loss.discriminator(real, fake), loss.generator(fake)]).map((t) => t.data()),
      );
      expectClose(Array.from(d), [(-2 + 0.5) / 2 - (1 + 3) / 2], { rtol: 1e-6, atol: 1e-7 }, 'D');
      expectClose(Array.from(g), [-(-2 + 0.5) / 2], { rtol: 1e-6, atol: 1e-7 }, 'G');
    });

    it('a linear critic: the penalty is λ(‖w‖ − 1)² and its weight gradient 2λ(‖w‖ − 1)·w/‖w‖', async () => {
      const values = Array.from(randomValues(4, 'any', 5)).map((v) => v * 0.9);
      const norm = Math.sqrt(values.reduce((s, v) => s + v * v, 0));
      expect(Math.abs(norm - 1)).to.be.greaterThan(0.05);
      const [w, real, fake] = run(() => [
        tensor(values, [4, 1]),
        tensor(Float32Array.from(randomValues(12, 'any', 6)), [3, 4]),
        tensor(Float32Array.from(randomValues(12, 'any', 7)), [3, 4]),
      ]);
      const penaltyOf = (weights: typeof w) =>
        gradientPenalty((x) => matmul(x, weights), real, fake, { weight: 10, seed: 3 });
      const penalty = await run(() => penaltyOf(w)).data();
      expectClose(Array.from(penalty), [10 * (norm - 1) ** 2], { rtol: 1e-5, atol: 1e-6 }, 'penalty');
      const [dw] = run(() => grad(penaltyOf)(w));
      const expected = values.map((v) => (2 * 10 * (norm - 1) * v) / norm);
      expectClose(Array.from(await dw.data()), expected, { rtol: 1e-4, atol: 1e-5 }, 'd penalty / dw');
    });
  });
}

describe('gradientPenalty errors', () => {
  it('refuses real and fake batches of different shapes', () => {
    const critic = (x: ReturnType<typeof tensor>) => x;
    expect(() => gradientPenalty(critic, tensor([[1, 2]]), tensor([[1, 2, 3]]))).to.throw(
      'gradientPenalty: real [1,2] and fake [1,3] differ in shape',
    );
  });
});
