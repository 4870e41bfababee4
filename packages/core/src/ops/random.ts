// Random tensors on the device from the counter-based RNG (rng.ts): element i of a tensor comes from
// Philox4x32-10 of (i, stream, 0, 0) under the seed's key, so the same seed gives the same values on
// every backend and nothing is generated on the host. Each op has no inputs and no gradient; `stream`
// draws an independent sequence from the same seed.
import { checkShape, type Shape } from '../dtype.js';
import { runOp, type OpDef } from '../engine.js';
import type { Tensor } from '../tensor.js';

export interface RandomOptions {
  seed: number;
  stream?: number;
}

/** a, b: low/high (uniform), mean/std (normal), p/unused (bernoulli). */
export interface RandomAttrs {
  readonly shape: Shape;
  readonly seed: number;
  readonly stream: number;
  readonly a: number;
  readonly b: number;
}

const randomDef = (name: string, kernel: OpDef<RandomAttrs>['kernel']): OpDef<RandomAttrs> => ({
  name,
  infer: (_, { shape }) => {
    checkShape(name, shape);
    return { shape, dtype: 'float32' };
  },
  kernel,
  grad: 'nonDifferentiable',
});

export const randomOps = {
  randomUniform: randomDef('randomUniform', (backend, _, { shape, seed, a, b, stream }) =>
    backend.randomUniform(shape, seed, a, b, stream),
  ),
  randomNormal: randomDef('randomNormal', (backend, _, { shape, seed, a, b, stream }) =>
    backend.randomNormal(shape, seed, a, b, stream),
  ),
  bernoulli: randomDef('bernoulli', (backend, _, { shape, seed, a, stream }) =>
    backend.bernoulli(shape, seed, a, stream),
  ),
};

function attrs(op: string, shape: Shape, a: number, b: number, { seed, stream = 0 }: RandomOptions): RandomAttrs {
  if (!Number.isSafeInteger(seed) || seed < 0) {
    throw new Error(`${op}: seed ${seed} must be a non-negative safe integer`);
  }
  if (!Number.isInteger(stream) || stream < 0 || stream >= 2 ** 32) {
    throw new Error(`${op}: stream ${stream} must be an integer in [0, 2^32)`);
  }
  return { shape: [...shape], seed, stream, a, b };
}

/** Uniform values in [low, high) on the current backend. */
export function randomUniform(shape: Shape, low = 0, high = 1, options: RandomOptions = { seed: 0 }): Tensor {
  return runOp(randomOps.randomUniform, [], attrs('randomUniform', shape, low, high, options));
}

/** Normal values with the given mean and standard deviation on the current backend. */
export function randomNormal(shape: Shape, mean = 0, std = 1, options: RandomOptions = { seed: 0 }): Tensor {
  return runOp(randomOps.randomNormal, [], attrs('randomNormal', shape, mean, std, options));
}

/**
 * A float32 mask: 1 with probability p, else 0. p is rounded to float32 here, so every backend
 * compares against the same number. (Inverted dropout at rate r keeps bernoulli(shape, 1 - r) and
 * scales what it keeps by 1/(1 - r).)
 */
export function bernoulli(shape: Shape, p: number, options: RandomOptions = { seed: 0 }): Tensor {
  if (!(p >= 0 && p <= 1)) throw new Error(`bernoulli: probability ${p} must be in [0, 1]`);
  return runOp(randomOps.bernoulli, [], attrs('bernoulli', shape, Math.fround(p), 0, options));
}
