// Segments, scatters and sparse rows, the index ops graph networks run on: segment sum/mean/max/min and
// softmax over rows sharing an id, gatherNd, scatterAdd, scatterNd and a CSR sparse × dense matmul,
// forward and backward. Every reduction runs through the backend's segmentReduce, which sums each
// output over its own rows in ascending row order: deterministic on the GPU, no float atomics. The
// backward rules pair them up: a segment sum's gradient is a gather and a gather's is a segment sum
// (movement.ts), so gradients of gradients work.
import type { Backend, ReduceOp, Storage, TensorInfo } from '../backend.js';
import { fmt, sizeOf, type Shape } from '../dtype.js';
import { runOp, withBackend, type GradRule, type OpDef } from '../engine.js';
import type { Tensor } from '../tensor.js';
import { fill } from './creation.js';
import { div, equal, maximum, mul, requireFloat, sub } from './elementwise.js';
import { gather, reshape } from './movement.js';
import { sum } from './reduce.js';

export interface SegmentAttrs {
  readonly numSegments: number;
  readonly sorted: boolean;
  /** The axis of data the ids index (0 for the public ops; gather's gradient uses others). */
  readonly axis: number;
  /** The public op errors name. */
  readonly caller: string;
}
export interface SegmentOptions {
  /**
   * The ids never decrease, so the GPU skips its sort. Checked: the CPU throws, the GPU reports it at the
   * next readback (its sums are then wrong, but it reads nothing out of bounds).
   */
  readonly sorted?: boolean;
}
export interface ShapeAttr {
  readonly shape: Shape;
}
/** A CSR sparse matrix: int32 rowPtr [rows + 1], int32 colIdx [nnz], float32 values [nnz]. */
export interface CsrMatrix {
  readonly rowPtr: Tensor;
  readonly colIdx: Tensor;
  readonly values: Tensor;
}

const view = (x: TensorInfo, shape: Shape): TensorInfo => ({ storage: x.storage, shape, dtype: x.dtype });
const segmentShape = (shape: Shape, numSegments: number, axis: number) =>
  shape.map((d, i) => (i === axis ? numSegments : d));
/** A [numSegments] tensor reshaped to broadcast along `axis` of a tensor of rank `rank`. */
const alongAxis = (t: Tensor, rank: number, axis: number) =>
  reshape(
    t,
    Array.from({ length: rank }, (_, i) => (i === axis ? t.size : 1)),
  );

const segmentDef = (kind: ReduceOp, name: string, grad: GradRule<SegmentAttrs>): OpDef<SegmentAttrs> => ({
  name,
  infer: ([data], { numSegments, axis }) => ({ shape: segmentShape(data.shape, numSegments, axis), dtype: 'float32' }),
  kernel: (backend, [data, ids], { numSegments, axis, sorted, caller }) =>
    backend.segmentReduce(kind, data, ids, numSegments, axis, sorted, caller),
  grad,
});

const segmentSumOp: OpDef<SegmentAttrs> = segmentDef('sum', 'segmentSum', (dy, [, ids], _, { axis }) => [
  () => gather(dy, ids, axis),
  null,
]);

/** Rows per segment, [numSegments], at least 1 (an empty segment gets no gradient anyway). */
const counts = (ids: Tensor, attrs: SegmentAttrs): Tensor =>
  maximum(runOp(segmentSumOp, [withBackend(ids.backend, () => fill([ids.size], 1)), ids], { ...attrs, axis: 0 }), 1);

// max and min send dy to the rows that reached the extremum, split evenly among ties (as TF does).
const extremumGrad: GradRule<SegmentAttrs> = (dy, [data, ids], y, attrs) => [
  () => {
    const winners = equal(data, gather(y, ids, attrs.axis));
    const ties = runOp(segmentSumOp, [winners, ids], attrs);
    return mul(winners, gather(div(dy, maximum(ties, 1)), ids, attrs.axis));
  },
  null,
];

const segmentSoftmaxKernel = (backend: Backend, [x, ids]: readonly TensorInfo[], attrs: SegmentAttrs): Storage => {
  const { numSegments, sorted, caller } = attrs;
  const temporaries: Storage[] = [];
  const step = (storage: Storage, shape: Shape) => {
    temporaries.push(storage);
    return view({ ...x, storage }, shape);
  };
  const perSegment = segmentShape(x.shape, numSegments, 0);
  // softmax is unchanged by the per-segment shift, which keeps exp from overflowing
  const peak = step(backend.segmentReduce('max', x, ids, numSegments, 0, sorted, caller), perSegment);
  const shifted = step(backend.binary('sub', x, step(backend.gather(peak, ids, 0), x.shape), x.shape), x.shape);
  const e = step(backend.unary('exp', shifted), x.shape);
  const total = step(backend.segmentReduce('sum', e, ids, numSegments, 0, sorted, ''), perSegment);
  const out = backend.binary('div', e, step(backend.gather(total, ids, 0), x.shape), x.shape);
  temporaries.forEach((s) => backend.dispose(s));
  return out;
};

const csrRowIdsOp: OpDef<{ nnz: number }> = {
  name: 'csrRowIds',
  infer: (_, { nnz }) => ({ shape: [nnz], dtype: 'int32' }),
  kernel: (backend, [rowPtr], { nnz }) => backend.csrRowIds(rowPtr, nnz),
  grad: 'nonDifferentiable',
};

const gatherNdOp: OpDef<undefined> = {
  name: 'gatherNd',
  infer: ([x, indices]) => {
    const k = indices.shape[indices.rank - 1];
    return { shape: [...indices.shape.slice(0, -1), ...x.shape.slice(k)], dtype: x.dtype };
  },
  kernel: (backend, [x, indices]) => {
    const k = indices.shape[indices.shape.length - 1],
      m = sizeOf(indices.shape) / k;
    const lead = x.shape.slice(0, k);
    const flat = view({ ...indices, storage: backend.flatIndices(view(indices, [m, k]), lead, 'gatherNd') }, [m]);
    const out = backend.gather(view(x, [sizeOf(lead), ...x.shape.slice(k)]), flat, 0);
    backend.dispose(flat.storage);
    return out;
  },
  grad: (dy, [x, indices]) => [() => runOp(scatterNdOp, [indices, dy], { shape: x.shape }), null],
};

const scatterNdOp: OpDef<ShapeAttr> = {
  name: 'scatterNd',
  infer: (_, { shape }) => ({ shape, dtype: 'float32' }),
  kernel: (backend, [indices, updates], { shape }) => {
    const k = indices.shape[indices.shape.length - 1],
      m = sizeOf(indices.shape) / k;
    const lead = shape.slice(0, k),
      inner = shape.slice(k);
    const flat = view({ ...indices, storage: backend.flatIndices(view(indices, [m, k]), lead, 'scatterNd') }, [m]);
    // flatIndices reported any bad row (as −1); the reduction skips it without a second report
    const out = backend.segmentReduce('sum', view(updates, [m, ...inner]), flat, sizeOf(lead), 0, false, '');
    backend.dispose(flat.storage);
    return out;
  },
  grad: (dy, [indices]) => [null, () => runOp(gatherNdOp, [dy, indices], undefined)],
};

export const segmentOps = {
  segmentSum: segmentSumOp,
  segmentMean: segmentDef('mean', 'segmentMean', (dy, [data, ids], _, attrs) => [
    () => gather(div(dy, alongAxis(counts(ids, attrs), data.rank, attrs.axis)), ids, attrs.axis),
    null,
  ]),
  segmentMax: segmentDef('max', 'segmentMax', extremumGrad),
  segmentMin: segmentDef('min', 'segmentMin', extremumGrad),
  segmentSoftmax: {
    name: 'segmentSoftmax',
    infer: ([data]) => ({ shape: data.shape, dtype: 'float32' }),
    kernel: segmentSoftmaxKernel,
    // dx = y ⊙ (dy − Σ_segment y ⊙ dy), the softmax backward with the sum over each segment's rows
    grad: (dy, [, ids], y, attrs) => [
      () => mul(y, sub(dy, gather(runOp(segmentSumOp, [mul(y, dy), ids], attrs), ids, 0))),
      null,
    ],
  } satisfies OpDef<SegmentAttrs>,
  scatterAdd: {
    name: 'scatterAdd',
    infer: ([target]) => ({ shape: target.shape, dtype: 'float32' }),
    kernel: (backend, [target, indices, updates]) => {
      const n = target.shape[0],
        inner = target.shape.slice(1),
        m = sizeOf(indices.shape);
      const rows = view(
        {
          ...updates,
          storage: backend.segmentReduce(
            'sum',
            view(updates, [m, ...inner]),
            view(indices, [m]),
            n,
            0,
            false,
            'scatterAdd',
          ),
        },
        target.shape,
      );
      const out = backend.binary('add', target, rows, target.shape);
      backend.dispose(rows.storage);
      return out;
    },
    grad: (dy, [, indices]) => [() => dy, null, () => gather(dy, indices, 0)],
  } satisfies OpDef<undefined>,
  gatherNd: gatherNdOp,
  scatterNd: scatterNdOp,
  sparseMatmul: {
    name: 'sparseMatmul',
    infer: ([rowPtr, , , dense]) => ({ shape: [rowPtr.size - 1, dense.shape[1]], dtype: 'float32' }),
    kernel: (backend, [rowPtr, colIdx, values, dense]) => backend.sparseMatmul(rowPtr, colIdx, values, dense),
    // d/dvalues[p] = <dy[row p], dense[col p]>; d/ddense = Aᵀ·dy, each entry's row of dy scaled by its value
    // and summed into its column's row
    grad: (dy, [rowPtr, colIdx, values, dense]) => {
      let rowIds: Tensor | undefined;
      const rows = () => (rowIds ??= runOp(csrRowIdsOp, [rowPtr], { nnz: colIdx.size }));
      const attrs = { numSegments: dense.shape[0], sorted: false, axis: 0, caller: 'sparseMatmul' };
      return [
        null,
        null,
        () => sum(mul(gather(dy, rows(), 0), gather(dense, colIdx, 0)), 1),
        () => runOp(segmentSumOp, [mul(reshape(values, [values.size, 1]), gather(dy, rows(), 0)), colIdx], attrs),
      ];
    },
  } satisfies OpDef<undefined>,
};

function requireInt(op: string, what: string, t: Tensor): void {
  if (t.dtype !== 'int32') throw new Error(`${op}: ${what} must be int32, got ${t.dtype} (shape ${fmt(t.shape)})`);
}

function segmentArgs(op: string, data: Tensor, ids: Tensor, numSegments: number, sorted = false): SegmentAttrs {
  requireFloat(op, data);
  requireInt(op, 'segment ids', ids);
  if (data.rank < 1 || ids.rank !== 1 || ids.shape[0] !== data.shape[0]) {
    throw new Error(
      `${op}: segment ids of shape ${fmt(ids.shape)} must be 1-D with one id per row of data ` +
        `(shape ${fmt(data.shape)}), i.e. [${data.shape[0] ?? 0}]`,
    );
  }
  if (!Number.isInteger(numSegments) || numSegments < 1) {
    throw new Error(`${op}: numSegments must be a positive integer, got ${numSegments}`);
  }
  return { numSegments, sorted, axis: 0, caller: op };
}

/** Per-segment sums of data's rows: out[s] = Σ_{i : ids[i] = s} data[i] ([numSegments, ...rest]; 0 if empty). */
export const segmentSum = (data: Tensor, ids: Tensor, numSegments: number, options: SegmentOptions = {}): Tensor =>
  runOp(segmentSumOp, [data, ids], segmentArgs('segmentSum', data, ids, numSegments, options.sorted));

/** Per-segment means of data's rows (0 for an empty segment). */
export const segmentMean = (data: Tensor, ids: Tensor, numSegments: number, options: SegmentOptions = {}): Tensor =>
  runOp(segmentOps.segmentMean, [data, ids], segmentArgs('segmentMean', data, ids, numSegments, options.sorted));

/** Per-segment maxima of data's rows, elementwise (0 for an empty segment, as in PyG). */
export const segmentMax = (data: Tensor, ids: Tensor, numSegments: number, options: SegmentOptions = {}): Tensor =>
  runOp(segmentOps.segmentMax, [data, ids], segmentArgs('segmentMax', data, ids, numSegments, options.sorted));

/** Per-segment minima of data's rows, elementwise (0 for an empty segment). */
export const segmentMin = (data: Tensor, ids: Tensor, numSegments: number, options: SegmentOptions = {}): Tensor =>
  runOp(segmentOps.segmentMin, [data, ids], segmentArgs('segmentMin', data, ids, numSegments, options.sorted));

/** Softmax over the rows sharing a segment id, column by column: the attention weights of a GAT. */
export const segmentSoftmax = (data: Tensor, ids: Tensor, numSegments: number, options: SegmentOptions = {}): Tensor =>
  runOp(segmentOps.segmentSoftmax, [data, ids], segmentArgs('segmentSoftmax', data, ids, numSegments, options.sorted));

/** target with each row of updates added at row indices[j] (repeated indices add up): [n, ...rest]. */
export function scatterAdd(target: Tensor, indices: Tensor, updates: Tensor): Tensor {
  requireFloat('scatterAdd', target, updates);
  requireInt('scatterAdd', 'indices', indices);
  const expected = [...indices.shape, ...target.shape.slice(1)];
  if (target.rank < 1 || fmt(updates.shape) !== fmt(expected)) {
    throw new Error(
      `scatterAdd: updates of shape ${fmt(updates.shape)} must be indices.shape + target.shape[1:] = ` +
        `${fmt(expected)} (target ${fmt(target.shape)}, indices ${fmt(indices.shape)})`,
    );
  }
  return runOp(segmentOps.scatterAdd, [target, indices, updates], undefined);
}

/** The last axis of int32 indices (K) addresses x's first K axes: [...indices.shape[:-1], ...x.shape[K:]]. */
export function gatherNd(x: Tensor, indices: Tensor): Tensor {
  requireInt('gatherNd', 'indices', indices);
  const k = indices.shape[indices.rank - 1];
  if (indices.rank < 1 || !(k >= 1 && k <= x.rank)) {
    throw new Error(
      `gatherNd: the last axis of indices (shape ${fmt(indices.shape)}) must address 1 to ${x.rank} axes of x (shape ${fmt(x.shape)})`,
    );
  }
  return runOp(gatherNdOp, [x, indices], undefined);
}

/** A zero tensor of `shape` with updates added at the places indices name (repeats add up): gatherNd's adjoint. */
export function scatterNd(indices: Tensor, updates: Tensor, shape: Shape): Tensor {
  requireFloat('scatterNd', updates);
  requireInt('scatterNd', 'indices', indices);
  const k = indices.shape[indices.rank - 1];
  const expected = [...indices.shape.slice(0, -1), ...shape.slice(k)];
  if (indices.rank < 1 || !(k >= 1 && k <= shape.length) || fmt(updates.shape) !== fmt(expected)) {
    throw new Error(
      `scatterNd: indices ${fmt(indices.shape)} and updates ${fmt(updates.shape)} do not fit shape ${fmt(shape)}; ` +
        `expected the last axis of indices to address 1 to ${shape.length} axes and updates of shape ${fmt(expected)}`,
    );
  }
  return runOp(scatterNdOp, [indices, updates], { shape: [...shape] });
}

/** A CSR sparse matrix [rows, cols] times dense [cols, K]: [rows, K]. Differentiable in values and dense. */
export function sparseMatmul(a: CsrMatrix, dense: Tensor): Tensor {
  const { rowPtr, colIdx, values } = a;
  requireInt('sparseMatmul', 'rowPtr', rowPtr);
  requireInt('sparseMatmul', 'colIdx', colIdx);
  requireFloat('sparseMatmul', values, dense);
  if (
    rowPtr.rank !== 1 ||
    rowPtr.size < 1 ||
    colIdx.rank !== 1 ||
    fmt(values.shape) !== fmt(colIdx.shape) ||
    dense.rank !== 2
  ) {
    throw new Error(
      `sparseMatmul: expected rowPtr [rows + 1], colIdx [nnz], values [nnz] and dense [cols, K]; got rowPtr ` +
        `${fmt(rowPtr.shape)}, colIdx ${fmt(colIdx.shape)}, values ${fmt(values.shape)}, dense ${fmt(dense.shape)}`,
    );
  }
  return runOp(segmentOps.sparseMatmul, [rowPtr, colIdx, values, dense], undefined);
}
