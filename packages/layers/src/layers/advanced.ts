// Layers with weights beyond Dense: BatchNormalization (batch statistics in training, moving averages
// at inference), PReLU (a learned slope for negative inputs) and Maxout (the max over k linear pieces,
// Goodfellow et al. 2013).
import {
  add,
  fusedMatmul,
  maximum,
  mean,
  minimum,
  mul,
  relu,
  reshape,
  rsqrt,
  slice,
  square,
  sub,
  tidy,
  type Shape,
  type Tensor,
  type Variable,
} from '@webgrad/core';
import type { Initializer, InitializerName } from '../initializers.js';
import { describeInit, makeWeight, uniqueName, type BaseLayerOptions, type Layer } from '../layer.js';
import { defineLayer } from '../symbolic.js';

export interface BatchNormalizationOptions extends BaseLayerOptions {
  /** Weight of the old value in the moving averages (Keras: 0.99). */
  momentum?: number;
  epsilon?: number;
}

/** Normalises over every axis but the last (the features). */
export function batchNormalization(options: BatchNormalizationOptions = {}): Layer {
  const { momentum = 0.99, epsilon = 1e-3 } = options;
  let gamma: Variable, beta: Variable, movingMean: Variable, movingVariance: Variable;
  const layer: Layer = defineLayer({
    className: 'BatchNormalization',
    name: options.name ?? uniqueName('batch_normalization'),
    inputShape: options.inputShape,
    weights: [],
    get built() {
      return gamma !== undefined;
    },
    build(inputShape, seed) {
      const features = [inputShape[inputShape.length - 1]];
      gamma = makeWeight(`${layer.name}/gamma`, features, 'ones', seed);
      beta = makeWeight(`${layer.name}/beta`, features, 'zeros', seed);
      movingMean = makeWeight(`${layer.name}/moving_mean`, features, 'zeros', seed, false);
      movingVariance = makeWeight(`${layer.name}/moving_variance`, features, 'ones', seed, false);
      layer.weights.push(gamma, beta, movingMean, movingVariance);
    },
    computeOutputShape: (s: Shape) => s,
    call(x: Tensor, context) {
      // a frozen BatchNormalization runs in inference mode, as Keras's does
      const training = context.training && layer.trainable;
      const axes = x.shape.slice(0, -1).map((_, i) => i);
      if (!training) return add(mul(mul(sub(x, movingMean), rsqrt(add(movingVariance, epsilon))), gamma), beta);
      const batchMean = mean(x, axes);
      const centered = sub(x, batchMean);
      const batchVariance = mean(square(centered), axes);
      // The moving averages change in place; they are statistics, not parameters, so no gradient.
      tidy(() => {
        movingMean.assign(add(mul(movingMean, momentum), mul(batchMean, 1 - momentum)));
        movingVariance.assign(add(mul(movingVariance, momentum), mul(batchVariance, 1 - momentum)));
      });
      return add(mul(mul(centered, rsqrt(add(batchVariance, epsilon))), gamma), beta);
    },
    getConfig: () => ({ momentum, epsilon }),
  });
  return layer;
}

/** max(x, 0) + α·min(x, 0) with α learned per input element (Keras's default: no shared axes). */
export function prelu(options: BaseLayerOptions & { alphaInitializer?: InitializerName | Initializer } = {}): Layer {
  const { alphaInitializer = 'zeros' } = options;
  let alpha: Variable | undefined;
  const layer: Layer = defineLayer({
    className: 'PReLU',
    name: options.name ?? uniqueName('p_re_lu'),
    inputShape: options.inputShape,
    weights: [],
    get built() {
      return alpha !== undefined;
    },
    build(inputShape, seed) {
      layer.weights.push((alpha = makeWeight(`${layer.name}/alpha`, inputShape, alphaInitializer, seed)));
    },
    computeOutputShape: (s: Shape) => s,
    call: (x: Tensor) => add(relu(x), mul(alpha!, minimum(x, 0))),
    getConfig: () => ({ alphaInitializer: describeInit(alphaInitializer) }),
  });
  return layer;
}

/** units outputs, each the max over `pieces` affine functions of the input. */
export function maxout(
  options: BaseLayerOptions & { units: number; pieces: number; kernelInitializer?: InitializerName | Initializer },
): Layer {
  const { units, pieces, kernelInitializer = 'glorotUniform' } = options;
  if (!Number.isInteger(units) || units < 1 || !Number.isInteger(pieces) || pieces < 1) {
    throw new Error(`maxout: units and pieces must be positive integers, got ${units} and ${pieces}`);
  }
  let kernel: Variable | undefined, bias: Variable | undefined;
  const layer: Layer = defineLayer({
    className: 'Maxout',
    name: options.name ?? uniqueName('maxout'),
    inputShape: options.inputShape,
    weights: [],
    get built() {
      return kernel !== undefined;
    },
    build(inputShape, seed) {
      kernel = makeWeight(
        `${layer.name}/kernel`,
        [inputShape[inputShape.length - 1], pieces * units],
        kernelInitializer,
        seed,
      );
      bias = makeWeight(`${layer.name}/bias`, [pieces * units], 'zeros', seed + 1);
      layer.weights.push(kernel, bias);
    },
    computeOutputShape: (s: Shape) => [...s.slice(0, -1), units],
    call(x: Tensor) {
      // z: [batch, pieces, units]; the max over pieces, folded pairwise (its gradient picks the winner)
      const z = reshape(fusedMatmul({ a: x, b: kernel!, bias }), [x.shape[0], pieces, units]);
      let best = slice(z, [0, 0, 0], [-1, 1, -1]);
      for (let p = 1; p < pieces; p++) best = maximum(best, slice(z, [0, p, 0], [-1, 1, -1]));
      return reshape(best, [x.shape[0], units]);
    },
    getConfig: () => ({ units, pieces, kernelInitializer: describeInit(kernelInitializer) }),
  });
  return layer;
}
