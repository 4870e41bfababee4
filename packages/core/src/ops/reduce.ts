// Reductions over any set of axes, with keepDims: sum and mean. The kernel always writes the reduced
// values contiguously, so keepDims only changes the shape. Imports the engine and movement ops.
import type { ReduceOp } from '../backend.js';
import { normalizeAxes, sizeOf, type Shape } from '../dtype.js';
import { runOp, type OpDef } from '../engine.js';
import type { Tensor } from '../tensor.js';
import { mul, requireFloat } from './elementwise.js';
import { broadcastTo, reshape } from './movement.js';

export interface ReduceAttrs { readonly axes: readonly number[]; readonly keepDims: boolean }

const keptShape = (shape: Shape, axes: readonly number[]): number[] => shape.map((d, i) => (axes.includes(i) ? 1 : d));

// The gradient of a reduction spreads dy back over the reduced axes.
const spread = (dy: Tensor, x: Tensor, axes: readonly number[]): Tensor => broadcastTo(reshape(dy, keptShape(x.shape, axes)), x.shape);

const reduceDef = (name: ReduceOp, grad: OpDef<ReduceAttrs>['grad']): OpDef<ReduceAttrs> => ({
  name,
  infer: ([x], { axes, keepDims }) => {
    requireFloat(name, x);
    return { shape: keepDims ? keptShape(x.shape, axes) : x.shape.filter((_, i) => !axes.includes(i)), dtype: x.dtype };
  },
  kernel: (backend, [x], { axes }) => backend.reduce(name, x, axes),
  grad,
});

export const reduceOps = {
  sum: reduceDef('sum', (dy, [x], _, { axes }) => [() => spread(dy, x, axes)]),
  // mean = sum / n, with n the number of elements reduced into each output
  mean: reduceDef('mean', (dy, [x], _, { axes }) => [() => mul(spread(dy, x, axes), 1 / sizeOf(axes.map((a) => x.shape[a])))]),
};

/** Sum over `axis` (default: all axes); keepDims leaves the reduced axes as size 1. */
export const sum = (x: Tensor, axis?: number | readonly number[], keepDims = false): Tensor =>
  runOp(reduceOps.sum, [x], { axes: normalizeAxes('sum', x.shape, axis), keepDims });

/** Mean over `axis` (default: all axes); keepDims leaves the reduced axes as size 1. */
export const mean = (x: Tensor, axis?: number | readonly number[], keepDims = false): Tensor =>
  runOp(reduceOps.mean, [x], { axes: normalizeAxes('mean', x.shape, axis), keepDims });
