// Optimizer updates on the GPU (shaders/optim/): one fused kernel per step that reads the parameter,
// its gradient and the rule's state and writes them in place, and the global-norm clipping scale.
import { sizeOf, type OptimizerHyper, type OptimizerKind, type TensorInfo } from '@webgrad/core';
import { gridFor } from '../commands.js';
import type { GpuContext, GpuStorage } from '../context.js';
import { KERNEL_OPS } from '../generated/kernels.js';

const OPTIMIZER_CODES: { readonly [K in OptimizerKind]: number } = KERNEL_OPS.optimizer_step;

/**
 * Bound where a rule keeps fewer states or no scale is given: distinct, since two writable bindings
 * of one buffer are invalid. `one` holds 1.0, the identity scale. One set per context.
 */
interface Spares {
  readonly state0: GPUBuffer;
  readonly state1: GPUBuffer;
  readonly one: GPUBuffer;
}
const sparesOf = new WeakMap<GpuContext, Spares>();

function spares(ctx: GpuContext): Spares {
  let found = sparesOf.get(ctx);
  if (!found) {
    const one = ctx.upload([1], 'float32').buffer;
    found = { state0: ctx.allocate([1]).buffer, state1: ctx.allocate([1]).buffer, one };
    sparesOf.set(ctx, found);
  }
  return found;
}

export function optimizerStep(
  ctx: GpuContext,
  kind: OptimizerKind,
  param: TensorInfo,
  grad: TensorInfo,
  state: readonly TensorInfo[],
  h: OptimizerHyper,
  scale?: TensorInfo,
): void {
  const spare = spares(ctx);
  const size = sizeOf(param.shape);
  ctx.dispatch({
    kernel: 'optimizer_step',
    overrides: { OP: OPTIMIZER_CODES[kind] },
    inputs: [ctx.buffer(grad), scale ? ctx.buffer(scale) : spare.one],
    outputs: [
      ctx.buffer(param),
      state[0] ? ctx.buffer(state[0]) : spare.state0,
      state[1] ? ctx.buffer(state[1]) : spare.state1,
    ],
    params: {
      size,
      learning_rate: h.learningRate,
      momentum: h.momentum,
      rho: h.rho,
      beta1: h.beta1,
      beta2: h.beta2,
      epsilon: h.epsilon,
      weight_decay: h.weightDecay,
      clip_value: h.clipValue,
      bias1: h.bias1,
      bias2: h.bias2,
    },
    grid: gridFor(Math.ceil(size / 256)),
  });
}

/** min(1, clipNorm / √sumSquares): the factor the optimizer step scales gradients by. */
export function clipScale(ctx: GpuContext, sumSquares: TensorInfo, clipNorm: number): GpuStorage {
  const out = ctx.allocate([1]);
  ctx.dispatch({
    kernel: 'clip_scale',
    inputs: [ctx.buffer(sumSquares)],
    outputs: [out.buffer],
    params: { clip_norm: clipNorm },
    grid: [1, 1, 1],
  });
  return out;
}
