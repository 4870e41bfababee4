// Convolution and pooling, NHWC data with HWIO filters, forward and backward: conv2d (strides,
// 'same'/'valid' padding, dilation, a fused bias + activation epilogue as Dense has), conv2dTranspose
// (conv2d's input gradient as a forward op, its backward conv2d's forward and filter gradient),
// maxPool2d, avgPool2d, conv1d as a conv2d of height 1, and translate (images moved by whole pixels).
// How a backend computes a convolution (direct kernels or im2col + GEMM) is its own affair.
import { FUSED_ACTIVATIONS, type Conv2DGeometry, type FusedActivation, type PoolKind } from '../backend.js';
import { fmt } from '../dtype.js';
import { runOp, type OpDef } from '../engine.js';
import type { Tensor } from '../tensor.js';
import { activationGrad, requireFloat } from './elementwise.js';
import { reshape } from './movement.js';

export type Padding = 'same' | 'valid';
type Pair = number | readonly [number, number];
const pair = (v: Pair): [number, number] => (typeof v === 'number' ? [v, v] : [v[0], v[1]]);

/** Output size and leading pad of one spatial axis, as TF computes them. */
function axisGeometry(op: string, size: number, kernel: number, stride: number, dilation: number, padding: Padding) {
  const span = (kernel - 1) * dilation + 1;
  if (padding === 'valid') {
    if (span > size) {
      throw new Error(
        `${op}: a window of ${span} (kernel ${kernel}, dilation ${dilation}) is larger than the input's ${size} with 'valid' padding`,
      );
    }
    return { out: Math.floor((size - span) / stride) + 1, pad: 0 };
  }
  const out = Math.ceil(size / stride);
  return { out, pad: Math.floor(Math.max((out - 1) * stride + span - size, 0) / 2) };
}

export function convGeometry(
  op: string,
  xShape: readonly number[],
  kh: number,
  kw: number,
  strides: Pair,
  padding: Padding,
  dilations: Pair,
): Conv2DGeometry {
  const [N, H, W, C] = xShape;
  const [strideH, strideW] = pair(strides),
    [dilationH, dilationW] = pair(dilations);
  for (const [name, v] of [
    ['kernel sizes', kh],
    ['kernel sizes', kw],
    ['strides', strideH],
    ['strides', strideW],
    ['dilations', dilationH],
    ['dilations', dilationW],
  ] as const) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`${op}: ${name} must be positive integers, got ${v}`);
  }
  if (padding !== 'same' && padding !== 'valid') {
    throw new Error(`${op}: padding must be 'same' or 'valid', got '${padding as string}'`);
  }
  const h = axisGeometry(op, H, kh, strideH, dilationH, padding),
    w = axisGeometry(op, W, kw, strideW, dilationW, padding);
  return {
    N,
    H,
    W,
    C,
    OH: h.out,
    OW: w.out,
    KH: kh,
    KW: kw,
    strideH,
    strideW,
    dilationH,
    dilationW,
    padTop: h.pad,
    padLeft: w.pad,
  };
}

export interface Conv2DAttrs {
  readonly geometry: Conv2DGeometry;
  readonly activation: FusedActivation;
}
export interface PoolAttrs {
  readonly geometry: Conv2DGeometry;
  readonly kind: PoolKind;
}
export interface TranslateAttrs {
  readonly direction: 1 | -1;
}

const inputGradOp: OpDef<Conv2DAttrs> = {
  name: 'conv2dInputGrad',
  infer: ([dy], { geometry: g }) => ({ shape: [g.N, g.H, g.W, g.C], dtype: dy.dtype }),
  kernel: (backend, [dy, filter], { geometry }) => backend.conv2dInputGrad(dy, filter, geometry),
  // linear in each argument: ⟨g, inputGrad(dy, f)⟩ = ⟨conv2d(g, f), dy⟩, so the gradient of a gradient
  // (a penalty on ∂D/∂x) needs only conv2d and its filter gradient
  grad: (g, [dy, filter], _, { geometry }) => [
    () => runOp(conv2dOp, [g, filter], { geometry, activation: 'linear' }),
    () => runOp(filterGradOp, [g, dy], { geometry, activation: 'linear' }),
  ],
};
const filterGradOp: OpDef<Conv2DAttrs> = {
  name: 'conv2dFilterGrad',
  infer: ([, dy], { geometry: g }) => ({ shape: [g.KH, g.KW, g.C, dy.shape[3]], dtype: dy.dtype }),
  kernel: (backend, [x, dy], { geometry }) => backend.conv2dFilterGrad(x, dy, geometry),
  // ⟨G, filterGrad(x, dy)⟩ = ⟨conv2d(x, G), dy⟩: linear in x and in dy likewise
  grad: (g, [x, dy], _, { geometry }) => [
    () => runOp(inputGradOp, [dy, g], { geometry, activation: 'linear' }),
    () => runOp(conv2dOp, [x, g], { geometry, activation: 'linear' }),
  ],
};
const poolGradOp: OpDef<PoolAttrs> = {
  name: 'pool2dGrad',
  infer: ([x]) => ({ shape: x.shape, dtype: x.dtype }),
  kernel: (backend, [x, dy], { kind, geometry }) => backend.pool2dGrad(kind, x, dy, geometry),
  // reached only by a gradient of a gradient through pooling: refused by name rather than left at zero
  grad: (_, [x], __, { kind }) => {
    const refuse = (): Tensor => {
      throw new Error(
        `pool2dGrad: the gradient of ${kind} pooling's gradient (input ${fmt(x.shape)}) is not implemented; ` +
          'a gradient penalty cannot go through a pooling layer yet: use strided convolutions',
      );
    };
    return [refuse, refuse];
  },
};

// moving by s with zero fill is adjoint to moving by −s with zero fill; the shifts are constants
const translateOp: OpDef<TranslateAttrs> = {
  name: 'translate',
  infer: ([x]) => ({ shape: x.shape, dtype: x.dtype }),
  kernel: (backend, [x, shifts], { direction }) => backend.translate(x, shifts, direction),
  grad: (dy, [, shifts], _, { direction }) => [
    () => runOp(translateOp, [dy, shifts], { direction: direction === 1 ? -1 : 1 }),
    null,
  ],
};

// y = act(z), z = conv(x, f) + b: dz from y, then dz back through the taps to x and to f; db = Σ dz
const conv2dOp: OpDef<Conv2DAttrs> = {
  name: 'conv2d',
  infer: ([x, filter], { geometry: g }) => ({ shape: [g.N, g.OH, g.OW, filter.shape[3]], dtype: x.dtype }),
  kernel: (backend, [x, filter, bias], { geometry, activation }) =>
    backend.conv2d(x, filter, geometry, { bias, activation }),
  grad: (dy, [x, filter], y, attrs) => {
    let dz: Tensor | undefined;
    const gradZ = () => (dz ??= activationGrad(attrs.activation, y, dy));
    return [
      () => runOp(inputGradOp, [gradZ(), filter], attrs),
      () => runOp(filterGradOp, [x, gradZ()], attrs),
      () => gradZ(),
    ];
  },
};

// The geometry is that of the conv2d whose input gradient this is: its input [N, H, W, C] is y's shape,
// its output [N, OH, OW, CO] is x's. So z = conv2d's input gradient of x, dz/dx is conv2d's forward, and
// dz/df is conv2d's filter gradient with dz in the input's place and x in dy's; db = Σ dz.
const conv2dTransposeOp: OpDef<Conv2DAttrs> = {
  name: 'conv2dTranspose',
  infer: ([x], { geometry: g }) => ({ shape: [g.N, g.H, g.W, g.C], dtype: x.dtype }),
  kernel: (backend, [x, filter, bias], { geometry, activation }) =>
    backend.conv2dInputGrad(x, filter, geometry, { bias, activation }),
  grad: (dy, [x, filter], y, attrs) => {
    let dz: Tensor | undefined;
    const gradZ = () => (dz ??= activationGrad(attrs.activation, y, dy));
    return [
      () => runOp(conv2dOp, [gradZ(), filter], { geometry: attrs.geometry, activation: 'linear' }),
      () => runOp(filterGradOp, [gradZ(), x], attrs),
      () => gradZ(),
    ];
  },
};

export const convOps = {
  conv2d: conv2dOp,
  conv2dTranspose: conv2dTransposeOp,
  pool2d: {
    name: 'pool2d',
    infer: ([x], { geometry: g }) => ({ shape: [g.N, g.OH, g.OW, g.C], dtype: x.dtype }),
    kernel: (backend, [x], { kind, geometry }) => backend.pool2d(kind, x, geometry),
    grad: (dy, [x], _, attrs) => [() => runOp(poolGradOp, [x, dy], attrs)],
  } satisfies OpDef<PoolAttrs>,
  translate: translateOp,
};

export interface Conv2DArgs {
  strides?: Pair;
  padding?: Padding;
  dilations?: Pair;
  /** [CO], added to every output position. */
  bias?: Tensor;
  activation?: FusedActivation;
}

/** 2-D convolution of x [N, H, W, C] with filter [KH, KW, C, CO]; optional fused bias + activation. */
export function conv2d(
  x: Tensor,
  filter: Tensor,
  { strides = 1, padding = 'valid', dilations = 1, bias, activation = 'linear' }: Conv2DArgs = {},
): Tensor {
  requireFloat('conv2d', x, filter);
  if (x.rank !== 4) {
    throw new Error(`conv2d: input must be 4-D [batch, height, width, channels], got shape ${fmt(x.shape)}`);
  }
  if (filter.rank !== 4) {
    throw new Error(`conv2d: filter must be 4-D [height, width, in, out], got shape ${fmt(filter.shape)}`);
  }
  if (filter.shape[2] !== x.shape[3]) {
    throw new Error(
      `conv2d: input has ${x.shape[3]} channels (shape ${fmt(x.shape)}) ` +
        `but the filter expects ${filter.shape[2]} (shape ${fmt(filter.shape)})`,
    );
  }
  if (bias && (bias.rank !== 1 || bias.shape[0] !== filter.shape[3])) {
    throw new Error(
      `conv2d: bias of shape ${fmt(bias.shape)} does not fit ${filter.shape[3]} output channels; expected [${filter.shape[3]}]`,
    );
  }
  if (!FUSED_ACTIVATIONS.includes(activation)) {
    throw new Error(
      `conv2d: activation '${activation}' cannot be fused; expected one of ${FUSED_ACTIVATIONS.join(', ')}`,
    );
  }
  const geometry = convGeometry('conv2d', x.shape, filter.shape[0], filter.shape[1], strides, padding, dilations);
  return runOp(convOps.conv2d, bias ? [x, filter, bias] : [x, filter], { geometry, activation });
}

export interface Conv2DTransposeArgs {
  strides?: Pair;
  padding?: Padding;
  /** [CO], added to every output position. */
  bias?: Tensor;
  activation?: FusedActivation;
}

/** Output size of one axis of a transposed convolution, by Keras's deconv_output_length (no output padding). */
const transposedSize = (size: number, kernel: number, stride: number, padding: Padding) =>
  padding === 'same' ? size * stride : size * stride + Math.max(kernel - stride, 0);

/**
 * Transposed 2-D convolution (the adjoint of conv2d, "deconvolution") of x [N, H, W, CI] with filter
 * [KH, KW, CO, CI], laid out as TF.js and Keras lay out Conv2DTranspose's kernel: y [N, OH, OW, CO] with
 * OH = H·stride for 'same' and H·stride + max(KH − stride, 0) for 'valid' (likewise OW); optional fused
 * bias + activation.
 */
export function conv2dTranspose(
  x: Tensor,
  filter: Tensor,
  { strides = 1, padding = 'valid', bias, activation = 'linear' }: Conv2DTransposeArgs = {},
): Tensor {
  requireFloat('conv2dTranspose', x, filter);
  if (x.rank !== 4) {
    throw new Error(`conv2dTranspose: input must be 4-D [batch, height, width, channels], got shape ${fmt(x.shape)}`);
  }
  if (filter.rank !== 4) {
    throw new Error(`conv2dTranspose: filter must be 4-D [height, width, out, in], got shape ${fmt(filter.shape)}`);
  }
  const [KH, KW, CO, CI] = filter.shape;
  if (CI !== x.shape[3]) {
    throw new Error(
      `conv2dTranspose: input has ${x.shape[3]} channels (shape ${fmt(x.shape)}) ` +
        `but the filter [height, width, out, in] expects ${CI} (shape ${fmt(filter.shape)})`,
    );
  }
  if (bias && (bias.rank !== 1 || bias.shape[0] !== CO)) {
    throw new Error(
      `conv2dTranspose: bias of shape ${fmt(bias.shape)} does not fit ${CO} output channels; expected [${CO}]`,
    );
  }
  if (!FUSED_ACTIVATIONS.includes(activation)) {
    throw new Error(
      `conv2dTranspose: activation '${activation}' cannot be fused; expected one of ${FUSED_ACTIVATIONS.join(', ')}`,
    );
  }
  const [strideH, strideW] = pair(strides);
  const [N, H, W] = x.shape;
  const outShape = [N, transposedSize(H, KH, strideH, padding), transposedSize(W, KW, strideW, padding), CO];
  // convGeometry checks strides and padding before it uses them
  const geometry = convGeometry('conv2dTranspose', outShape, KH, KW, strides, padding, 1);
  return runOp(convOps.conv2dTranspose, bias ? [x, filter, bias] : [x, filter], { geometry, activation });
}

export interface Conv1DArgs extends Omit<Conv2DArgs, 'strides' | 'dilations'> {
  stride?: number;
  dilation?: number;
}

/** 1-D convolution of x [N, L, C] with filter [K, C, CO]: a conv2d over a height of 1 (reshapes are free). */
export function conv1d(x: Tensor, filter: Tensor, { stride = 1, dilation = 1, ...rest }: Conv1DArgs = {}): Tensor {
  if (x.rank !== 3) throw new Error(`conv1d: input must be 3-D [batch, length, channels], got shape ${fmt(x.shape)}`);
  if (filter.rank !== 3) throw new Error(`conv1d: filter must be 3-D [width, in, out], got shape ${fmt(filter.shape)}`);
  if (filter.shape[1] !== x.shape[2]) {
    throw new Error(
      `conv1d: input has ${x.shape[2]} channels (shape ${fmt(x.shape)}) ` +
        `but the filter expects ${filter.shape[1]} (shape ${fmt(filter.shape)})`,
    );
  }
  const y = conv2d(reshape(x, [x.shape[0], 1, x.shape[1], x.shape[2]]), reshape(filter, [1, ...filter.shape]), {
    ...rest,
    strides: [1, stride],
    dilations: [1, dilation],
  });
  return reshape(y, [y.shape[0], y.shape[2], y.shape[3]]);
}

function pool(
  kind: PoolKind,
  op: string,
  x: Tensor,
  poolSize: Pair,
  strides: Pair | undefined,
  padding: Padding,
): Tensor {
  requireFloat(op, x);
  if (x.rank !== 4) {
    throw new Error(`${op}: input must be 4-D [batch, height, width, channels], got shape ${fmt(x.shape)}`);
  }
  const [kh, kw] = pair(poolSize);
  const geometry = convGeometry(op, x.shape, kh, kw, strides ?? poolSize, padding, 1);
  return runOp(convOps.pool2d, [x], { geometry, kind });
}

/** The max over each poolSize window (strides default to the window). */
export const maxPool2d = (x: Tensor, poolSize: Pair = 2, strides?: Pair, padding: Padding = 'valid'): Tensor =>
  pool('max', 'maxPool2d', x, poolSize, strides, padding);
/** The mean over each poolSize window, padding not counted. */
export const avgPool2d = (x: Tensor, poolSize: Pair = 2, strides?: Pair, padding: Padding = 'valid'): Tensor =>
  pool('avg', 'avgPool2d', x, poolSize, strides, padding);

/**
 * Images x [N, H, W, C] each moved by whole pixels: shifts is int32 [N, 2] of (rows down, columns
 * right); pixels moved in from outside are 0. Random shifts make the RandomTranslation layer.
 */
export function translate(x: Tensor, shifts: Tensor): Tensor {
  requireFloat('translate', x);
  if (x.rank !== 4) {
    throw new Error(`translate: images must be 4-D [batch, height, width, channels], got shape ${fmt(x.shape)}`);
  }
  if (shifts.dtype !== 'int32' || shifts.rank !== 2 || shifts.shape[0] !== x.shape[0] || shifts.shape[1] !== 2) {
    throw new Error(
      `translate: shifts of shape ${fmt(shifts.shape)} (${shifts.dtype}) do not fit images ${fmt(x.shape)}; ` +
        `expected int32 [${x.shape[0]}, 2]`,
    );
  }
  return runOp(convOps.translate, [x, shifts], { direction: 1 });
}
