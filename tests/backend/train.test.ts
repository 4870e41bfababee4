// Networks written with nothing but core ops, grad and the fused optimizer kernel learn XOR and the
// two-spiral set (two interleaved 1.5-turn spirals, a classic that a linear model cannot separate)
// on the WebGPU backend. Predictions are read back once, at the end.
import { expect } from 'chai';
import {
  fusedMatmul,
  grad,
  mean,
  mul,
  Optimizer,
  randomNormal,
  sub,
  tensor,
  tidy,
  variable,
  withBackend,
  zeros,
  type Tensor,
} from '@webgrad/core';
import { gpu } from '../helpers.js';

/** n points per class: radius grows with the angle; class 1 is class 0 turned by π. Labels ±1. */
function twoSpirals(n: number): { points: number[]; labels: number[] } {
  const points: number[] = [],
    labels: number[] = [];
  for (let c = 0; c < 2; c++) {
    for (let i = 0; i < n; i++) {
      const t = i / n,
        radius = 0.1 + 0.9 * t,
        angle = 3 * Math.PI * t + c * Math.PI;
      points.push(radius * Math.cos(angle), radius * Math.sin(angle));
      labels.push(c === 1 ? 1 : -1);
    }
  }
  return { points, labels };
}

describe('training with core ops on webgpu', () => {
  it('a 2-8-1 network learns XOR to 100% accuracy with the SGD kernel', async () => {
    // Training is synchronous (one batch of dispatches per step); only the final read awaits.
    const { out, release } = withBackend(gpu(), () => {
      const x = tensor([
        [0, 0],
        [0, 1],
        [1, 0],
        [1, 1],
      ]);
      const y = tensor([[0], [1], [1], [0]]);
      const params = [
        variable(randomNormal([2, 8], 0, 1, { seed: 1 })),
        variable(zeros([8])),
        variable(randomNormal([8, 1], 0, 0.5, { seed: 3 })),
        variable(zeros([1])),
      ];
      const forward = (...[w1, b1, w2, b2]: Tensor[]) =>
        fusedMatmul({
          a: fusedMatmul({ a: x, b: w1, bias: b1, activation: 'tanh' }),
          b: w2,
          bias: b2,
          activation: 'sigmoid',
        });
      const mse = (...p: Tensor[]) => {
        const error = sub(forward(...p), y);
        return mean(mul(error, error));
      };
      const optimizer = new Optimizer('sgd', { learningRate: 2 });
      for (let step = 0; step < 600; step++) tidy(() => optimizer.applyGradients(params, grad(mse)(...params)));
      return {
        out: forward(...params),
        release: () => {
          [x, y, ...params].forEach((t) => t.dispose());
          optimizer.dispose();
        },
      };
    });
    const predictions = Array.from(await out.data());
    out.dispose();
    release();
    expect(
      predictions.map((p) => (p > 0.5 ? 1 : 0)),
      `predictions ${predictions.map((p) => p.toFixed(3)).join(', ')}`,
    ).to.deep.equal([0, 1, 1, 0]);
  });

  it('a 2-hidden-layer tanh network learns the two-spiral set to >= 95%', async () => {
    const n = 100,
      hidden = 32;
    const { points, labels } = twoSpirals(n);
    // Everything up to the one read runs synchronously inside withBackend.
    await withBackend(gpu(), async () => {
      const x = tensor(points, [2 * n, 2]),
        y = tensor(labels, [2 * n, 1]);
      const he = (fanIn: number, shape: number[], seed: number) =>
        variable(randomNormal(shape, 0, Math.sqrt(1 / fanIn), { seed }));
      const params = [
        he(2, [2, hidden], 1),
        variable(zeros([hidden])),
        he(hidden, [hidden, hidden], 2),
        variable(zeros([hidden])),
        he(hidden, [hidden, 1], 3),
        variable(zeros([1])),
      ];
      const forward = (...[w1, b1, w2, b2, w3, b3]: Tensor[]) => {
        const h1 = fusedMatmul({ a: x, b: w1, bias: b1, activation: 'tanh' });
        const h2 = fusedMatmul({ a: h1, b: w2, bias: b2, activation: 'tanh' });
        return fusedMatmul({ a: h2, b: w3, bias: b3, activation: 'tanh' });
      };
      const loss = (...p: Tensor[]) => {
        const error = sub(forward(...p), y);
        return mean(mul(error, error));
      };
      const optimizer = new Optimizer('momentum', { learningRate: 0.1, momentum: 0.9 });
      for (let step = 0; step < 800; step++) {
        const grads = grad(loss)(...params);
        optimizer.applyGradients(params, grads);
        grads.forEach((g) => g.dispose());
      }
      const scores = await forward(...params).data();
      const accuracy = labels.filter((label, i) => Math.sign(scores[i]) === label).length / labels.length;
      expect(accuracy).to.be.at.least(0.95);
      [x, y, ...params].forEach((t) => t.dispose());
      optimizer.dispose();
    });
  });
});
