// Elementwise ops on the GPU (shaders/elementwise/): unary functions and their fused derivatives,
// binary ops with broadcasting, and where. The op-code tables are typed by core's op unions and read
// from the codes reflected out of the shaders, so an op the core names and a shader lacks fails tsc.
import {
  broadcastStrides,
  sameShape,
  sizeOf,
  type BinaryOp,
  type Shape,
  type TensorInfo,
  type UnaryGradOp,
  type UnaryOp,
} from '@webgrad/core';
import { gridFor } from '../commands.js';
import type { GpuContext, GpuStorage } from '../context.js';
import { KERNEL_OPS } from '../generated/kernels.js';
import { coalesce } from './strides.js';

const UNARY_CODES: { readonly [K in UnaryOp]: number } = KERNEL_OPS.unary;
const UNARY_GRAD_CODES: { readonly [K in UnaryGradOp]: number } = KERNEL_OPS.unary_grad;
const BINARY_CODES: { readonly [K in BinaryOp]: number } = KERNEL_OPS.binary;
const BINARY_VEC4_CODES: { readonly [K in BinaryOp]: number } = KERNEL_OPS.binary_vec4;

/** `alpha` parameterises leakyRelu and elu. */
export function unary(ctx: GpuContext, op: UnaryOp, x: TensorInfo, alpha = 0): GpuStorage {
  const shape = x.shape;
  const out = ctx.allocate(shape);
  const size = sizeOf(shape);
  ctx.dispatch({
    kernel: 'unary',
    inputs: [ctx.buffer(x)],
    outputs: [out.buffer],
    overrides: { OP: UNARY_CODES[op] },
    params: { size, rank: shape.length, x_broadcast: 0, alpha, out_shape: shape, x_strides: [] },
    grid: gridFor(Math.ceil(size / 256)),
  });
  return out;
}

export function unaryGrad(
  ctx: GpuContext,
  op: UnaryGradOp,
  x: TensorInfo,
  y: TensorInfo,
  dy: TensorInfo,
  alpha = 0,
): GpuStorage {
  const out = ctx.allocate(dy.shape);
  const size = sizeOf(dy.shape);
  ctx.dispatch({
    kernel: 'unary_grad',
    inputs: [ctx.buffer(x), ctx.buffer(y), ctx.buffer(dy)],
    outputs: [out.buffer],
    overrides: { OP: UNARY_GRAD_CODES[op] },
    params: { size, alpha },
    grid: gridFor(Math.ceil(size / 256)),
  });
  return out;
}

export function binary(ctx: GpuContext, op: BinaryOp, a: TensorInfo, b: TensorInfo, outShape: Shape): GpuStorage {
  const out = ctx.allocate(outShape);
  const size = sizeOf(outShape);
  const aBroadcast = !sameShape(a.shape, outShape);
  const bBroadcast = !sameShape(b.shape, outShape);
  const merged = coalesce(outShape, [broadcastStrides(a.shape, outShape), broadcastStrides(b.shape, outShape)]);
  // Float32 operands four at a time (several times the general kernel's bandwidth; figures in
  // bench/RESULTS.md) when each has the output's shape or is one row, a multiple of 4 long, repeated
  // down the output's rows: gradients and residuals, and a batch norm's statistics against its input.
  const rowsOf = (broadcast: boolean, strides: readonly number[]) =>
    !broadcast ? 0 : merged.shape.length === 2 && strides[0] === 0 && strides[1] === 1 ? merged.shape[1] / 4 : -1;
  const aCols = rowsOf(aBroadcast, merged.strides[0]);
  const bCols = rowsOf(bBroadcast, merged.strides[1]);
  const rowsFit = !(aBroadcast || bBroadcast) || merged.shape[merged.shape.length - 1] % 4 === 0;
  if (
    size % 4 === 0 &&
    rowsFit &&
    aCols >= 0 &&
    bCols >= 0 &&
    !(aBroadcast && bBroadcast) &&
    a.dtype === 'float32' &&
    b.dtype === 'float32'
  ) {
    ctx.dispatch({
      kernel: 'binary_vec4',
      inputs: [ctx.buffer(a), ctx.buffer(b)],
      outputs: [out.buffer],
      overrides: { OP: BINARY_VEC4_CODES[op] },
      params: { size: size / 4, a_cols: aCols, b_cols: bCols },
      grid: gridFor(Math.ceil(size / 4 / 256)),
    });
    return out;
  }
  ctx.dispatch({
    kernel: 'binary',
    inputs: [ctx.buffer(a), ctx.buffer(b)],
    outputs: [out.buffer],
    overrides: { OP: BINARY_CODES[op] },
    params: {
      size,
      rank: merged.shape.length,
      a_broadcast: aBroadcast ? 1 : 0,
      b_broadcast: bBroadcast ? 1 : 0,
      out_shape: merged.shape,
      a_strides: aBroadcast ? merged.strides[0] : [],
      b_strides: bBroadcast ? merged.strides[1] : [],
    },
    grid: gridFor(Math.ceil(size / 256)),
  });
  return out;
}

/** condition (nonzero = true) ? a : b, all broadcast to `outShape`. */
export function where(
  ctx: GpuContext,
  condition: TensorInfo,
  a: TensorInfo,
  b: TensorInfo,
  outShape: Shape,
): GpuStorage {
  const out = ctx.allocate(outShape);
  const size = sizeOf(outShape);
  const merged = coalesce(outShape, [
    broadcastStrides(condition.shape, outShape),
    broadcastStrides(a.shape, outShape),
    broadcastStrides(b.shape, outShape),
  ]);
  ctx.dispatch({
    kernel: 'where',
    inputs: [ctx.buffer(condition), ctx.buffer(a), ctx.buffer(b)],
    outputs: [out.buffer],
    grid: gridFor(Math.ceil(size / 256)),
    params: {
      size,
      rank: merged.shape.length,
      out_shape: merged.shape,
      c_strides: merged.strides[0],
      a_strides: merged.strides[1],
      b_strides: merged.strides[2],
    },
  });
  return out;
}
