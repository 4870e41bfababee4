// Segment reductions, flat indices and CSR sparse × dense products on the GPU (shaders/segment/). A
// segment reduction first builds CSR offsets for its ids: keys (bad ids to a last bucket), a stable
// LSD radix sort of the row indices by key, 8 bits a pass (skipped when the ids are promised sorted),
// and a binary search per segment; then one invocation per output folds its segment's rows in
// ascending row order. Only integer atomics (counts, error words) are used, so results are the same
// bits on every run however many rows a segment holds.
import { sizeOf, type ReduceOp, type Shape, type TensorInfo } from '@webgrad/core';
import { gridFor } from '../commands.js';
import type { GpuContext, GpuStorage } from '../context.js';
import { KERNEL_OPS } from '../generated/kernels.js';

const REDUCE_CODES: { readonly [K in ReduceOp]: number } = KERNEL_OPS.segment_reduce;
const BLOCK = 256;
const DIGIT_BITS = 8;

/** The rows of each segment: perm (row indices, grouped by segment in row order) and offsets [S + 1]. */
interface SegmentLayout {
  readonly perm: GpuStorage;
  readonly offsets: GpuStorage;
  readonly scratch: GpuStorage[];
}

/** Sort passes: enough 8-bit digits to hold keys up to numSegments (the bad-id bucket). */
const digitPasses = (numSegments: number) => Math.max(1, Math.ceil(Math.log2(numSegments + 1) / DIGIT_BITS));

function segmentLayout(
  ctx: GpuContext,
  ids: TensorInfo,
  numSegments: number,
  sorted: boolean,
  caller: string,
): SegmentLayout {
  const count = sizeOf(ids.shape);
  const keys = ctx.allocate([count]);
  const perm = ctx.allocate([count]);
  ctx.dispatch({
    kernel: 'segment_keys',
    inputs: [ctx.buffer(ids)],
    outputs: [keys.buffer, perm.buffer, ctx.dataErrors.buffer],
    params: {
      count,
      num_segments: numSegments,
      sorted: sorted ? 1 : 0,
      caller: caller ? ctx.dataErrors.callerCode(caller, 'segment id') : 0,
    },
    grid: gridFor(Math.ceil(count / BLOCK)),
  });
  const scratch: GpuStorage[] = [];
  let sortedKeys = keys,
    sortedPerm = perm;
  if (!sorted && count > 1) {
    const blocks = Math.ceil(count / BLOCK);
    const hist = ctx.allocate([blocks * BLOCK]);
    let spareKeys = ctx.allocate([count]),
      sparePerm = ctx.allocate([count]);
    for (let pass = 0; pass < digitPasses(numSegments); pass++) {
      const params = { count, shift: pass * DIGIT_BITS, blocks };
      ctx.dispatch({
        kernel: 'radix_histogram',
        inputs: [sortedKeys.buffer],
        outputs: [hist.buffer],
        params,
        grid: gridFor(blocks),
      });
      ctx.dispatch({
        kernel: 'scan_exclusive',
        inputs: [],
        outputs: [hist.buffer],
        params: { count: blocks * BLOCK },
        grid: [1, 1, 1],
      });
      ctx.dispatch({
        kernel: 'radix_scatter',
        inputs: [sortedKeys.buffer, sortedPerm.buffer, hist.buffer],
        outputs: [spareKeys.buffer, sparePerm.buffer],
        params,
        grid: gridFor(blocks),
      });
      [sortedKeys, spareKeys] = [spareKeys, sortedKeys];
      [sortedPerm, sparePerm] = [sparePerm, sortedPerm];
    }
    scratch.push(hist, spareKeys, sparePerm);
  }
  const offsets = ctx.allocate([numSegments + 1]);
  ctx.dispatch({
    kernel: 'segment_offsets',
    inputs: [sortedKeys.buffer],
    outputs: [offsets.buffer],
    params: { count, num_segments: numSegments },
    grid: gridFor(Math.ceil((numSegments + 1) / BLOCK)),
  });
  scratch.push(sortedKeys);
  return { perm: sortedPerm, offsets, scratch };
}

export function segmentReduce(
  ctx: GpuContext,
  op: ReduceOp,
  data: TensorInfo,
  ids: TensorInfo,
  numSegments: number,
  axis: number,
  sorted: boolean,
  caller: string,
): GpuStorage {
  const rows = data.shape[axis],
    inner = sizeOf(data.shape.slice(axis + 1));
  const shape: Shape = data.shape.map((d, i) => (i === axis ? numSegments : d));
  const out = ctx.allocate(shape);
  const size = sizeOf(shape);
  const layout = segmentLayout(ctx, ids, numSegments, sorted, caller);
  ctx.dispatch({
    kernel: 'segment_reduce',
    inputs: [ctx.buffer(data), layout.perm.buffer, layout.offsets.buffer],
    outputs: [out.buffer],
    params: { size, rows, num_segments: numSegments, inner: Math.max(1, inner) },
    overrides: { OP: REDUCE_CODES[op] },
    grid: gridFor(Math.ceil(size / BLOCK)),
  });
  for (const s of [layout.perm, layout.offsets, ...layout.scratch]) ctx.release(s);
  return out;
}

export function flatIndices(ctx: GpuContext, indices: TensorInfo, dims: readonly number[], caller: string): GpuStorage {
  const count = indices.shape[0];
  const out = ctx.allocate([count]);
  const padded = [...dims, ...Array<number>(8 - dims.length).fill(1)];
  ctx.dispatch({
    kernel: 'flat_indices',
    inputs: [ctx.buffer(indices)],
    outputs: [out.buffer, ctx.dataErrors.buffer],
    params: { count, rank: dims.length, caller: ctx.dataErrors.callerCode(caller, 'index'), dims: padded },
    grid: gridFor(Math.ceil(count / BLOCK)),
  });
  return out;
}

export function sparseMatmul(
  ctx: GpuContext,
  rowPtr: TensorInfo,
  colIdx: TensorInfo,
  values: TensorInfo,
  dense: TensorInfo,
): GpuStorage {
  const rows = rowPtr.shape[0] - 1,
    [cols, k] = dense.shape;
  const out = ctx.allocate([rows, k]);
  const size = rows * k;
  ctx.dispatch({
    kernel: 'sparse_matmul',
    inputs: [ctx.buffer(rowPtr), ctx.buffer(colIdx), ctx.buffer(values), ctx.buffer(dense)],
    outputs: [out.buffer, ctx.dataErrors.buffer],
    params: { size, k, cols, nnz: colIdx.shape[0], caller: ctx.dataErrors.callerCode('sparseMatmul', 'column index') },
    grid: gridFor(Math.ceil(size / BLOCK)),
  });
  return out;
}

export function csrRowIds(ctx: GpuContext, rowPtr: TensorInfo, nnz: number): GpuStorage {
  const out = ctx.allocate([nnz]);
  ctx.dispatch({
    kernel: 'csr_row_ids',
    inputs: [ctx.buffer(rowPtr)],
    outputs: [out.buffer],
    params: { nnz, rows: rowPtr.shape[0] - 1 },
    grid: gridFor(Math.ceil(nnz / BLOCK)),
  });
  return out;
}
