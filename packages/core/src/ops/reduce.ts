// Reductions over any set of axes, with keepDims: sum, mean, max, min; argmax along one axis; the
// global L2 norm of many tensors; summaryStats, a whole tensor's sums, extremes and histogram at once.
// The kernel always writes the reduced values contiguously, so keepDims only changes the shape. The
// reductions' table is keyed by the contract's ReduceOp.
import type { ReduceOp, SummarySegment } from '../backend.js';
import { fmt, normalizeAxes, sizeOf, type Shape } from '../dtype.js';
import { runOp, type OpDef } from '../engine.js';
import type { Tensor } from '../tensor.js';
import { add, div, equal, mul, requireFloat, sqrt, square } from './elementwise.js';
import { broadcastTo, reshape } from './movement.js';

export interface ReduceAttrs {
  readonly axes: readonly number[];
  readonly keepDims: boolean;
}

const keptShape = (shape: Shape, axes: readonly number[]): number[] => shape.map((d, i) => (axes.includes(i) ? 1 : d));

// The gradient of a reduction spreads dy back over the reduced axes.
const spread = (dy: Tensor, x: Tensor, axes: readonly number[]): Tensor =>
  broadcastTo(reshape(dy, keptShape(x.shape, axes)), x.shape);

const reduceDef = (name: ReduceOp, grad: OpDef<ReduceAttrs>['grad']): OpDef<ReduceAttrs> => ({
  name,
  infer: ([x], { axes, keepDims }) => {
    requireFloat(name, x);
    return { shape: keepDims ? keptShape(x.shape, axes) : x.shape.filter((_, i) => !axes.includes(i)), dtype: x.dtype };
  },
  kernel: (backend, [x], { axes }) => backend.reduce(name, x, axes),
  grad,
});

// max/min: dy goes to the elements equal to the result, split equally among ties.
const extremumGrad: OpDef<ReduceAttrs>['grad'] = (dy, [x], y, { axes }) => [
  () => {
    const mask = equal(x, spread(y, x, axes));
    return div(mul(mask, spread(dy, x, axes)), spread(sum(mask, axes), x, axes));
  },
];

export const reductionOps: { readonly [K in ReduceOp]: OpDef<ReduceAttrs> } = {
  sum: reduceDef('sum', (dy, [x], _, { axes }) => [() => spread(dy, x, axes)]),
  // mean = sum / n, with n the number of elements reduced into each output
  mean: reduceDef('mean', (dy, [x], _, { axes }) => [
    () => mul(spread(dy, x, axes), 1 / sizeOf(axes.map((a) => x.shape[a]))),
  ]),
  max: reduceDef('max', extremumGrad),
  min: reduceDef('min', extremumGrad),
};

export const reduceOps = {
  ...reductionOps,
  argmax: {
    name: 'argmax',
    infer: ([x], { axes }) => {
      requireFloat('argmax', x);
      return { shape: x.shape.filter((_, i) => i !== axes[0]), dtype: 'int32' };
    },
    kernel: (backend, [x], { axes }) => backend.argmax(x, axes[0]),
    grad: 'nonDifferentiable',
  } satisfies OpDef<ReduceAttrs>,
  summaryStats: {
    name: 'summaryStats',
    infer: ([x], { segments }) => {
      requireFloat('summaryStats', x);
      return { shape: [segments.reduce((n, s) => n + SUMMARY_FIELDS + s.bins, 0)], dtype: 'float32' };
    },
    kernel: (backend, [x], { segments }) => backend.summaryStats(x, segments),
    grad: 'nonDifferentiable',
  } satisfies OpDef<SummaryAttrs>,
};

export interface SummaryAttrs {
  readonly segments: readonly SummarySegment[];
}

/** The numbers summaryStats gives a segment before its bin counts. */
export const SUMMARY_FIELDS = 7;
/** The most bins summaryStats counts a segment (its kernel keeps one counter a bin in workgroup memory). */
export const SUMMARY_MAX_BINS = 256;

/** How summaryStats summarises (a segment of) a tensor: the defaults are 20 bins and no thresholds. */
export interface SummaryOptions {
  readonly bins?: number;
  readonly below?: number;
  readonly above?: number;
}

/**
 * Tensors summarised in one pass, as float32 [7 + bins] each: Σx, Σx², Σ(x − x̄)² (the spread about
 * the mean, summed once the mean is known: no cancellation when the spread is small against the mean),
 * min, max, how many elements are below `below` and how many above `above`, then the counts of `bins`
 * equal bins from min to max (element x goes to bin ⌊(x − min) · (bins / (max − min))⌋, the largest to
 * the last; all to the last when min = max). Given a list of segments, x (read flat) is cut into
 * consecutive runs of their sizes, each summarised with its own options, the results one after
 * another: what a training monitor reads of many weights, gradients and activations, in one go.
 */
export function summaryStats(
  x: Tensor,
  options: SummaryOptions | readonly (SummaryOptions & { readonly size: number })[] = {},
): Tensor {
  const given = Array.isArray(options) ? options : [{ ...(options as SummaryOptions), size: x.size }];
  const segments = given.map(({ size, bins = 20, below = -Infinity, above = Infinity }, i): SummarySegment => {
    const which = given.length > 1 ? ` (segment ${i})` : '';
    if (!Number.isInteger(bins) || bins < 1 || bins > SUMMARY_MAX_BINS) {
      throw new Error(`summaryStats: bins must be an integer from 1 to ${SUMMARY_MAX_BINS}, got ${bins}${which}`);
    }
    if (!Number.isInteger(size) || size < 1) {
      throw new Error(`summaryStats: cannot summarise ${size} elements${which} of a tensor of shape ${fmt(x.shape)}`);
    }
    return { size, bins, below, above };
  });
  const total = segments.reduce((n, s) => n + s.size, 0);
  if (total !== x.size) {
    throw new Error(
      `summaryStats: the segments' sizes add up to ${total}, but x of shape ${fmt(x.shape)} has ${x.size} elements`,
    );
  }
  return runOp(reduceOps.summaryStats, [x], { segments });
}

/** Sum over `axis` (default: all axes); keepDims leaves the reduced axes as size 1. */
export const sum = (x: Tensor, axis?: number | readonly number[], keepDims = false): Tensor =>
  runOp(reduceOps.sum, [x], { axes: normalizeAxes('sum', x.shape, axis), keepDims });

const nonEmpty = (op: string, x: Tensor, axes: readonly number[]) => {
  if (axes.some((a) => x.shape[a] === 0)) {
    throw new Error(`${op}: cannot reduce an empty axis of shape [${x.shape.join(',')}]`);
  }
  return axes;
};

/** Largest element over `axis` (default: all axes). */
export const max = (x: Tensor, axis?: number | readonly number[], keepDims = false): Tensor =>
  runOp(reduceOps.max, [x], { axes: nonEmpty('max', x, normalizeAxes('max', x.shape, axis)), keepDims });

/** Smallest element over `axis` (default: all axes). */
export const min = (x: Tensor, axis?: number | readonly number[], keepDims = false): Tensor =>
  runOp(reduceOps.min, [x], { axes: nonEmpty('min', x, normalizeAxes('min', x.shape, axis)), keepDims });

/** int32 index of the largest element along `axis` (default: the last), the first on ties. */
export const argmax = (x: Tensor, axis = -1): Tensor =>
  runOp(reduceOps.argmax, [x], {
    axes: nonEmpty('argmax', x, normalizeAxes('argmax', x.shape, axis)),
    keepDims: false,
  });

/** √(Σ over every tensor of Σ x²): the norm clip-by-global-norm compares with its threshold. */
export function globalNorm(tensors: readonly Tensor[]): Tensor {
  if (tensors.length === 0) throw new Error('globalNorm: needs at least one tensor');
  return sqrt(tensors.map((t) => sum(square(t))).reduce((a, b) => add(a, b)));
}

/** Mean over `axis` (default: all axes); keepDims leaves the reduced axes as size 1. */
export const mean = (x: Tensor, axis?: number | readonly number[], keepDims = false): Tensor =>
  runOp(reduceOps.mean, [x], { axes: normalizeAxes('mean', x.shape, axis), keepDims });
