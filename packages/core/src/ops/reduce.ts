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
    infer: (xs, { segments }) => {
      requireFloat('summaryStats', ...xs);
      return { shape: [segments.reduce((n, s) => n + SUMMARY_FIELDS + s.bins, 0)], dtype: 'float32' };
    },
    kernel: (backend, xs, { segments }) => backend.summaryStats(xs, segments),
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
/** The most tensors one summaryStats call reads in place (its kernels bind each). */
export const SUMMARY_MAX_INPUTS = 4;

/**
 * How summaryStats summarises (a segment of) a tensor: the defaults are 20 bins, no thresholds and the
 * spread. spread: false gives 0 for Σ(x − x̄)², so that a run of one bin (a norm's Σx²) is read once.
 */
export interface SummaryOptions {
  readonly bins?: number;
  readonly below?: number;
  readonly above?: number;
  readonly spread?: boolean;
}

/**
 * A run of summaryStats's input: its element count, which input it is in (default 0), and optionally
 * another input of the same size whose elements at the same positions are subtracted from it first.
 */
export interface SummaryRun extends SummaryOptions {
  readonly size: number;
  readonly input?: number;
  readonly minus?: number;
}

/**
 * Tensors summarised in one pass, as float32 [7 + bins] each: Σx, Σx², Σ(x − x̄)² (the spread about
 * the mean, from centred sums: no cancellation when the spread is small against the mean), min, max,
 * how many elements are below `below` and how many above `above`, then the counts of `bins` equal bins
 * from min to max (element x goes to bin ⌊(x − min) · (bins / (max − min))⌋, the largest to the last;
 * all to the last when min = max). Given runs, each input (read flat; up to four, read in place) is cut
 * into consecutive runs of their sizes, listed input by input, each summarised with its own options,
 * the results one after another: what a training monitor reads of many weights, gradients and
 * activations, in one go. A run with `minus: m` summarises x − xs[m] element by element (a weight's
 * change across a step from the weights and a snapshot of them, with no difference tensor): the runs
 * of an input with the same `minus` cut it from its start, each such sequence covering all of it, and
 * an input no run reads must be some run's `minus`.
 */
export function summaryStats(
  x: Tensor | readonly Tensor[],
  options: SummaryOptions | readonly SummaryRun[] = {},
): Tensor {
  const xs: readonly Tensor[] = Array.isArray(x) ? x : [x as Tensor];
  if (xs.length < 1 || xs.length > SUMMARY_MAX_INPUTS) {
    throw new Error(`summaryStats: takes 1 to ${SUMMARY_MAX_INPUTS} tensors, got ${xs.length}`);
  }
  const given: readonly SummaryRun[] = Array.isArray(options)
    ? options
    : [{ ...(options as SummaryOptions), size: xs[0].size }];
  // elements covered so far of each (input, minus) sequence of runs
  const covered = new Map<string, { input: number; minus: number; elements: number }>();
  const subtracted = new Set<number>();
  let input = 0;
  const segments = given.map((run, i): SummarySegment => {
    const { size, bins = 20, below = -Infinity, above = Infinity, minus = -1, spread: centred = true } = run;
    const which = given.length > 1 ? ` (run ${i})` : '';
    if (!Number.isInteger(bins) || bins < 1 || bins > SUMMARY_MAX_BINS) {
      throw new Error(`summaryStats: bins must be an integer from 1 to ${SUMMARY_MAX_BINS}, got ${bins}${which}`);
    }
    if (!Number.isInteger(size) || size < 1) throw new Error(`summaryStats: cannot summarise ${size} elements${which}`);
    if (!(Number.isInteger(run.input ?? 0) && (run.input ?? 0) >= input && (run.input ?? 0) < xs.length)) {
      throw new Error(
        `summaryStats: run ${i} names input ${run.input}; runs go input by input, from ${input} to ${xs.length - 1}`,
      );
    }
    input = run.input ?? 0;
    if (run.minus !== undefined) {
      const m = run.minus;
      if (!(Number.isInteger(m) && m >= 0 && m < xs.length && m !== input)) {
        throw new Error(
          `summaryStats: run ${i} subtracts input ${m}; expected another of the ${xs.length} inputs than its own (${input})`,
        );
      }
      if (xs[m].size !== xs[input].size) {
        throw new Error(
          `summaryStats: run ${i} subtracts input ${m} (shape ${fmt(xs[m].shape)}) from input ${input} ` +
            `(shape ${fmt(xs[input].shape)}); expected inputs of the same size`,
        );
      }
      subtracted.add(m);
    }
    const key = `${input},${minus}`;
    const sequence = covered.get(key) ?? { input, minus, elements: 0 };
    covered.set(key, sequence);
    const start = sequence.elements;
    sequence.elements += size;
    return { input, start, size, bins, below, above, minus, spread: centred };
  });
  for (const { input: k, minus, elements } of covered.values()) {
    if (elements !== xs[k].size) {
      const runs = minus < 0 ? `the runs of input ${k}` : `the runs of input ${k} less input ${minus}`;
      throw new Error(
        `summaryStats: ${runs} add up to ${elements} elements, but it has ${xs[k].size} (shape ${fmt(xs[k].shape)})`,
      );
    }
  }
  xs.forEach((t, k) => {
    if (!given.some((run) => (run.input ?? 0) === k) && !subtracted.has(k)) {
      throw new Error(
        `summaryStats: no run reads input ${k} (shape ${fmt(t.shape)}) and none subtracts it; ` +
          `expected runs covering its ${t.size} elements`,
      );
    }
  });
  return runOp(reduceOps.summaryStats, xs, { segments });
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
