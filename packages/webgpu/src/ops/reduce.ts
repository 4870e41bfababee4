// Reductions on the GPU (shaders/reduce/): sum, mean, max, min over axes, argmax, and a tensor's summary. When the
// reduced axes are the trailing ones (a row-wise reduction, or a full one) the rows kernel runs
// (reduce_rows.wgsl): rows longer than one chunk are reduced in two passes, the first spreading each
// row over many workgroups, the second combining their partials. Any other set of axes runs the
// general strided kernel (reduce.wgsl).
import { sizeOf, stridesOf, type ReduceOp, type SummarySegment, type TensorInfo } from '@webgrad/core';
import { gridFor, lanesFor } from '../commands.js';
import type { GpuContext, GpuStorage } from '../context.js';
import { KERNEL_OPS } from '../generated/kernels.js';
import { coalesce } from './strides.js';

/**
 * Elements of a row one workgroup of the rows kernel reduces (64 invocations × 1024 loads). Larger
 * chunks mean fewer workgroups, each ending in a barrier tree. Measurements stay out of comments:
 * the timings behind this choice are in bench/RESULTS.md ("Moved from source comments").
 */
export const REDUCE_CHUNK = 65536;

const REDUCE_CODES: { readonly [K in ReduceOp]: number } = KERNEL_OPS.reduce;
// the rows kernel has no mean: a mean is a sum times 1/cols
const REDUCE_ROWS_CODES: { readonly [K in Exclude<ReduceOp, 'mean'>]: number } = KERNEL_OPS.reduce_rows;

/** Whether `axes` are exactly the last axes of a rank-`rank` tensor (all of them included). */
function trailing(axes: readonly number[], rank: number): boolean {
  const sorted = [...axes].sort((p, q) => p - q);
  return sorted.every((d, i) => d === rank - sorted.length + i);
}

/** Reduces over `axes` (sorted, unique); the result has x's shape with those axes removed. */
export function reduce(ctx: GpuContext, op: ReduceOp, x: TensorInfo, axes: readonly number[]): GpuStorage {
  const kept = x.shape.map((_, d) => d).filter((d) => !axes.includes(d));
  const outShape = kept.map((d) => x.shape[d]);
  const cols = sizeOf(axes.map((d) => x.shape[d]));
  const rows = sizeOf(outShape);
  if (cols > 0 && rows > 0 && trailing(axes, x.shape.length)) return reduceRows(ctx, op, ctx.buffer(x), rows, cols);
  return reduceStrided(ctx, op, x, axes, kept);
}

/** out[r] = op over x[r·cols .. (r+1)·cols): one pass when a row is one chunk, else two. */
function reduceRows(ctx: GpuContext, op: ReduceOp, x: GPUBuffer, rows: number, cols: number): GpuStorage {
  const out = ctx.allocate([rows]);
  const code = REDUCE_ROWS_CODES[op === 'mean' ? 'sum' : op];
  const scale = op === 'mean' ? 1 / cols : 1;
  const pass = (input: GPUBuffer, output: GPUBuffer, length: number, chunks: number, passScale: number) =>
    ctx.dispatch({
      kernel: 'reduce_rows',
      inputs: [input],
      outputs: [output],
      overrides: { OP: code },
      params: { rows, cols: length, chunk: Math.ceil(length / chunks), chunks, scale: passScale },
      grid: gridFor(rows * chunks),
    });
  const chunks = Math.ceil(cols / REDUCE_CHUNK);
  if (chunks === 1) {
    pass(x, out.buffer, cols, 1, scale);
    return out;
  }
  // Pass 2 reads each row's partials in one chunk (a row of 16M floats leaves 256).
  const partials = ctx.allocate([rows * chunks]);
  pass(x, partials.buffer, cols, chunks, 1);
  pass(partials.buffer, out.buffer, chunks, 1, scale);
  ctx.release(partials); // later kernels may reuse it: they run after these, in recorded order
  return out;
}

function reduceStrided(
  ctx: GpuContext,
  op: ReduceOp,
  x: TensorInfo,
  axes: readonly number[],
  kept: readonly number[],
): GpuStorage {
  const strides = stridesOf(x.shape);
  const outShape = kept.map((d) => x.shape[d]);
  const outSize = sizeOf(outShape);
  const out = ctx.allocate(outShape);
  const reduceSize = sizeOf(axes.map((d) => x.shape[d]));
  const lanes = lanesFor(reduceSize);
  // each group of axes merged on its own: x's strides over the kept axes, and over the reduced ones
  const keptAxes = coalesce(outShape, [kept.map((d) => strides[d])]);
  const reducedAxes = coalesce(
    axes.map((d) => x.shape[d]),
    [axes.map((d) => strides[d])],
  );
  ctx.dispatch({
    kernel: 'reduce',
    inputs: [ctx.buffer(x)],
    outputs: [out.buffer],
    overrides: { OP: REDUCE_CODES[op], LANES: lanes },
    params: {
      out_size: outSize,
      reduce_size: reduceSize,
      kept_rank: keptAxes.shape.length,
      red_rank: reducedAxes.shape.length,
      kept_shape: keptAxes.shape,
      kept_strides: keptAxes.strides[0],
      red_shape: reducedAxes.shape,
      red_strides: reducedAxes.strides[0],
    },
    grid: gridFor(Math.ceil(outSize / (64 / lanes))),
  });
  return out;
}

/** int32 index of the largest element along `axis` (the first on ties); that axis is removed. */
export function argmax(ctx: GpuContext, x: TensorInfo, axis: number): GpuStorage {
  const shape = x.shape.filter((_, d) => d !== axis);
  const outSize = sizeOf(shape);
  const out = ctx.allocate(shape);
  const lanes = lanesFor(x.shape[axis]);
  ctx.dispatch({
    kernel: 'argmax',
    inputs: [ctx.buffer(x)],
    outputs: [out.buffer],
    overrides: { LANES: lanes },
    params: { out_size: outSize, axis_size: x.shape[axis], inner: sizeOf(x.shape.slice(axis + 1)) },
    grid: gridFor(Math.ceil(outSize / (64 / lanes))),
  });
  return out;
}

/** Elements a workgroup of summaryStats takes (its chunk): more chunks spread a tensor over more cores. */
const SUMMARY_CHUNK = 4096;

/** The table of segments and chunks that drives the three kernels, and what it adds up to. */
interface SummaryTable {
  readonly table: GpuStorage;
  readonly chunks: number;
  /** Pass-2 workgroups: the chunks of the segments with more than one bin. */
  readonly binnedChunks: number;
  readonly maxBins: number;
  readonly outputs: number;
}

// A monitor summarises the same layout every record: its table is uploaded once and kept, per device,
// the last few layouts; a table pushed out goes back to the pool (later work runs after what used it).
const TABLES_KEPT = 8;
const tables = new WeakMap<GpuContext, Map<string, SummaryTable>>();
/** The table's mark for "no minus input" (its 11 words a segment are summary_partials.wgsl's). */
const NO_INPUT = 0xffffffff;

function summaryTable(ctx: GpuContext, segments: readonly SummarySegment[]): SummaryTable {
  const key = segments
    .map((s) => `${s.input},${s.start},${s.size},${s.bins},${s.below},${s.above},${s.minus},${s.spread}`)
    .join(';');
  let kept = tables.get(ctx);
  if (!kept) tables.set(ctx, (kept = new Map()));
  const found = kept.get(key);
  if (found) {
    kept.delete(key); // most recently used last
    kept.set(key, found);
    return found;
  }
  const segmentWords: number[] = [];
  const chunkWords: number[] = [];
  const binnedWords: number[] = [];
  const edges = new Float32Array(2);
  const edgeBits = new Uint32Array(edges.buffer);
  let at = 0;
  let chunks = 0;
  segments.forEach(({ input, start, size, bins, below, above, minus, spread }, s) => {
    const count = Math.ceil(size / SUMMARY_CHUNK);
    edges.set([below, above]);
    const firstBinned = binnedWords.length;
    segmentWords.push(
      input,
      size,
      bins,
      at,
      edgeBits[0],
      edgeBits[1],
      chunks,
      count,
      minus < 0 ? NO_INPUT : minus,
      firstBinned,
      spread ? 1 : 0,
    );
    for (let c = 0; c < count; c++) {
      chunkWords.push(s, start + c * SUMMARY_CHUNK, Math.min(SUMMARY_CHUNK, size - c * SUMMARY_CHUNK));
      if (bins > 1) binnedWords.push(chunks + c);
    }
    at += 7 + bins;
    chunks += count;
  });
  const maxBins = Math.max(...segments.map((s) => s.bins));
  // the words go up as int32: the same 32 bits the shader reads as u32
  const table = ctx.upload(
    Int32Array.from([...segmentWords, ...chunkWords, ...binnedWords], (w) => w | 0),
    'int32',
  );
  const made = { table, chunks, binnedChunks: binnedWords.length, maxBins, outputs: at };
  kept.set(key, made);
  if (kept.size > TABLES_KEPT) {
    const [oldest, pushedOut] = kept.entries().next().value!;
    kept.delete(oldest);
    ctx.release(pushedOut.table);
  }
  return made;
}

/**
 * core's summaryStats in at most three dispatches whatever the segments: per-chunk sums, bounds and
 * centred sums; per-chunk bin counts of the segments with more than one bin (each chunk combining its
 * segment's bounds first); then one workgroup a segment adding its chunks up. A table of segments and
 * chunks drives all three.
 */
export function summaryStats(
  ctx: GpuContext,
  xs: readonly TensorInfo[],
  segments: readonly SummarySegment[],
): GpuStorage {
  const { table, chunks, binnedChunks, maxBins, outputs: at } = summaryTable(ctx, segments);
  const partials = ctx.allocate([chunks * 7]);
  const binned = ctx.allocate([Math.max(1, binnedChunks * (1 + maxBins))]);
  const out = ctx.allocate([at]);
  // four inputs bound whatever the count: the ones not given repeat the first, and no run names them
  const inputs = [0, 1, 2, 3].map((k) => ctx.buffer(xs[Math.min(k, xs.length - 1)]));
  ctx.dispatch({
    kernel: 'summary_partials',
    inputs: [...inputs, table.buffer],
    outputs: [partials.buffer],
    params: { segments: segments.length, workgroups: chunks },
    grid: gridFor(chunks),
  });
  if (binnedChunks > 0) {
    ctx.dispatch({
      kernel: 'summary_bins',
      inputs: [...inputs, table.buffer, partials.buffer],
      outputs: [binned.buffer],
      params: { segments: segments.length, chunks, workgroups: binnedChunks, max_bins: maxBins },
      grid: gridFor(binnedChunks),
    });
  }
  ctx.dispatch({
    kernel: 'summary_combine',
    inputs: [table.buffer, partials.buffer, binned.buffer],
    outputs: [out.buffer],
    params: { segments: segments.length, max_bins: maxBins },
    grid: gridFor(segments.length),
  });
  for (const scratch of [partials, binned]) ctx.release(scratch);
  return out;
}
