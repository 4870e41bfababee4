// Random tensors on the device from the counter-based RNG (rng.ts): element i of a tensor comes from
// Philox4x32-10 of (i, stream, 0, 0) under the seed's key, so the same seed gives the same values on
// every backend and nothing is generated on the host. No op here has a gradient; `stream` draws an
// independent sequence from the same seed. multinomial draws classes from rows of logits (sampling a
// language model's next token without reading its logits back).
import { checkShape, fmt, type Shape } from '../dtype.js';
import { runOp, type OpDef } from '../engine.js';
import type { Tensor } from '../tensor.js';
import { requireFloat } from './elementwise.js';

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

export interface MultinomialAttrs {
  readonly numSamples: number;
  readonly temperature: number;
  readonly seed: number;
  readonly stream: number;
}

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
  multinomial: {
    name: 'multinomial',
    infer: ([logits], { numSamples }) => {
      requireFloat('multinomial', logits);
      if (logits.rank !== 2 || logits.shape[1] < 1) {
        throw new Error(
          `multinomial: logits must be [batch, classes] with at least one class, got shape ${fmt(logits.shape)}`,
        );
      }
      if (logits.shape[0] * numSamples > 2 ** 32) {
        throw new Error(
          `multinomial: ${logits.shape[0]} rows × ${numSamples} samples exceed the 2^32 draws of one stream`,
        );
      }
      return { shape: [logits.shape[0], numSamples], dtype: 'int32' };
    },
    kernel: (backend, [logits], { numSamples, temperature, seed, stream }) =>
      backend.multinomial(logits, numSamples, temperature, seed, stream),
    grad: 'nonDifferentiable',
  } satisfies OpDef<MultinomialAttrs>,
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

export interface MultinomialOptions extends RandomOptions {
  /** Divides the logits: below 1 sharpens the distribution, above 1 flattens it. 1 unless given. */
  temperature?: number;
}

/**
 * int32 [batch, numSamples]: classes drawn independently (with replacement) from each row of logits
 * [batch, classes] with probabilities softmax(logits / temperature), on the current backend. The same
 * seed and stream give the same classes on every backend (rng.ts categoricalValues says how).
 */
export function multinomial(logits: Tensor, numSamples = 1, options: MultinomialOptions = { seed: 0 }): Tensor {
  const { temperature = 1 } = options;
  if (!Number.isInteger(numSamples) || numSamples < 1) {
    throw new Error(
      `multinomial: numSamples must be a positive integer, got ${numSamples} (logits of shape ${fmt(logits.shape)})`,
    );
  }
  // its float32 reciprocal scales the logits on every backend, so that must be finite too
  if (!(temperature > 0 && Number.isFinite(temperature) && Number.isFinite(Math.fround(1 / temperature)))) {
    throw new Error(
      `multinomial: temperature must be a positive finite number above 2^-128, got ${temperature} (logits of shape ${fmt(logits.shape)})`,
    );
  }
  const { seed, stream } = attrs('multinomial', [], 0, 0, options);
  return runOp(randomOps.multinomial, [logits], { numSamples, temperature, seed, stream });
}
