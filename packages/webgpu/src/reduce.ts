// Reductions (sum, mean, max, min) on the WebGPU backend: which kernel runs, with which params.
// When the reduced axes are the trailing ones (a row-wise reduction, or a full one) the rows kernel
// runs (shaders/reduce/reduce_rows.wgsl): rows longer than one chunk are reduced in two passes, the
// first spreading each row over many workgroups (a full sum of 4M floats was one workgroup before,
// bench/RESULTS.md), the second combining their partials. Any other set of axes runs the general
// strided kernel (shaders/reduce/reduce.wgsl). Imports the core contract and this package's recorder.
import { sizeOf, stridesOf, type ReduceOp, type TensorInfo } from '@webgrad/core';
import type { GpuStorage, WebGPUBackend } from './backend.js';
import { gridFor, lanesFor } from './commands.js';

/**
 * Elements of a row one workgroup of the rows kernel reduces (64 invocations × 1024 loads). Larger
 * chunks mean fewer workgroups, each ending in a barrier tree: on lavapipe a full sum of 4M floats
 * took ~11 ms of CPU with 4096-element chunks, ~6 ms with 16384–32768 and ~4.5 ms from 65536 on.
 */
export const REDUCE_CHUNK = 65536;

const buf = (x: TensorInfo) => (x.storage as GpuStorage).buffer;

/** Whether `axes` are exactly the last axes of a rank-`rank` tensor (all of them included). */
function trailing(axes: readonly number[], rank: number): boolean {
  const sorted = [...axes].sort((p, q) => p - q);
  return sorted.every((d, i) => d === rank - sorted.length + i);
}

export function reduce(backend: WebGPUBackend, op: ReduceOp, x: TensorInfo, axes: readonly number[]): GpuStorage {
  const kept = x.shape.map((_, d) => d).filter((d) => !axes.includes(d));
  const outShape = kept.map((d) => x.shape[d]);
  const cols = sizeOf(axes.map((d) => x.shape[d])), rows = sizeOf(outShape);
  if (cols > 0 && rows > 0 && trailing(axes, x.shape.length)) return reduceRows(backend, op, buf(x), rows, cols);
  return reduceStrided(backend, op, x, axes, kept);
}

/** out[r] = op over x[r·cols .. (r+1)·cols): one pass when a row is one chunk, else two. */
function reduceRows(backend: WebGPUBackend, op: ReduceOp, x: GPUBuffer, rows: number, cols: number): GpuStorage {
  const out = backend.allocateOutput([rows]);
  const code = backend.registry.opCode('reduce_rows', op === 'mean' ? 'sum' : op); // a mean is a sum times 1/cols
  const scale = op === 'mean' ? 1 / cols : 1;
  const pass = (input: GPUBuffer, output: GPUBuffer, length: number, chunks: number, passScale: number) => backend.commands.dispatch({
    kernel: 'reduce_rows', inputs: [input], outputs: [output], overrides: { OP: code },
    params: { rows, cols: length, chunk: Math.ceil(length / chunks), chunks, scale: passScale }, grid: gridFor(rows * chunks),
  });
  const chunks = Math.ceil(cols / REDUCE_CHUNK);
  if (chunks === 1) {
    pass(x, out.buffer, cols, 1, scale);
    return out;
  }
  // Pass 2 reads each row's partials in one chunk (a row of 16M floats leaves 256).
  const partials = backend.allocateOutput([rows * chunks]);
  pass(x, partials.buffer, cols, chunks, 1);
  pass(partials.buffer, out.buffer, chunks, 1, scale);
  backend.dispose(partials); // later kernels may reuse it: they run after these, in recorded order
  return out;
}

function reduceStrided(backend: WebGPUBackend, op: ReduceOp, x: TensorInfo, axes: readonly number[], kept: readonly number[]): GpuStorage {
  const strides = stridesOf(x.shape);
  const outSize = sizeOf(kept.map((d) => x.shape[d]));
  const out = backend.allocateOutput(kept.map((d) => x.shape[d]));
  const reduceSize = sizeOf(axes.map((d) => x.shape[d])), lanes = lanesFor(reduceSize);
  backend.commands.dispatch({
    kernel: 'reduce', inputs: [buf(x)], outputs: [out.buffer], overrides: { OP: backend.registry.opCode('reduce', op), LANES: lanes },
    params: {
      out_size: outSize, reduce_size: reduceSize, kept_rank: kept.length, red_rank: axes.length,
      kept_shape: kept.map((d) => x.shape[d]), kept_strides: kept.map((d) => strides[d]),
      red_shape: axes.map((d) => x.shape[d]), red_strides: axes.map((d) => strides[d]),
    },
    grid: gridFor(Math.ceil(outSize / (64 / lanes))),
  });
  return out;
}
