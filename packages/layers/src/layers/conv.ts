// Convolutional layers, NHWC: Conv2D (fused bias + activation when the epilogue computes it),
// MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D. Imports @webgrad/core and the layer helpers.
import { avgPool2d, conv2d as conv, maxPool2d, mean, type Padding, type Shape, type Tensor, type Variable } from '@webgrad/core';
import { getActivation, type Activation, type ActivationName } from '../activations.js';
import type { Initializer, InitializerName } from '../initializers.js';
import { describeInit, makeWeight, penalties, uniqueName, type BaseLayerOptions, type Layer } from '../layer.js';
import { getRegularizer, type Regularizer } from '../regularizers.js';

type Pair = number | [number, number];
const pair = (v: Pair): [number, number] => (typeof v === 'number' ? [v, v] : v);

/** Output size of one axis, as core computes it. */
function outSize(size: number, kernel: number, stride: number, dilation: number, padding: Padding): number {
  return padding === 'same' ? Math.ceil(size / stride) : Math.floor((size - ((kernel - 1) * dilation + 1)) / stride) + 1;
}

export interface Conv2DOptions extends BaseLayerOptions {
  filters: number;
  kernelSize: Pair;
  strides?: Pair;
  padding?: Padding;
  dilationRate?: Pair;
  activation?: ActivationName | Activation;
  useBias?: boolean;
  kernelInitializer?: InitializerName | Initializer;
  biasInitializer?: InitializerName | Initializer;
  kernelRegularizer?: 'l1' | 'l2' | 'l1l2' | Regularizer;
}

export function conv2d(options: Conv2DOptions): Layer {
  const { filters, strides = 1, padding = 'valid', dilationRate = 1, useBias = true, kernelInitializer = 'glorotUniform', biasInitializer = 'zeros' } = options;
  const [kh, kw] = pair(options.kernelSize);
  if (!Number.isInteger(filters) || filters < 1) throw new Error(`conv2d: filters must be a positive integer, got ${filters}`);
  if (![kh, kw].every((k) => Number.isInteger(k) && k >= 1)) throw new Error(`conv2d: kernelSize must be positive integers, got ${JSON.stringify(options.kernelSize)}`);
  const act = getActivation(options.activation);
  const kernelRegularizer = getRegularizer(options.kernelRegularizer);
  let kernel: Variable | undefined, bias: Variable | undefined;
  const apply = (x: Tensor, a: Activation) => {
    if (x.rank !== 4) throw new Error(`conv2d layer ${layer.name}: input must be 4-D [batch, height, width, channels], got shape [${x.shape.join(',')}]`);
    const y = conv(x, kernel!, { strides, padding, dilations: dilationRate, bias, activation: a.fused ?? 'linear' });
    return a.fused ? y : a.apply(y);
  };
  const layer: Layer = {
    className: 'Conv2D',
    name: options.name ?? uniqueName('conv2d'),
    inputShape: options.inputShape,
    weights: [],
    get built() { return kernel !== undefined; },
    build(inputShape, seed) {
      if (inputShape.length !== 3) throw new Error(`conv2d layer ${layer.name}: input shape must be [height, width, channels], got [${inputShape.join(',')}]`);
      kernel = makeWeight(`${layer.name}/kernel`, [kh, kw, inputShape[2], filters], kernelInitializer, seed);
      layer.weights.push(kernel);
      if (useBias) layer.weights.push((bias = makeWeight(`${layer.name}/bias`, [filters], biasInitializer, seed + 1)));
    },
    computeOutputShape: ([h, w]: Shape) => {
      const [sh, sw] = pair(strides), [dh, dw] = pair(dilationRate);
      return [outSize(h, kh, sh, dh, padding), outSize(w, kw, sw, dw, padding), filters];
    },
    activationName: act.name,
    call: (x) => apply(x, act),
    callLogits: (x) => apply(x, getActivation('linear')),
    regularizationLoss: () => penalties([[kernel, kernelRegularizer]]),
    getConfig: () => ({
      filters, kernelSize: [kh, kw], strides, padding, dilationRate, activation: act.name, useBias,
      kernelInitializer: describeInit(kernelInitializer), biasInitializer: describeInit(biasInitializer),
    }),
  };
  return layer;
}

interface PoolOptions extends BaseLayerOptions { poolSize?: Pair; strides?: Pair; padding?: Padding }

const poolLayer = (className: string, prefix: string, op: typeof maxPool2d) => (options: PoolOptions = {}): Layer => {
  const { poolSize = 2, padding = 'valid' } = options;
  const strides = options.strides ?? poolSize;
  if (![...pair(poolSize), ...pair(strides)].every((k) => Number.isInteger(k) && k >= 1)) {
    throw new Error(`${prefix}: poolSize and strides must be positive integers, got ${JSON.stringify(poolSize)} and ${JSON.stringify(strides)}`);
  }
  return {
    className, name: options.name ?? uniqueName(prefix), inputShape: options.inputShape, weights: [], built: true, build: () => {},
    computeOutputShape: ([h, w, c]: Shape) => {
      const [ph, pw] = pair(poolSize), [sh, sw] = pair(strides);
      return [outSize(h, ph, sh, 1, padding), outSize(w, pw, sw, 1, padding), c];
    },
    call: (x) => op(x, poolSize, strides, padding),
    getConfig: () => ({ poolSize, strides, padding }),
  };
};

export const maxPooling2d = poolLayer('MaxPooling2D', 'max_pooling2d', maxPool2d);
export const averagePooling2d = poolLayer('AveragePooling2D', 'average_pooling2d', avgPool2d);

/** The mean over height and width: [batch, h, w, c] → [batch, c]. */
export function globalAveragePooling2d(options: BaseLayerOptions = {}): Layer {
  return {
    className: 'GlobalAveragePooling2D', name: options.name ?? uniqueName('global_average_pooling2d'), inputShape: options.inputShape,
    weights: [], built: true, build: () => {},
    computeOutputShape: (s: Shape) => [s[2]],
    call: (x) => mean(x, [1, 2]),
    getConfig: () => ({}),
  };
}
