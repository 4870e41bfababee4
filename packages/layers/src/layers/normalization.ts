// LayerNormalization (Ba et al. 2016): each sample normalised over its own feature axes — no batch
// statistics, so training and inference compute the same thing — then scaled by gamma and shifted by
// beta, learned per element of those axes (Keras's layout: gamma, then beta).
import { add, mean, mul, reshape, rsqrt, square, sub, type Shape, type Tensor, type Variable } from '@webgrad/core';
import { makeWeight, uniqueName, type BaseLayerOptions, type Layer } from '../layer.js';
import { defineLayer, describeLayer } from '../symbolic.js';

export interface LayerNormalizationOptions extends BaseLayerOptions {
  /** The axis or axes normalised over, counting the batch axis (Keras: -1, the features). */
  axis?: number | number[];
  /** Added to the variance (Keras: 1e-3). */
  epsilon?: number;
  /** Learn beta, an offset (Keras: true). */
  center?: boolean;
  /** Learn gamma, a scale (Keras: true). */
  scale?: boolean;
}

export function layerNormalization(options: LayerNormalizationOptions = {}): Layer {
  const { axis = -1, epsilon = 1e-3, center = true, scale = true } = options;
  const given = Array.isArray(axis) ? axis : [axis];
  if (given.length === 0 || !given.every((a) => Number.isInteger(a) && a !== 0)) {
    throw new Error(
      `layerNormalization: axis must be a non-zero integer or a list of them (0 is the batch axis), got ${JSON.stringify(axis)}`,
    );
  }
  if (!(typeof epsilon === 'number' && epsilon > 0)) {
    throw new Error(`layerNormalization: epsilon must be a positive number, got ${JSON.stringify(epsilon)}`);
  }
  /** The axes as indices of the full shape (batch axis 0), sorted, for a sample of this shape. */
  const axesFor = (s: Shape): number[] => {
    const rank = s.length + 1;
    const resolved = given.map((a) => (a < 0 ? a + rank : a));
    if (resolved.some((a) => a < 1 || a >= rank) || new Set(resolved).size !== resolved.length) {
      throw new Error(
        `layerNormalization: axis ${JSON.stringify(axis)} does not name distinct axes of an input of shape ` +
          `[${s.join(',')}] other than the batch axis`,
      );
    }
    return resolved.sort((a, b) => a - b);
  };
  // axesFor naming the layer, for an eager apply (a symbolic one names it around computeOutputShape)
  const namedAxesFor = (s: Shape): number[] => {
    try {
      return axesFor(s);
    } catch (error) {
      throw new Error(`${describeLayer(layer)}: ${(error as Error).message}`, { cause: error });
    }
  };
  let gamma: Variable | undefined, beta: Variable | undefined;
  let built = false;
  const layer: Layer = defineLayer({
    className: 'LayerNormalization',
    name: options.name ?? uniqueName('layer_normalization'),
    inputShape: options.inputShape,
    weights: [],
    get built() {
      return built;
    },
    build(inputShape, seed) {
      const paramShape = namedAxesFor(inputShape).map((a) => inputShape[a - 1]);
      if (scale) layer.weights.push((gamma = makeWeight(`${layer.name}/gamma`, paramShape, 'ones', seed)));
      if (center) layer.weights.push((beta = makeWeight(`${layer.name}/beta`, paramShape, 'zeros', seed + 1)));
      built = true;
    },
    computeOutputShape(s: Shape) {
      axesFor(s);
      return s;
    },
    call(x: Tensor) {
      const axes = namedAxesFor(x.shape.slice(1));
      const mu = mean(x, axes, true);
      const centered = sub(x, mu);
      const normalized = mul(centered, rsqrt(add(mean(square(centered), axes, true), epsilon)));
      // gamma and beta hold the normalised axes only; size-1 axes elsewhere let them broadcast
      const paramView = x.shape.map((d, i) => (axes.includes(i) ? d : 1));
      const scaled = gamma ? mul(normalized, reshape(gamma, paramView)) : normalized;
      return beta ? add(scaled, reshape(beta, paramView)) : scaled;
    },
    getConfig: () => ({ axis, epsilon, center, scale }),
  });
  return layer;
}
