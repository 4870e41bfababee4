// Softmax and the losses on the GPU (shaders/loss/), each over the last axis of x viewed as
// [rows, cols]: softmax / logSoftmax and their backward, and the fused softmax-cross-entropy (loss or
// gradient in one pass), which records bad class labels in the data-errors buffer.
import { sizeOf, type TensorInfo } from '@webgrad/core';
import { gridFor, lanesFor } from '../commands.js';
import type { GpuContext, GpuStorage } from '../context.js';
import { KERNEL_OPS } from '../generated/kernels.js';

function rowsOf(x: TensorInfo) {
  const cols = x.shape[x.shape.length - 1];
  return { rows: cols === 0 ? 0 : sizeOf(x.shape) / cols, cols };
}

const softmaxCode = (log: boolean) => (log ? KERNEL_OPS.softmax.logSoftmax : KERNEL_OPS.softmax.softmax);
const softmaxGradCode = (log: boolean) => (log ? KERNEL_OPS.softmax_grad.logSoftmax : KERNEL_OPS.softmax_grad.softmax);

export function softmax(ctx: GpuContext, x: TensorInfo, log: boolean): GpuStorage {
  const out = ctx.allocate(x.shape);
  const { rows, cols } = rowsOf(x);
  ctx.dispatch({
    kernel: 'softmax',
    inputs: [ctx.buffer(x)],
    outputs: [out.buffer],
    overrides: { OP: softmaxCode(log) },
    params: { rows, cols },
    grid: gridFor(rows),
  });
  return out;
}

export function softmaxGrad(ctx: GpuContext, y: TensorInfo, dy: TensorInfo, log: boolean): GpuStorage {
  const out = ctx.allocate(y.shape);
  const { rows, cols } = rowsOf(y);
  ctx.dispatch({
    kernel: 'softmax_grad',
    inputs: [ctx.buffer(y), ctx.buffer(dy)],
    outputs: [out.buffer],
    overrides: { OP: softmaxGradCode(log) },
    params: { rows, cols },
    grid: gridFor(rows),
  });
  return out;
}

/** The loss per row, or (given dy) its gradient: labels int32 class indices or float32 distributions. */
function crossEntropy(ctx: GpuContext, logits: TensorInfo, labels: TensorInfo, dy: TensorInfo | undefined): GpuStorage {
  const { rows, cols } = rowsOf(logits);
  const out = ctx.allocate(dy ? logits.shape : [rows]);
  const lanes = lanesFor(cols);
  const labelsKind =
    labels.dtype === 'int32' ? KERNEL_OPS.softmax_cross_entropy.sparse : KERNEL_OPS.softmax_cross_entropy.dense;
  ctx.dispatch({
    kernel: 'softmax_cross_entropy',
    inputs: [ctx.buffer(logits), ctx.buffer(labels), ctx.buffer(dy ?? logits)],
    outputs: [out.buffer, ctx.dataErrors.buffer],
    overrides: { OP: labelsKind, LANES: lanes },
    params: { rows, classes: cols, backward: dy ? 1 : 0 },
    grid: gridFor(Math.ceil(rows / (64 / lanes))),
  });
  return out;
}

export function softmaxCrossEntropy(ctx: GpuContext, logits: TensorInfo, labels: TensorInfo): GpuStorage {
  return crossEntropy(ctx, logits, labels, undefined);
}

export function softmaxCrossEntropyGrad(
  ctx: GpuContext,
  logits: TensorInfo,
  labels: TensorInfo,
  dy: TensorInfo,
): GpuStorage {
  return crossEntropy(ctx, logits, labels, dy);
}
