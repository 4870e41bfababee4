// Convolution and pooling on the GPU: the WebGPUBackend's conv2d/pool2d methods turn a geometry into
// a kernel's params and grid here, to keep backend.ts short. Imports the backend's types and gemm.ts's
// epilogue params.
//
// Direct kernels or im2col + GEMM? Both are here (backend.convAlgorithm picks; tests run both). Direct
// is the default because it wins at every shape we train: at the MNIST CNN's shapes, batch 128, on
// lavapipe (`node bench/conv-kernels.mjs`, CPU ms, one run) direct vs im2col + the autotuned GEMM:
// conv1 forward 89 vs 143, conv2 forward 201 vs 434, conv2 input gradient 384 vs 499, conv2 filter
// gradient 351 vs 393, conv1 filter gradient 66 vs 119. The direct kernels are register-blocked like
// the GEMM (32 FMAs per 12 loads) without writing and re-reading a KH·KW-times larger patch matrix.
import { sizeOf, type Conv2DGeometry, type MatmulEpilogue, type PoolKind, type TensorInfo } from '@webgrad/core';
import type { GpuStorage, WebGPUBackend } from './backend.js';
import { gridFor } from './commands.js';
import { epilogueParams } from './gemm.js';

const buf = (x: TensorInfo) => (x.storage as GpuStorage).buffer;

function convParams(g: Conv2DGeometry, CO: number, size: number) {
  return {
    size, H: g.H, W: g.W, C: g.C, OH: g.OH, OW: g.OW, CO, KH: g.KH, KW: g.KW, stride_h: g.strideH, stride_w: g.strideW,
    dilation_h: g.dilationH, dilation_w: g.dilationW, pad_top: g.padTop, pad_left: g.padLeft,
  };
}

function im2colParams(g: Conv2DGeometry, size: number) {
  return {
    size, H: g.H, W: g.W, C: g.C, OH: g.OH, OW: g.OW, KH: g.KH, KW: g.KW, stride_h: g.strideH, stride_w: g.strideW,
    dilation_h: g.dilationH, dilation_w: g.dilationW, pad_top: g.padTop, pad_left: g.padLeft,
  };
}

/** The patch matrix [1, N·OH·OW, KH·KW·C] of x's windows (see shaders/conv/im2col.wgsl). */
function im2col(backend: WebGPUBackend, x: TensorInfo, g: Conv2DGeometry): TensorInfo {
  const shape = [1, g.N * g.OH * g.OW, g.KH * g.KW * g.C], size = sizeOf(shape);
  const patches = backend.allocateOutput(shape);
  backend.commands.dispatch({
    kernel: 'im2col', inputs: [buf(x)], outputs: [patches.buffer], params: im2colParams(g, size), grid: gridFor(Math.ceil(size / 256)),
  });
  return { storage: patches, shape, dtype: 'float32' };
}

const asMatrix = (t: TensorInfo, rows: number, cols: number): TensorInfo => ({ ...t, shape: [1, rows, cols] });

function poolParams(g: Conv2DGeometry, size: number) {
  return { size, H: g.H, W: g.W, C: g.C, OH: g.OH, OW: g.OW, KH: g.KH, KW: g.KW, stride_h: g.strideH, stride_w: g.strideW, pad_top: g.padTop, pad_left: g.padLeft };
}

export function conv2dDirect(backend: WebGPUBackend, x: TensorInfo, filter: TensorInfo, g: Conv2DGeometry, epilogue?: MatmulEpilogue): GpuStorage {
  const CO = filter.shape[3], shape = [g.N, g.OH, g.OW, CO];
  const invocations = g.N * g.OH * Math.ceil(g.OW / 4) * Math.ceil(CO / 8);
  const out = backend.allocateOutput(shape);
  backend.commands.dispatch({
    kernel: 'conv2d', inputs: [buf(x), buf(filter), epilogue?.bias ? buf(epilogue.bias) : buf(x)], outputs: [out.buffer],
    // one invocation per block of 4 positions along ow × 8 output channels
    params: { ...convParams(g, CO, invocations), ...epilogueParams(backend, 'conv2d', epilogue) },
    grid: gridFor(Math.ceil(invocations / 256)),
  });
  return out;
}

// The im2col + GEMM forms of the three convolutions: the GEMM does the arithmetic, so they are as fast as
// the matmul kernel, at the price of writing and re-reading a KH·KW-times larger patch matrix.
export function conv2dByGemm(backend: WebGPUBackend, x: TensorInfo, filter: TensorInfo, g: Conv2DGeometry, epilogue?: MatmulEpilogue): GpuStorage {
  const patches = im2col(backend, x, g);
  const CO = filter.shape[3];
  const out = backend.matmul(patches, asMatrix(filter, g.KH * g.KW * g.C, CO), 1, { transposeA: false, transposeB: false }, epilogue);
  backend.dispose(patches.storage);
  return out;
}

export function conv2dFilterGradByGemm(backend: WebGPUBackend, x: TensorInfo, dy: TensorInfo, g: Conv2DGeometry): GpuStorage {
  const patches = im2col(backend, x, g);
  const CO = dy.shape[3];
  const out = backend.matmul(patches, asMatrix(dy, g.N * g.OH * g.OW, CO), 1, { transposeA: true, transposeB: false });
  backend.dispose(patches.storage);
  return out;
}

export function conv2dInputGradByGemm(backend: WebGPUBackend, dy: TensorInfo, filter: TensorInfo, g: Conv2DGeometry): GpuStorage {
  const CO = filter.shape[3], rows = g.N * g.OH * g.OW, cols = g.KH * g.KW * g.C;
  const dpatches = backend.matmul(asMatrix(dy, rows, CO), asMatrix(filter, cols, CO), 1, { transposeA: false, transposeB: true });
  const shape = [g.N, g.H, g.W, g.C], size = sizeOf(shape);
  const out = backend.allocateOutput(shape);
  backend.commands.dispatch({
    kernel: 'col2im', inputs: [dpatches.buffer], outputs: [out.buffer], params: im2colParams(g, size), grid: gridFor(Math.ceil(size / 256)),
  });
  backend.dispose(dpatches);
  return out;
}

export function conv2dInputGradDirect(backend: WebGPUBackend, dy: TensorInfo, filter: TensorInfo, g: Conv2DGeometry): GpuStorage {
  const shape = [g.N, g.H, g.W, g.C];
  const invocations = g.N * g.H * Math.ceil(g.W / 4) * Math.ceil(g.C / 8);
  const out = backend.allocateOutput(shape);
  backend.commands.dispatch({
    kernel: 'conv2d_input_grad', inputs: [buf(dy), buf(filter)], outputs: [out.buffer],
    // one invocation per block of 4 positions along iw × 8 input channels
    params: convParams(g, filter.shape[3], invocations), grid: gridFor(Math.ceil(invocations / 256)),
  });
  return out;
}

export function conv2dFilterGradDirect(backend: WebGPUBackend, x: TensorInfo, dy: TensorInfo, g: Conv2DGeometry): GpuStorage {
  const CO = dy.shape[3], shape = [g.KH, g.KW, g.C, CO], size = sizeOf(shape);
  // One invocation per block of 4 input × 8 output channels of a tap, and per chunk of the batch:
  // enough chunks that ~16k invocations share the work, then a sum over the chunks.
  const invocations = g.KH * g.KW * Math.ceil(g.C / 4) * Math.ceil(CO / 8);
  const splits = Math.max(1, Math.min(g.N, Math.ceil(16384 / invocations)));
  const chunk = Math.ceil(g.N / splits);
  const partial = backend.allocateOutput([splits, size]);
  backend.commands.dispatch({
    kernel: 'conv2d_filter_grad', inputs: [buf(x), buf(dy)], outputs: [partial.buffer],
    params: { ...convParams(g, CO, invocations), N: g.N, splits, chunk }, grid: gridFor(Math.ceil((invocations * splits) / 256)),
  });
  const out = backend.reduce('sum', { storage: partial, shape: [splits, size], dtype: 'float32' }, [0]);
  backend.dispose(partial);
  return out;
}

export function pool2d(backend: WebGPUBackend, kind: PoolKind, x: TensorInfo, g: Conv2DGeometry): GpuStorage {
  const shape = [g.N, g.OH, g.OW, g.C], size = sizeOf(shape);
  const out = backend.allocateOutput(shape);
  backend.commands.dispatch({
    kernel: 'pool2d', inputs: [buf(x)], outputs: [out.buffer], overrides: { OP: backend.registry.opCode('pool2d', kind) },
    params: poolParams(g, size), grid: gridFor(Math.ceil(size / 256)),
  });
  return out;
}

export function pool2dGrad(backend: WebGPUBackend, kind: PoolKind, x: TensorInfo, dy: TensorInfo, g: Conv2DGeometry): GpuStorage {
  const disjoint = g.strideH >= g.KH && g.strideW >= g.KW;
  if (disjoint) {
    // Window by window (see pool2d_grad_windows.wgsl); zero-filled first unless the windows tile x.
    const tiles = g.strideH === g.KH && g.strideW === g.KW && g.OH * g.KH - g.padTop >= g.H && g.OW * g.KW - g.padLeft >= g.W;
    const out = tiles ? backend.allocateOutput(x.shape) : backend.fill(x.shape, 0, 'float32');
    const windows = sizeOf(dy.shape);
    backend.commands.dispatch({
      kernel: 'pool2d_grad_windows', inputs: [buf(x), buf(dy)], outputs: [out.buffer], overrides: { OP: backend.registry.opCode('pool2d_grad_windows', kind) },
      params: poolParams(g, windows), grid: gridFor(Math.ceil(windows / 256)),
    });
    return out;
  }
  const size = sizeOf(x.shape);
  const out = backend.allocateOutput(x.shape);
  backend.commands.dispatch({
    kernel: 'pool2d_grad', inputs: [buf(x), buf(dy)], outputs: [out.buffer], overrides: { OP: backend.registry.opCode('pool2d_grad', kind) },
    params: poolParams(g, size), grid: gridFor(Math.ceil(size / 256)),
  });
  return out;
}

export function translate(backend: WebGPUBackend, x: TensorInfo, shifts: TensorInfo, direction: 1 | -1): GpuStorage {
  const [N, H, W, C] = x.shape, size = sizeOf(x.shape);
  const out = backend.allocateOutput(x.shape);
  backend.commands.dispatch({
    kernel: 'translate', inputs: [buf(x), buf(shifts)], outputs: [out.buffer], params: { size, N, H, W, C, direction }, grid: gridFor(Math.ceil(size / 256)),
  });
  return out;
}

export type ConvAlgorithm = 'direct' | 'gemm';

export function conv2d(backend: WebGPUBackend, x: TensorInfo, filter: TensorInfo, g: Conv2DGeometry, epilogue?: MatmulEpilogue): GpuStorage {
  return backend.convAlgorithm === 'gemm' ? conv2dByGemm(backend, x, filter, g, epilogue) : conv2dDirect(backend, x, filter, g, epilogue);
}
export function conv2dInputGrad(backend: WebGPUBackend, dy: TensorInfo, filter: TensorInfo, g: Conv2DGeometry): GpuStorage {
  return backend.convAlgorithm === 'gemm' ? conv2dInputGradByGemm(backend, dy, filter, g) : conv2dInputGradDirect(backend, dy, filter, g);
}
export function conv2dFilterGrad(backend: WebGPUBackend, x: TensorInfo, dy: TensorInfo, g: Conv2DGeometry): GpuStorage {
  return backend.convAlgorithm === 'gemm' ? conv2dFilterGradByGemm(backend, x, dy, g) : conv2dFilterGradDirect(backend, x, dy, g);
}
