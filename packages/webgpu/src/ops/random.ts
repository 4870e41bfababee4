// Random tensors on the GPU (shaders/random/): counter-based, so a (seed, stream) pair gives the
// same values on every run and every backend that follows the same scheme; and categorical draws
// from rows of logits (multinomial).
import { seedKey, sizeOf, type Shape, type TensorInfo } from '@webgrad/core';
import { gridFor } from '../commands.js';
import type { GpuContext, GpuStorage } from '../context.js';
import { KERNEL_OPS, type KernelOp } from '../generated/kernels.js';

/** a and b parameterise the distribution: low/high, mean/std, or p and unused. */
function random(
  ctx: GpuContext,
  op: KernelOp<'random'>,
  shape: Shape,
  seed: number,
  a: number,
  b: number,
  stream: number,
): GpuStorage {
  const out = ctx.allocate(shape);
  const size = sizeOf(shape);
  const [seedLo, seedHi] = seedKey(seed);
  ctx.dispatch({
    kernel: 'random',
    inputs: [],
    outputs: [out.buffer],
    overrides: { OP: KERNEL_OPS.random[op] },
    params: { size, stream, seed_lo: seedLo, seed_hi: seedHi, a, b },
    grid: gridFor(Math.ceil(size / 256)),
  });
  return out;
}

export function randomUniform(
  ctx: GpuContext,
  shape: Shape,
  seed: number,
  low: number,
  high: number,
  stream: number,
): GpuStorage {
  return random(ctx, 'uniform', shape, seed, low, high, stream);
}

export function randomNormal(
  ctx: GpuContext,
  shape: Shape,
  seed: number,
  mean: number,
  std: number,
  stream: number,
): GpuStorage {
  return random(ctx, 'normal', shape, seed, mean, std, stream);
}

export function bernoulli(ctx: GpuContext, shape: Shape, seed: number, p: number, stream: number): GpuStorage {
  return random(ctx, 'bernoulli', shape, seed, p, 0, stream);
}

/** int32 [rows, numSamples] of classes drawn from softmax(logits / temperature), one invocation a draw. */
export function multinomial(
  ctx: GpuContext,
  logits: TensorInfo,
  numSamples: number,
  temperature: number,
  seed: number,
  stream: number,
): GpuStorage {
  const [rows, classes] = logits.shape;
  const out = ctx.allocate([rows, numSamples]);
  const [seedLo, seedHi] = seedKey(seed);
  ctx.dispatch({
    kernel: 'multinomial',
    inputs: [ctx.buffer(logits)],
    outputs: [out.buffer],
    params: {
      rows,
      classes,
      num_samples: numSamples,
      stream,
      seed_lo: seedLo,
      seed_hi: seedHi,
      inv_temperature: Math.fround(1 / temperature),
    },
    grid: gridFor(Math.ceil((rows * numSamples) / 64)),
  });
  return out;
}
