// Convolution and pooling on the GPU (shaders/conv/): a geometry turned into a kernel's params and
// grid. Convolutions run as direct kernels or as im2col + the GEMM (ctx.convAlgorithm picks; tests
// run both). Direct is the default because it won at every shape measured for training (the MNIST
// CNN's, bench/conv-kernels.mjs; the figures are in bench/RESULTS.md, as measurements stay out of
// comments): the direct kernels are register-blocked like the GEMM without writing and re-reading a
// KH·KW-times larger patch matrix. The GEMM and reduce paths are the matmul and reduce ops modules'
// functions, on the same context. conv2dTranspose is conv2d's input gradient with an epilogue, so it
// runs on the same kernels.
import { sizeOf, type Conv2DGeometry, type MatmulEpilogue, type PoolKind, type TensorInfo } from '@webgrad/core';
import { gridFor } from '../commands.js';
import type { GpuContext, GpuStorage } from '../context.js';
import { KERNEL_OPS } from '../generated/kernels.js';
import { epilogueParams, matmul } from './matmul.js';
import { fill } from './movement.js';
import { reduce } from './reduce.js';

const POOL_CODES: { readonly [K in PoolKind]: number } = KERNEL_OPS.pool2d;
const POOL_GRAD_CODES: { readonly [K in PoolKind]: number } = KERNEL_OPS.pool2d_grad;
const POOL_GRAD_WINDOWS_CODES: { readonly [K in PoolKind]: number } = KERNEL_OPS.pool2d_grad_windows;

/** A window over NHWC data: the params every pooling kernel takes, and the base of the others. */
function poolParams(g: Conv2DGeometry, size: number) {
  return {
    size,
    H: g.H,
    W: g.W,
    C: g.C,
    OH: g.OH,
    OW: g.OW,
    KH: g.KH,
    KW: g.KW,
    stride_h: g.strideH,
    stride_w: g.strideW,
    pad_top: g.padTop,
    pad_left: g.padLeft,
  };
}

/** A convolution's window adds dilation (im2col and col2im take this much). */
function im2colParams(g: Conv2DGeometry, size: number) {
  return { ...poolParams(g, size), dilation_h: g.dilationH, dilation_w: g.dilationW };
}

/** The direct convolution kernels add the output channels. */
function convParams(g: Conv2DGeometry, CO: number, size: number) {
  return { ...im2colParams(g, size), CO };
}

/** The patch matrix [1, N·OH·OW, KH·KW·C] of x's windows (see shaders/conv/im2col.wgsl). */
function im2col(ctx: GpuContext, x: TensorInfo, g: Conv2DGeometry): TensorInfo {
  const shape = [1, g.N * g.OH * g.OW, g.KH * g.KW * g.C];
  const size = sizeOf(shape);
  const patches = ctx.allocate(shape);
  ctx.dispatch({
    kernel: 'im2col',
    inputs: [ctx.buffer(x)],
    outputs: [patches.buffer],
    params: im2colParams(g, size),
    grid: gridFor(Math.ceil(size / 256)),
  });
  return { storage: patches, shape, dtype: 'float32' };
}

const asMatrix = (t: TensorInfo, rows: number, cols: number): TensorInfo => ({ ...t, shape: [1, rows, cols] });

/**
 * Positions a direct kernel's invocation takes along W: 8 (two thirds of the loads per FMA that 4 cost)
 * unless rounding `length` up to 8s leaves more idle lanes than that saves, as at 3 or 4.
 */
function positionBlock(length: number): 4 | 8 {
  return 0.75 * Math.ceil(length / 8) * 8 <= Math.ceil(length / 4) * 4 ? 8 : 4;
}

export function conv2dDirect(
  ctx: GpuContext,
  x: TensorInfo,
  filter: TensorInfo,
  g: Conv2DGeometry,
  epilogue?: MatmulEpilogue,
): GpuStorage {
  const CO = filter.shape[3];
  const shape = [g.N, g.OH, g.OW, CO];
  const block = positionBlock(g.OW);
  const invocations = g.N * g.OH * Math.ceil(g.OW / block) * Math.ceil(CO / 8);
  const out = ctx.allocate(shape);
  ctx.dispatch({
    kernel: 'conv2d',
    inputs: [ctx.buffer(x), ctx.buffer(filter), ctx.buffer(epilogue?.bias ?? x)],
    outputs: [out.buffer],
    overrides: { BLOCK_W: block },
    // one invocation per block of `block` positions along ow × 8 output channels
    params: { ...convParams(g, CO, invocations), ...epilogueParams(epilogue) },
    grid: gridFor(Math.ceil(invocations / 256)),
  });
  return out;
}

// The im2col + GEMM forms of the three convolutions: the GEMM does the arithmetic, so they are as fast as
// the matmul kernel, at the price of writing and re-reading a KH·KW-times larger patch matrix.
export function conv2dByGemm(
  ctx: GpuContext,
  x: TensorInfo,
  filter: TensorInfo,
  g: Conv2DGeometry,
  epilogue?: MatmulEpilogue,
): GpuStorage {
  const patches = im2col(ctx, x, g);
  const CO = filter.shape[3];
  const out = matmul(
    ctx,
    patches,
    asMatrix(filter, g.KH * g.KW * g.C, CO),
    1,
    { transposeA: false, transposeB: false },
    epilogue,
  );
  ctx.release(patches.storage);
  return out;
}

export function conv2dFilterGradByGemm(ctx: GpuContext, x: TensorInfo, dy: TensorInfo, g: Conv2DGeometry): GpuStorage {
  const patches = im2col(ctx, x, g);
  const CO = dy.shape[3];
  const out = matmul(ctx, patches, asMatrix(dy, g.N * g.OH * g.OW, CO), 1, { transposeA: true, transposeB: false });
  ctx.release(patches.storage);
  return out;
}

// With an epilogue the input gradient is conv2dTranspose's forward, bias and activation in its last kernel.
export function conv2dInputGradByGemm(
  ctx: GpuContext,
  dy: TensorInfo,
  filter: TensorInfo,
  g: Conv2DGeometry,
  epilogue?: MatmulEpilogue,
): GpuStorage {
  const CO = filter.shape[3];
  const rows = g.N * g.OH * g.OW;
  const cols = g.KH * g.KW * g.C;
  const dpatches = matmul(ctx, asMatrix(dy, rows, CO), asMatrix(filter, cols, CO), 1, {
    transposeA: false,
    transposeB: true,
  });
  const shape = [g.N, g.H, g.W, g.C];
  const size = sizeOf(shape);
  const out = ctx.allocate(shape);
  ctx.dispatch({
    kernel: 'col2im',
    inputs: [dpatches.buffer, ctx.buffer(epilogue?.bias ?? dy)],
    outputs: [out.buffer],
    params: { ...im2colParams(g, size), ...epilogueParams(epilogue) },
    grid: gridFor(Math.ceil(size / 256)),
  });
  ctx.release(dpatches);
  return out;
}

export function conv2dInputGradDirect(
  ctx: GpuContext,
  dy: TensorInfo,
  filter: TensorInfo,
  g: Conv2DGeometry,
  epilogue?: MatmulEpilogue,
): GpuStorage {
  const shape = [g.N, g.H, g.W, g.C];
  // Positions are blocked by phase modulo the W stride (see the shaders): per phase ⌈W / stride⌉ of
  // them. Under 4 input channels the narrow kernel takes one channel and 8 positions an invocation,
  // the wide one 8 channels and 4 or 8 positions.
  const narrow = g.C < 4;
  const perPhase = Math.ceil(g.W / g.strideW);
  const block = narrow ? 8 : positionBlock(perPhase);
  const positionBlocks = g.strideW * Math.ceil(perPhase / block);
  const invocations = g.N * g.H * positionBlocks * (narrow ? g.C : Math.ceil(g.C / 8));
  const out = ctx.allocate(shape);
  const common = {
    inputs: [ctx.buffer(dy), ctx.buffer(filter), ctx.buffer(epilogue?.bias ?? dy)],
    outputs: [out.buffer],
    params: { ...convParams(g, filter.shape[3], invocations), ...epilogueParams(epilogue) },
    grid: gridFor(Math.ceil(invocations / 256)),
  };
  if (narrow) ctx.dispatch({ kernel: 'conv2d_input_grad_narrow', ...common });
  else ctx.dispatch({ kernel: 'conv2d_input_grad', overrides: { BLOCK_W: block }, ...common });
  return out;
}

export function conv2dFilterGradDirect(ctx: GpuContext, x: TensorInfo, dy: TensorInfo, g: Conv2DGeometry): GpuStorage {
  const CO = dy.shape[3];
  const size = sizeOf([g.KH, g.KW, g.C, CO]);
  // One invocation per block of 4 or (from 8 input channels) 8 input × 8 output channels of a tap, and
  // per chunk of the batch: enough chunks that ~64k channel pairs' sums run at once, then a sum over
  // the chunks.
  const blockC = g.C >= 8 ? 8 : 4;
  const invocations = g.KH * g.KW * Math.ceil(g.C / blockC) * Math.ceil(CO / 8);
  const splits = Math.max(1, Math.min(g.N, Math.ceil(65536 / blockC / invocations)));
  const chunk = Math.ceil(g.N / splits);
  const partial = ctx.allocate([splits, size]);
  ctx.dispatch({
    kernel: 'conv2d_filter_grad',
    inputs: [ctx.buffer(x), ctx.buffer(dy)],
    outputs: [partial.buffer],
    overrides: { BLOCK_C: blockC },
    params: { ...convParams(g, CO, invocations), N: g.N, splits, chunk },
    grid: gridFor(Math.ceil((invocations * splits) / 256)),
  });
  const out = reduce(ctx, 'sum', { storage: partial, shape: [splits, size], dtype: 'float32' }, [0]);
  ctx.release(partial);
  return out;
}

export function conv2d(
  ctx: GpuContext,
  x: TensorInfo,
  filter: TensorInfo,
  g: Conv2DGeometry,
  epilogue?: MatmulEpilogue,
): GpuStorage {
  return ctx.convAlgorithm === 'gemm'
    ? conv2dByGemm(ctx, x, filter, g, epilogue)
    : conv2dDirect(ctx, x, filter, g, epilogue);
}

/** conv2d's input gradient; with an epilogue, conv2dTranspose's forward. */
export function conv2dInputGrad(
  ctx: GpuContext,
  dy: TensorInfo,
  filter: TensorInfo,
  g: Conv2DGeometry,
  epilogue?: MatmulEpilogue,
): GpuStorage {
  return ctx.convAlgorithm === 'gemm'
    ? conv2dInputGradByGemm(ctx, dy, filter, g, epilogue)
    : conv2dInputGradDirect(ctx, dy, filter, g, epilogue);
}

export function conv2dFilterGrad(ctx: GpuContext, x: TensorInfo, dy: TensorInfo, g: Conv2DGeometry): GpuStorage {
  return ctx.convAlgorithm === 'gemm' ? conv2dFilterGradByGemm(ctx, x, dy, g) : conv2dFilterGradDirect(ctx, x, dy, g);
}

export function pool2d(ctx: GpuContext, kind: PoolKind, x: TensorInfo, g: Conv2DGeometry): GpuStorage {
  const shape = [g.N, g.OH, g.OW, g.C];
  const size = sizeOf(shape);
  const out = ctx.allocate(shape);
  ctx.dispatch({
    kernel: 'pool2d',
    inputs: [ctx.buffer(x)],
    outputs: [out.buffer],
    overrides: { OP: POOL_CODES[kind] },
    params: poolParams(g, size),
    grid: gridFor(Math.ceil(size / 256)),
  });
  return out;
}

export function pool2dGrad(
  ctx: GpuContext,
  kind: PoolKind,
  x: TensorInfo,
  dy: TensorInfo,
  g: Conv2DGeometry,
): GpuStorage {
  const disjoint = g.strideH >= g.KH && g.strideW >= g.KW;
  if (disjoint) {
    // Window by window (see pool2d_grad_windows.wgsl); zero-filled first unless the windows tile x.
    const tiles =
      g.strideH === g.KH && g.strideW === g.KW && g.OH * g.KH - g.padTop >= g.H && g.OW * g.KW - g.padLeft >= g.W;
    const out = tiles ? ctx.allocate(x.shape) : fill(ctx, x.shape, 0, 'float32');
    const windows = sizeOf(dy.shape);
    ctx.dispatch({
      kernel: 'pool2d_grad_windows',
      inputs: [ctx.buffer(x), ctx.buffer(dy)],
      outputs: [out.buffer],
      overrides: { OP: POOL_GRAD_WINDOWS_CODES[kind] },
      params: poolParams(g, windows),
      grid: gridFor(Math.ceil(windows / 256)),
    });
    return out;
  }
  const size = sizeOf(x.shape);
  const out = ctx.allocate(x.shape);
  ctx.dispatch({
    kernel: 'pool2d_grad',
    inputs: [ctx.buffer(x), ctx.buffer(dy)],
    outputs: [out.buffer],
    overrides: { OP: POOL_GRAD_CODES[kind] },
    params: poolParams(g, size),
    grid: gridFor(Math.ceil(size / 256)),
  });
  return out;
}

/** Images moved by whole pixels, one shift per image, times `direction` (−1 is the adjoint). */
export function translate(ctx: GpuContext, x: TensorInfo, shifts: TensorInfo, direction: 1 | -1): GpuStorage {
  const [N, H, W, C] = x.shape;
  const size = sizeOf(x.shape);
  const out = ctx.allocate(x.shape);
  ctx.dispatch({
    kernel: 'translate',
    inputs: [ctx.buffer(x), ctx.buffer(shifts)],
    outputs: [out.buffer],
    params: { size, N, H, W, C, direction },
    grid: gridFor(Math.ceil(size / 256)),
  });
  return out;
}
