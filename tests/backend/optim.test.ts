// Each fused optimizer kernel against the course's textbook update, written out here in float64, over
// six steps with a fresh random gradient each step; on both backends. Also weight decay, clipping by
// value, by norm and by global norm.
import { expect } from 'chai';
import { Optimizer, tensor, variable, withBackend, type OptimizerOptions } from '@webgrad/core';
import { backendOf, BACKENDS, expectClose, randomValues } from '../helpers.js';

type Kind = ConstructorParameters<typeof Optimizer>[0];
interface Hyper {
  lr: number;
  alpha: number;
  rho: number;
  b1: number;
  b2: number;
  delta: number;
  wd: number;
  clipValue: number;
}

/** The textbook rules, one element at a time; state holds v, r, s as the rule needs. */
function textbookStep(
  kind: Kind,
  theta: number,
  g: number,
  st: { v: number; r: number; s: number },
  t: number,
  h: Hyper,
): number {
  if (h.clipValue > 0) g = Math.max(-h.clipValue, Math.min(h.clipValue, g));
  if (kind !== 'adamw') g += h.wd * theta;
  switch (kind) {
    case 'sgd':
      return theta - h.lr * g;
    case 'momentum':
      st.v = h.alpha * st.v - h.lr * g;
      return theta + st.v;
    case 'nesterov':
      st.v = h.alpha * st.v - h.lr * g;
      return theta + h.alpha * st.v - h.lr * g;
    case 'adagrad':
      st.r += g * g;
      return theta - (h.lr * g) / (h.delta + Math.sqrt(st.r)); // Δθ = −ε g / (δ + √r)
    case 'rmsprop':
      st.r = h.rho * st.r + (1 - h.rho) * g * g;
      return theta - (h.lr * g) / (Math.sqrt(st.r) + h.delta);
    case 'rmspropMomentum':
    case 'rmspropNesterov': {
      st.r = h.rho * st.r + (1 - h.rho) * g * g;
      const step = (h.lr * g) / (Math.sqrt(st.r) + h.delta);
      st.v = h.alpha * st.v - step;
      return kind === 'rmspropMomentum' ? theta + st.v : theta + h.alpha * st.v - step;
    }
    case 'adam':
    case 'adamw': {
      if (kind === 'adamw') theta -= h.lr * h.wd * theta;
      st.s = h.b1 * st.s + (1 - h.b1) * g;
      st.r = h.b2 * st.r + (1 - h.b2) * g * g;
      const sHat = st.s / (1 - h.b1 ** t),
        rHat = st.r / (1 - h.b2 ** t);
      return theta - (h.lr * sHat) / (Math.sqrt(rHat) + h.delta);
    }
  }
}

const STEPS = 6;
const norm = (g: ArrayLike<number>) => Math.sqrt(Array.from(g).reduce((a, x) => a + x * x, 0));

interface Case {
  kind: Kind;
  options: OptimizerOptions;
  label?: string;
}
const cases: Case[] = [
  { kind: 'sgd', options: { learningRate: 0.1 } },
  { kind: 'momentum', options: { learningRate: 0.1, momentum: 0.9 } },
  { kind: 'nesterov', options: { learningRate: 0.1, momentum: 0.9 } },
  { kind: 'adagrad', options: { learningRate: 0.1, epsilon: 1e-7 } },
  { kind: 'rmsprop', options: { learningRate: 0.01, rho: 0.9, epsilon: 1e-7 } },
  { kind: 'rmspropMomentum', options: { learningRate: 0.01, rho: 0.9, momentum: 0.8 } },
  { kind: 'rmspropNesterov', options: { learningRate: 0.01, rho: 0.9, momentum: 0.8 } },
  { kind: 'adam', options: { learningRate: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 } },
  { kind: 'adamw', options: { learningRate: 0.01, weightDecay: 0.1 } },
  {
    kind: 'sgd',
    options: { learningRate: 0.1, weightDecay: 0.05, clipValue: 0.5 },
    label: 'weight decay and clipValue',
  },
  {
    kind: 'adam',
    options: { learningRate: 0.01, clipValue: 0.3, weightDecay: 0.01 },
    label: 'weight decay and clipValue',
  },
  { kind: 'momentum', options: { learningRate: 0.1, momentum: 0.5, clipNorm: 0.7 }, label: 'clipNorm' },
  { kind: 'sgd', options: { learningRate: 0.1, globalClipNorm: 1.0 }, label: 'globalClipNorm over two variables' },
];

for (const name of BACKENDS) {
  describe(`optimizer kernels on ${name}: ${STEPS} steps against the textbook update`, () => {
    for (const { kind, options, label } of cases) {
      it(`${kind}${label ? ` (${label})` : ''}`, async () => {
        const sizes = [7, 1031];
        const o = {
          ...{ momentum: 0, rho: 0.9, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, weightDecay: 0, clipValue: 0 },
          ...options,
        };
        const h: Hyper = {
          lr: o.learningRate as number,
          alpha: o.momentum,
          rho: o.rho,
          b1: o.beta1,
          b2: o.beta2,
          delta: o.epsilon,
          wd: o.weightDecay,
          clipValue: o.clipValue,
        };
        const expected = sizes.map((n, j) => Array.from(randomValues(n, 'any', 10 + j)));
        const state = sizes.map((n) => Array.from({ length: n }, () => ({ v: 0, r: 0, s: 0 })));
        const optimizer = new Optimizer(kind, options);
        const vars = withBackend(backendOf(name), () => expected.map((w, j) => variable(tensor(w, [sizes[j]]))));
        for (let t = 1; t <= STEPS; t++) {
          const grads = sizes.map((n, j) => Array.from(randomValues(n, 'any', 100 * t + j)));
          // Clipping by norm rescales the whole gradient before the elementwise rule.
          let scales = grads.map(() => 1);
          if (options.clipNorm) scales = grads.map((g) => Math.min(1, options.clipNorm! / norm(g)));
          if (options.globalClipNorm) {
            scales = grads.map(() => Math.min(1, options.globalClipNorm! / norm(grads.flat())));
          }
          expected.forEach((w, j) =>
            w.forEach((theta, e) => {
              w[e] = textbookStep(kind, theta, grads[j][e] * scales[j], state[j][e], t, h);
            }),
          );
          const gradTensors = withBackend(backendOf(name), () => grads.map((g, j) => tensor(g, [sizes[j]])));
          optimizer.applyGradients(vars, gradTensors);
          gradTensors.forEach((g) => g.dispose());
        }
        for (let j = 0; j < sizes.length; j++) {
          expectClose(await vars[j].data(), expected[j], { rtol: 1e-5, atol: 1e-6 }, `${kind} variable ${j}`);
        }
        expect(optimizer.iterations).to.equal(STEPS);
        vars.forEach((v) => v.dispose());
        optimizer.dispose();
      });
    }

    it('rejects a plain tensor and a mismatched gradient', () => {
      const run = <T>(fn: () => T) => withBackend(backendOf(name), fn);
      const optimizer = new Optimizer('sgd');
      const plain = run(() => tensor([1, 2]));
      expect(() => optimizer.applyGradients([plain as never], [plain])).to.throw(
        /applyGradients: parameter 0 \(shape \[2\]\) is not a Variable/,
      );
      const v = run(() => variable(tensor([1, 2])));
      expect(() => optimizer.applyGradients([v], [run(() => tensor([1, 2, 3]))])).to.throw(
        /applyGradients: gradient 0 \(shape \[3\], float32, \w+\) does not fit variable 0 \(shape \[2\]/,
      );
      expect(() => new Optimizer('adamax' as never)).to.throw(
        /optimizer: unknown kind 'adamax'; expected one of sgd, momentum/,
      );
    });
  });
}
