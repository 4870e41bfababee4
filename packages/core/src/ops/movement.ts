// Data movement: reshape (a free view of the same storage), broadcastTo (its gradient is summed back by
// the tape), transpose, slice, pad, concat, gather, oneHot and cast. Each backward rule is another
// movement: transpose by the inverse permutation, slice <-> pad, concat -> slices, gather -> a segment sum
// and back.
import type { DType } from '../dtype.js';
import { broadcastShapes, checkShape, fmt, normalizeAxes, sameShape, sizeOf, type Shape } from '../dtype.js';
import { runOp, type OpDef } from '../engine.js';
import type { Tensor } from '../tensor.js';

export interface ShapeAttrs {
  readonly shape: Shape;
}
export interface PermAttrs {
  readonly perm: readonly number[];
}
export interface SliceAttrs {
  readonly begin: readonly number[];
  readonly size: readonly number[];
}
export interface PadAttrs {
  readonly before: readonly number[];
  readonly shape: Shape;
  readonly value: number;
}
export interface AxisAttrs {
  readonly axis: number;
}
export interface OneHotAttrs {
  readonly depth: number;
  readonly onValue: number;
  readonly offValue: number;
}
export interface CastAttrs {
  readonly dtype: DType;
}

const inversePerm = (perm: readonly number[]) => perm.map((_, i) => perm.indexOf(i));

const padOp: OpDef<PadAttrs> = {
  name: 'pad',
  infer: ([x], { shape }) => ({ shape, dtype: x.dtype }),
  kernel: (backend, [x], { before, shape, value }) => backend.pad(x, before, shape, value),
  grad: (dy, [x], _, { before }) => [() => slice(dy, before, x.shape)],
};

// gather's gradient scatters dy back: dx[o, r, i] = Σ_{j : indices[j] = r} dy[o, j, i], a segment sum over
// the gathered axis (deterministic, no atomics), whose own gradient is the gather again.
const gatherGradOp: OpDef<AxisAttrs & { shape: Shape }> = {
  name: 'gatherGrad',
  infer: ([dy], { shape }) => ({ shape, dtype: dy.dtype }),
  kernel: (backend, [dy, indices], { axis, shape }) => {
    const n = sizeOf(indices.shape);
    const rows = { ...dy, shape: [sizeOf(shape.slice(0, axis)), n, sizeOf(shape.slice(axis + 1))] };
    // the forward gather already reported any bad index: no second report ('')
    return backend.segmentReduce('sum', rows, { ...indices, shape: [n] }, shape[axis], 1, false, '');
  },
  grad: (ddx, [, indices], _, { axis }) => [() => gather(ddx, indices, axis), null],
};

export const movementOps = {
  reshape: {
    name: 'reshape',
    view: true,
    infer: ([x], { shape }) => ({ shape, dtype: x.dtype }),
    kernel: () => {
      throw new Error('reshape is a view and runs no kernel');
    },
    grad: (dy, [x]) => [() => reshape(dy, x.shape)],
  } satisfies OpDef<ShapeAttrs>,
  broadcastTo: {
    name: 'broadcastTo',
    infer: ([x], { shape }) => {
      const out = broadcastShapes('broadcastTo', x.shape, shape);
      if (!sameShape(out, shape)) {
        throw new Error(`broadcastTo: shape ${fmt(x.shape)} cannot be broadcast to ${fmt(shape)}`);
      }
      return { shape, dtype: x.dtype };
    },
    kernel: (backend, [x], { shape }) => backend.broadcastTo(x, shape),
    grad: (dy) => [() => dy],
  } satisfies OpDef<ShapeAttrs>,
  transpose: {
    name: 'transpose',
    infer: ([x], { perm }) => ({ shape: perm.map((p) => x.shape[p]), dtype: x.dtype }),
    kernel: (backend, [x], { perm }) => backend.transpose(x, perm),
    grad: (dy, _, __, { perm }) => [() => transpose(dy, inversePerm(perm))],
  } satisfies OpDef<PermAttrs>,
  slice: {
    name: 'slice',
    infer: ([x], { size }) => ({ shape: size, dtype: x.dtype }),
    kernel: (backend, [x], { begin, size }) => backend.slice(x, begin, size),
    grad: (dy, [x], _, { begin }) => [() => runOp(padOp, [dy], { before: begin, shape: x.shape, value: 0 })],
  } satisfies OpDef<SliceAttrs>,
  pad: padOp,
  concat: {
    name: 'concat',
    infer: (xs, { axis }) => {
      const shape = [...xs[0].shape];
      shape[axis] = xs.reduce((n, x) => n + x.shape[axis], 0);
      return { shape, dtype: xs[0].dtype };
    },
    kernel: (backend, xs, { axis }, out) => backend.concat(xs, axis, out.shape),
    grad: (dy, xs, _, { axis }) => {
      const starts = xs.map((_, i) => xs.slice(0, i).reduce((n, x) => n + x.shape[axis], 0));
      return xs.map(
        (x, i) => () =>
          slice(
            dy,
            x.shape.map((_, d) => (d === axis ? starts[i] : 0)),
            x.shape,
          ),
      );
    },
  } satisfies OpDef<AxisAttrs>,
  gather: {
    name: 'gather',
    infer: ([x, indices], { axis }) => ({
      shape: [...x.shape.slice(0, axis), ...indices.shape, ...x.shape.slice(axis + 1)],
      dtype: x.dtype,
    }),
    kernel: (backend, [x, indices], { axis }) => backend.gather(x, indices, axis),
    grad: (dy, [x, indices], _, { axis }) => [() => runOp(gatherGradOp, [dy, indices], { axis, shape: x.shape }), null],
  } satisfies OpDef<AxisAttrs>,
  oneHot: {
    name: 'oneHot',
    infer: ([indices], { depth }) => ({ shape: [...indices.shape, depth], dtype: 'float32' }),
    kernel: (backend, [indices], { depth, onValue, offValue }) => backend.oneHot(indices, depth, onValue, offValue),
    grad: 'nonDifferentiable',
  } satisfies OpDef<OneHotAttrs>,
  cast: {
    name: 'cast',
    infer: ([x], { dtype }) => ({ shape: x.shape, dtype }),
    kernel: (backend, [x], { dtype }) => backend.cast(x, dtype),
    // Only float -> float carries a gradient, and cast never produces that: integers stop gradients.
    grad: () => [null],
  } satisfies OpDef<CastAttrs>,
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

/** Permutes the axes: result axis d is x's axis perm[d] (default: reversed, a matrix transpose). */
export function transpose(x: Tensor, perm?: readonly number[]): Tensor {
  const p = perm ?? x.shape.map((_, i) => x.rank - 1 - i);
  if (p.length !== x.rank || !x.shape.every((_, i) => p.includes(i))) {
    throw new Error(
      `transpose: perm [${p.join(',')}] is not a permutation of the ${x.rank} axes of shape ${fmt(x.shape)}`,
    );
  }
  if (p.every((a, i) => a === i)) return x;
  return runOp(movementOps.transpose, [x], { perm: [...p] });
}

/** The block of x from `begin` of extent `size` (a size of -1 runs to the end of that axis). */
export function slice(x: Tensor, begin: readonly number[], size?: readonly number[]): Tensor {
  const full = x.shape.map((d, i) => (size?.[i] === undefined || size[i] === -1 ? d - (begin[i] ?? 0) : size[i]));
  const start = x.shape.map((_, i) => begin[i] ?? 0);
  if (
    begin.length > x.rank ||
    x.shape.some(
      (d, i) =>
        !Number.isInteger(start[i]) ||
        !Number.isInteger(full[i]) ||
        start[i] < 0 ||
        full[i] < 0 ||
        start[i] + full[i] > d,
    )
  ) {
    throw new Error(
      `slice: begin [${begin.join(',')}] and size [${(size ?? []).join(',')}] do not fit inside shape ${fmt(x.shape)}`,
    );
  }
  if (sameShape(full, x.shape)) return x;
  return runOp(movementOps.slice, [x], { begin: start, size: full });
}

/** x surrounded by `paddings` [before, after] per axis, filled with `value`. */
export function pad(x: Tensor, paddings: readonly (readonly [number, number])[], value = 0): Tensor {
  if (
    paddings.length !== x.rank ||
    paddings.some(([b, a]) => !Number.isInteger(b) || !Number.isInteger(a) || b < 0 || a < 0)
  ) {
    throw new Error(
      `pad: expected ${x.rank} pairs of non-negative integers [before, after] for shape ${fmt(x.shape)}, got ${JSON.stringify(paddings)}`,
    );
  }
  const shape = x.shape.map((d, i) => d + paddings[i][0] + paddings[i][1]);
  return runOp(padOp, [x], { before: paddings.map(([b]) => b), shape, value });
}

/** Tensors joined along `axis`; every other axis must agree. */
export function concat(xs: readonly Tensor[], axis = 0): Tensor {
  if (xs.length === 0) throw new Error('concat: needs at least one tensor');
  const [first] = xs;
  const [a] = normalizeAxes('concat', first.shape, axis);
  for (const x of xs) {
    if (x.rank !== first.rank || x.dtype !== first.dtype || x.shape.some((d, i) => i !== a && d !== first.shape[i])) {
      throw new Error(
        `concat: shapes ${xs.map((t) => `${fmt(t.shape)} ${t.dtype}`).join(', ')} cannot be joined along axis ${axis}; ` +
          'expected one dtype and equal sizes on every other axis',
      );
    }
  }
  if (xs.length === 1) return first;
  return runOp(movementOps.concat, xs, { axis: a });
}

/** Elements of x along `axis` at int32 `indices`. */
export function gather(x: Tensor, indices: Tensor, axis = 0): Tensor {
  const [a] = normalizeAxes('gather', x.shape, axis);
  if (indices.dtype !== 'int32') {
    throw new Error(`gather: indices must be int32, got ${indices.dtype} (shape ${fmt(indices.shape)})`);
  }
  return runOp(movementOps.gather, [x, indices], { axis: a });
}

/** float32 one-hot rows of `depth` for int32 `indices` (an index outside [0, depth) gives offValue everywhere). */
export function oneHot(indices: Tensor, depth: number, onValue = 1, offValue = 0): Tensor {
  if (indices.dtype !== 'int32') {
    throw new Error(`oneHot: indices must be int32, got ${indices.dtype} (shape ${fmt(indices.shape)})`);
  }
  if (!Number.isInteger(depth) || depth < 1) throw new Error(`oneHot: depth ${depth} must be a positive integer`);
  return runOp(movementOps.oneHot, [indices], { depth, onValue, offValue });
}

/** x converted to `dtype` (float32 → int32 truncates toward zero). */
export function cast(x: Tensor, dtype: DType): Tensor {
  if (dtype !== 'float32' && dtype !== 'int32') {
    throw new Error(`cast: unknown dtype '${dtype as string}'; expected 'float32' or 'int32'`);
  }
  if (dtype === x.dtype) return x;
  return runOp(movementOps.cast, [x], { dtype });
}
