// Data movement: reshape (a free view of the same storage) and broadcastTo (a copy that repeats
// along stretched axes; its gradient is summed back by the tape). Imports the engine and dtype helpers.
import { broadcastShapes, checkShape, fmt, sameShape, sizeOf, type Shape } from '../dtype.js';
import { runOp, type OpDef } from '../engine.js';
import type { Tensor } from '../tensor.js';

export interface ShapeAttrs { readonly shape: Shape }

export const movementOps = {
  reshape: {
    name: 'reshape',
    view: true,
    infer: ([x], { shape }) => ({ shape, dtype: x.dtype }),
    kernel: () => { throw new Error('reshape is a view and runs no kernel'); },
    grad: (dy, [x]) => [() => reshape(dy, x.shape)],
  } satisfies OpDef<ShapeAttrs>,
  broadcastTo: {
    name: 'broadcastTo',
    infer: ([x], { shape }) => {
      const out = broadcastShapes('broadcastTo', x.shape, shape);
      if (!sameShape(out, shape)) throw new Error(`broadcastTo: shape ${fmt(x.shape)} cannot be broadcast to ${fmt(shape)}`);
      return { shape, dtype: x.dtype };
    },
    kernel: (backend, [x], { shape }) => backend.broadcastTo(x, shape),
    grad: (dy) => [() => dy],
  } satisfies OpDef<ShapeAttrs>,
};

/** The same values in a new shape of equal size; one axis may be -1 (inferred). Free: no copy. */
export function reshape(x: Tensor, shape: Shape): Tensor {
  const known = shape.filter((d) => d !== -1);
  const inferred = shape.length - known.length;
  if (inferred > 1) throw new Error(`reshape: at most one axis may be -1, got ${fmt(shape)}`);
  checkShape('reshape', known);
  const rest = sizeOf(known);
  const full = inferred ? shape.map((d) => (d === -1 ? (rest === 0 ? 0 : x.size / rest) : d)) : [...shape];
  if (sizeOf(full) !== x.size || !full.every(Number.isInteger)) {
    throw new Error(`reshape: cannot reshape shape ${fmt(x.shape)} (${x.size} elements) to ${fmt(shape)}`);
  }
  if (sameShape(full, x.shape)) return x;
  return runOp(movementOps.reshape, [x], { shape: full });
}

/** x repeated along axes of size 1 (and new leading axes) to `shape`. */
export function broadcastTo(x: Tensor, shape: Shape): Tensor {
  checkShape('broadcastTo', shape);
  if (sameShape(x.shape, shape)) return x;
  return runOp(movementOps.broadcastTo, [x], { shape: [...shape] });
}
