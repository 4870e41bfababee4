// Data movement on the GPU (shaders/movement/): fill, and every copy — broadcastTo, transpose,
// slice, concat, pad, assign — as the one strided `copy` kernel over raw 32-bit words (so int32
// passes unchanged); gather (its gradient is a segment sum, ops/segment.ts), oneHot, and cast.
import { broadcastStrides, sizeOf, stridesOf, type DType, type Shape, type TensorInfo } from '@webgrad/core';
import { gridFor } from '../commands.js';
import type { GpuContext, GpuStorage } from '../context.js';
import { KERNEL_OPS } from '../generated/kernels.js';
import { coalesce } from './strides.js';

const CAST_CODES: { readonly [K in DType]: number } = {
  int32: KERNEL_OPS.cast.toInt32,
  float32: KERNEL_OPS.cast.toFloat32,
};

export function fill(ctx: GpuContext, shape: Shape, value: number, dtype: DType): GpuStorage {
  const out = ctx.allocate(shape);
  const bits = new DataView(new ArrayBuffer(4));
  if (dtype === 'int32') bits.setInt32(0, value, true);
  else bits.setFloat32(0, value, true);
  ctx.fillWords(out.buffer, sizeOf(shape), bits.getUint32(0, true));
  return out;
}

/** One `copy` dispatch: the elements of `shape` from src (offset, strides) to dst (offset, strides). */
function copy(
  ctx: GpuContext,
  src: GPUBuffer,
  srcOffset: number,
  srcStrides: readonly number[],
  dst: GPUBuffer,
  dstOffset: number,
  dstStrides: readonly number[],
  shape: Shape,
): void {
  const size = sizeOf(shape);
  const merged = coalesce(shape, [srcStrides, dstStrides]);
  ctx.dispatch({
    kernel: 'copy',
    inputs: [src],
    outputs: [dst],
    grid: gridFor(Math.ceil(size / 256)),
    params: {
      size,
      rank: merged.shape.length,
      src_offset: srcOffset,
      dst_offset: dstOffset,
      shape: merged.shape,
      src_strides: merged.strides[0],
      dst_strides: merged.strides[1],
    },
  });
}

// stride 0 along the broadcast axes
export function broadcastTo(ctx: GpuContext, x: TensorInfo, shape: Shape): GpuStorage {
  const out = ctx.allocate(shape);
  copy(ctx, ctx.buffer(x), 0, broadcastStrides(x.shape, shape), out.buffer, 0, stridesOf(shape), shape);
  return out;
}

export function transpose(ctx: GpuContext, x: TensorInfo, perm: readonly number[]): GpuStorage {
  const shape = perm.map((p) => x.shape[p]);
  const strides = stridesOf(x.shape);
  const out = ctx.allocate(shape);
  copy(
    ctx,
    ctx.buffer(x),
    0,
    perm.map((p) => strides[p]),
    out.buffer,
    0,
    stridesOf(shape),
    shape,
  );
  return out;
}

/** Whether a slice of `size` out of `shape` is one run of memory: past its leading unit axes, every axis but the first is whole. */
function isOneRun(shape: Shape, size: readonly number[]): boolean {
  let d = 0;
  while (d < size.length && size[d] === 1) d++;
  for (let j = d + 1; j < size.length; j++) if (size[j] !== shape[j]) return false;
  return true;
}

export function slice(ctx: GpuContext, x: TensorInfo, begin: readonly number[], size: readonly number[]): GpuStorage {
  const strides = stridesOf(x.shape);
  const out = ctx.allocate(size);
  const offset = begin.reduce((o, b, d) => o + b * strides[d], 0);
  if (isOneRun(x.shape, size) && ctx.commands.copyBuffer(ctx.buffer(x), 4 * offset, out.buffer, 0, 4 * sizeOf(size))) {
    return out;
  }
  copy(ctx, ctx.buffer(x), offset, strides, out.buffer, 0, stridesOf(size), size);
  return out;
}

export function concat(ctx: GpuContext, xs: readonly TensorInfo[], axis: number, outShape: Shape): GpuStorage {
  const out = ctx.allocate(outShape);
  const outStrides = stridesOf(outShape);
  // past leading unit axes each input is one run of the output: a buffer copy (a memcpy on CPU adapters)
  const runs = outShape.slice(0, axis).every((d) => d === 1);
  let at = 0;
  for (const x of xs) {
    const dstOffset = at * outStrides[axis];
    const bytes = 4 * sizeOf(x.shape);
    if (!(runs && ctx.commands.copyBuffer(ctx.buffer(x), 0, out.buffer, 4 * dstOffset, bytes))) {
      copy(ctx, ctx.buffer(x), 0, stridesOf(x.shape), out.buffer, dstOffset, outStrides, x.shape);
    }
    at += x.shape[axis];
  }
  return out;
}

export function pad(
  ctx: GpuContext,
  x: TensorInfo,
  before: readonly number[],
  outShape: Shape,
  value: number,
): GpuStorage {
  const out = fill(ctx, outShape, value, x.dtype);
  const outStrides = stridesOf(outShape);
  copy(
    ctx,
    ctx.buffer(x),
    0,
    stridesOf(x.shape),
    out.buffer,
    before.reduce((o, b, d) => o + b * outStrides[d], 0),
    outStrides,
    x.shape,
  );
  return out;
}

/** target's elements replaced by source's, in place (a Variable's update). */
export function assign(ctx: GpuContext, target: TensorInfo, source: TensorInfo): void {
  const strides = stridesOf(source.shape);
  copy(ctx, ctx.buffer(source), 0, strides, ctx.buffer(target), 0, strides, source.shape);
}

function gatherParams(axis: number, xShape: Shape, indices: TensorInfo, size: number) {
  return {
    size,
    axis_size: xShape[axis],
    num_indices: sizeOf(indices.shape),
    inner: Math.max(1, sizeOf(xShape.slice(axis + 1))),
  };
}

export function gather(ctx: GpuContext, x: TensorInfo, indices: TensorInfo, axis: number): GpuStorage {
  const shape = [...x.shape.slice(0, axis), ...indices.shape, ...x.shape.slice(axis + 1)];
  const out = ctx.allocate(shape);
  const size = sizeOf(shape);
  ctx.dispatch({
    kernel: 'gather',
    inputs: [ctx.buffer(x), ctx.buffer(indices)],
    outputs: [out.buffer, ctx.dataErrors.buffer],
    params: gatherParams(axis, x.shape, indices, size),
    grid: gridFor(Math.ceil(size / 256)),
  });
  return out;
}

export function oneHot(
  ctx: GpuContext,
  indices: TensorInfo,
  depth: number,
  onValue: number,
  offValue: number,
): GpuStorage {
  const shape = [...indices.shape, depth];
  const size = sizeOf(shape);
  const out = ctx.allocate(shape);
  ctx.dispatch({
    kernel: 'one_hot',
    inputs: [ctx.buffer(indices)],
    outputs: [out.buffer],
    params: { size, depth, on_value: onValue, off_value: offValue },
    grid: gridFor(Math.ceil(size / 256)),
  });
  return out;
}

export function cast(ctx: GpuContext, x: TensorInfo, dtype: DType): GpuStorage {
  const out = ctx.allocate(x.shape);
  const size = sizeOf(x.shape);
  ctx.dispatch({
    kernel: 'cast',
    inputs: [ctx.buffer(x)],
    outputs: [out.buffer],
    overrides: { OP: CAST_CODES[dtype] },
    params: { size },
    grid: gridFor(Math.ceil(size / 256)),
  });
  return out;
}
