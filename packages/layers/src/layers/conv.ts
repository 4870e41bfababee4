// Convolutional layers, NHWC: Conv1D, Conv2D, Conv2DTranspose (fused bias + activation when the
// epilogue computes it), MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D, and RandomTranslation
// (augmentation).
import {
  avgPool2d,
  cast,
  conv1d as conv1dOp,
  conv2d as conv,
  conv2dTranspose as conv2dTransposeOp,
  maxPool2d,
  mean,
  mul,
  randomUniform,
  sub,
  tensor,
  translate,
  type FusedActivation,
  type Padding,
  type Shape,
  type Tensor,
  type Variable,
} from '@webgrad/core';
import { getActivation, type Activation, type ActivationName } from '../activations.js';
import type { Initializer, InitializerName } from '../initializers.js';
import { describeInit, makeWeight, penalties, uniqueName, type BaseLayerOptions, type Layer } from '../layer.js';
import { defineLayer } from '../symbolic.js';
import { getRegularizer, type Regularizer } from '../regularizers.js';

type Pair = number | [number, number];
const pair = (v: Pair): [number, number] => (typeof v === 'number' ? [v, v] : v);

/** Output size of one axis, as core computes it. */
function outSize(size: number, kernel: number, stride: number, dilation: number, padding: Padding): number {
  return padding === 'same'
    ? Math.ceil(size / stride)
    : Math.floor((size - ((kernel - 1) * dilation + 1)) / stride) + 1;
}

/** Output size of one axis of a transposed convolution, as core (and Keras) compute it. */
const transposedSize = (size: number, kernel: number, stride: number, padding: Padding): number =>
  padding === 'same' ? size * stride : size * stride + Math.max(kernel - stride, 0);

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

export interface Conv1DOptions extends Omit<Conv2DOptions, 'kernelSize' | 'strides' | 'dilationRate'> {
  kernelSize: number;
  strides?: number;
  dilationRate?: number;
}

/** Conv2DTranspose's options: Conv2D's without dilation (it runs at dilation 1). */
export type Conv2DTransposeOptions = Omit<Conv2DOptions, 'dilationRate'>;

type ConvClassName = 'Conv1D' | 'Conv2D' | 'Conv2DTranspose';
const opNames = { Conv1D: 'conv1d', Conv2D: 'conv2d', Conv2DTranspose: 'conv2dTranspose' } as const;
const namePrefixes = { Conv1D: 'conv1d', Conv2D: 'conv2d', Conv2DTranspose: 'conv2d_transpose' } as const;

/**
 * Conv1D, Conv2D and Conv2DTranspose: a kernel (and bias) over `spatial` axes; the op runs the fused bias +
 * activation. The kernel is [kw, channels, filters], [kh, kw, channels, filters], or for the transpose
 * [kh, kw, filters, channels] (Keras's layout: the conv2d whose input gradient it is maps filters to channels).
 */
function convolution(className: ConvClassName, options: Conv2DOptions): Layer {
  const {
    filters,
    strides = 1,
    padding = 'valid',
    dilationRate = 1,
    useBias = true,
    kernelInitializer = 'glorotUniform',
    biasInitializer = 'zeros',
  } = options;
  const spatial = className === 'Conv1D' ? 1 : 2;
  const transposed = className === 'Conv2DTranspose';
  const op = opNames[className];
  const [kh, kw] = pair(options.kernelSize);
  if (!Number.isInteger(filters) || filters < 1) {
    throw new Error(`${op}: filters must be a positive integer, got ${filters}`);
  }
  if (![kh, kw].every((k) => Number.isInteger(k) && k >= 1)) {
    throw new Error(`${op}: kernelSize must be positive integers, got ${JSON.stringify(options.kernelSize)}`);
  }
  const act = getActivation(options.activation);
  const kernelRegularizer = getRegularizer(options.kernelRegularizer);
  let kernel: Variable | undefined, bias: Variable | undefined;
  const dims = spatial === 1 ? '[batch, length, channels]' : '[batch, height, width, channels]';
  const run = (x: Tensor, activation: FusedActivation): Tensor => {
    if (spatial === 1) {
      return conv1dOp(x, kernel!, {
        stride: strides as number,
        padding,
        dilation: dilationRate as number,
        bias,
        activation,
      });
    }
    if (transposed) return conv2dTransposeOp(x, kernel!, { strides, padding, bias, activation });
    return conv(x, kernel!, { strides, padding, dilations: dilationRate, bias, activation });
  };
  const apply = (x: Tensor, a: Activation) => {
    if (x.rank !== spatial + 2) {
      throw new Error(
        `${op} layer ${layer.name}: input must be ${spatial + 2}-D ${dims}, got shape [${x.shape.join(',')}]`,
      );
    }
    const y = run(x, a.fused ?? 'linear');
    return a.fused ? y : a.apply(y);
  };
  const kernelShape = (channels: number): Shape => {
    if (spatial === 1) return [kw, channels, filters];
    return transposed ? [kh, kw, filters, channels] : [kh, kw, channels, filters];
  };
  const layer: Layer = defineLayer({
    className,
    name: options.name ?? uniqueName(namePrefixes[className]),
    inputShape: options.inputShape,
    weights: [],
    get built() {
      return kernel !== undefined;
    },
    build(inputShape, seed) {
      if (inputShape.length !== spatial + 1) {
        throw new Error(
          `${op} layer ${layer.name}: input shape must be ${dims.replace('batch, ', '')}, got [${inputShape.join(',')}]`,
        );
      }
      kernel = makeWeight(`${layer.name}/kernel`, kernelShape(inputShape[spatial]), kernelInitializer, seed);
      layer.weights.push(kernel);
      if (useBias) layer.weights.push((bias = makeWeight(`${layer.name}/bias`, [filters], biasInitializer, seed + 1)));
    },
    computeOutputShape: (s: Shape) => {
      const [sh, sw] = pair(strides),
        [dh, dw] = pair(dilationRate);
      if (spatial === 1) return [outSize(s[0], kw, sw, dw, padding), filters];
      if (transposed) return [transposedSize(s[0], kh, sh, padding), transposedSize(s[1], kw, sw, padding), filters];
      return [outSize(s[0], kh, sh, dh, padding), outSize(s[1], kw, sw, dw, padding), filters];
    },
    activationName: act.name,
    call: (x) => apply(x, act),
    callLogits: (x) => apply(x, getActivation('linear')),
    regularizationLoss: () => penalties([[kernel, kernelRegularizer]]),
    getConfig: () => ({
      filters,
      kernelSize: spatial === 1 ? kw : [kh, kw],
      strides,
      padding,
      ...(!transposed && { dilationRate }),
      activation: act.name,
      useBias,
      kernelInitializer: describeInit(kernelInitializer),
      biasInitializer: describeInit(biasInitializer),
      kernelRegularizer: kernelRegularizer && { name: kernelRegularizer.name, config: kernelRegularizer.config },
    }),
  });
  return layer;
}

export const conv2d = (options: Conv2DOptions): Layer => convolution('Conv2D', options);
/** Conv1D over [batch, length, channels], kernel [kernelSize, channels, filters]. */
export const conv1d = (options: Conv1DOptions): Layer => convolution('Conv1D', options);
/**
 * Conv2DTranspose ("deconvolution") over [batch, height, width, channels], kernel [kh, kw, filters,
 * channels]: each output axis is size·stride ('same') or size·stride + max(kernel − stride, 0) ('valid').
 */
export const conv2dTranspose = (options: Conv2DTransposeOptions): Layer => convolution('Conv2DTranspose', options);

interface PoolOptions extends BaseLayerOptions {
  poolSize?: Pair;
  strides?: Pair;
  padding?: Padding;
}

const poolLayer =
  (className: string, prefix: string, op: typeof maxPool2d) =>
  (options: PoolOptions = {}): Layer => {
    const { poolSize = 2, padding = 'valid' } = options;
    const strides = options.strides ?? poolSize;
    if (![...pair(poolSize), ...pair(strides)].every((k) => Number.isInteger(k) && k >= 1)) {
      throw new Error(
        `${prefix}: poolSize and strides must be positive integers, got ${JSON.stringify(poolSize)} and ${JSON.stringify(strides)}`,
      );
    }
    return defineLayer({
      className,
      name: options.name ?? uniqueName(prefix),
      inputShape: options.inputShape,
      weights: [],
      built: true,
      build: () => {},
      computeOutputShape: ([h, w, c]: Shape) => {
        const [ph, pw] = pair(poolSize),
          [sh, sw] = pair(strides);
        return [outSize(h, ph, sh, 1, padding), outSize(w, pw, sw, 1, padding), c];
      },
      call: (x) => op(x, poolSize, strides, padding),
      getConfig: () => ({ poolSize, strides, padding }),
    });
  };

export const maxPooling2d = poolLayer('MaxPooling2D', 'max_pooling2d', maxPool2d);
export const averagePooling2d = poolLayer('AveragePooling2D', 'average_pooling2d', avgPool2d);

/** The mean over height and width: [batch, h, w, c] → [batch, c]. */
export function globalAveragePooling2d(options: BaseLayerOptions = {}): Layer {
  return defineLayer({
    className: 'GlobalAveragePooling2D',
    name: options.name ?? uniqueName('global_average_pooling2d'),
    inputShape: options.inputShape,
    weights: [],
    built: true,
    build: () => {},
    computeOutputShape: (s: Shape) => [s[2]],
    call: (x) => mean(x, [1, 2]),
    getConfig: () => ({}),
  });
}

export interface RandomTranslationOptions extends BaseLayerOptions {
  /** The largest shift up or down, as a fraction of the height (Keras's height_factor). */
  heightFactor: number;
  /** The largest shift left or right, as a fraction of the width; defaults to heightFactor. */
  widthFactor?: number;
  seed?: number;
}

/**
 * Data augmentation: in training, each image [height, width, channels] moves by a whole number of
 * pixels drawn uniformly from [−round(factor·size), round(factor·size)] per axis, on the device;
 * pixels moved in are 0 (Keras's fill_mode 'constant', nearest pixel). The identity at inference.
 */
export function randomTranslation(options: RandomTranslationOptions): Layer {
  const { heightFactor, widthFactor = heightFactor } = options;
  for (const [name, f] of [
    ['heightFactor', heightFactor],
    ['widthFactor', widthFactor],
  ] as const) {
    if (!(f >= 0 && f < 1)) throw new Error(`randomTranslation: ${name} must be in [0, 1), got ${f}`);
  }
  return defineLayer({
    className: 'RandomTranslation',
    name: options.name ?? uniqueName('random_translation'),
    inputShape: options.inputShape,
    weights: [],
    built: true,
    build: () => {},
    computeOutputShape: (s: Shape) => {
      if (s.length !== 3) {
        throw new Error(`randomTranslation: input shape must be [height, width, channels], got [${s.join(',')}]`);
      }
      return s;
    },
    call(x, { training, seed, stream = 0 }) {
      const [maxH, maxW] = [Math.round(heightFactor * x.shape[1]), Math.round(widthFactor * x.shape[2])];
      if (!training || (maxH === 0 && maxW === 0)) return x;
      // uniform integers in [0, 2m] per axis (casting truncates), then centred on 0
      const draws = mul(
        randomUniform([x.shape[0], 2], 0, 1, { seed: seed + (options.seed ?? 0), stream }),
        tensor([2 * maxH + 1, 2 * maxW + 1]),
      );
      const shifts = cast(sub(cast(cast(draws, 'int32'), 'float32'), tensor([maxH, maxW])), 'int32');
      return translate(x, shifts);
    },
    getConfig: () => ({ heightFactor, widthFactor }),
  });
}
