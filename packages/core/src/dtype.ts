// Data types and shapes: dtype names, shape arithmetic and the broadcasting rule, with errors that name
// the op and the shapes.

export type DType = 'float32' | 'int32';
export type Shape = readonly number[];
export type TypedArray = Float32Array | Int32Array;

export const sizeOf = (shape: Shape): number => shape.reduce((n, d) => n * d, 1);
export const fmt = (shape: Shape): string => `[${shape.join(',')}]`;
export const sameShape = (a: Shape, b: Shape): boolean => a.length === b.length && a.every((d, i) => d === b[i]);

/** Row-major strides: the distance in elements between neighbours along each axis. */
export function stridesOf(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    strides[d] = s;
    s *= shape[d];
  }
  return strides;
}

export function checkShape(op: string, shape: Shape): void {
  if (!shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new Error(`${op}: shape ${fmt(shape)} must hold non-negative integers`);
  }
}

/** NumPy broadcasting: align from the right; each pair of sizes must match or one must be 1. */
export function broadcastShapes(op: string, a: Shape, b: Shape): number[] {
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new Error(
        `${op}: shapes ${fmt(a)} and ${fmt(b)} cannot be broadcast together ` +
          `(axis ${i} of the result: ${da} vs ${db}; sizes must match or one must be 1)`,
      );
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** Strides that read `inShape` as if broadcast to `outShape`: 0 along axes that are stretched. */
export function broadcastStrides(inShape: Shape, outShape: Shape): number[] {
  const inStrides = stridesOf(inShape);
  const offset = outShape.length - inShape.length;
  return outShape.map((_, d) => (d < offset || inShape[d - offset] === 1 ? 0 : inStrides[d - offset]));
}

/** Normalises an axis argument (undefined = all, negative counts from the end), sorted and unique. */
export function normalizeAxes(op: string, shape: Shape, axis?: number | readonly number[]): number[] {
  if (axis === undefined) return shape.map((_, i) => i);
  const list = typeof axis === 'number' ? [axis] : [...axis];
  const rank = shape.length;
  const out = list.map((a) => {
    if (!Number.isInteger(a) || a < -rank || a >= rank) {
      throw new Error(`${op}: axis ${a} is out of range for a tensor of shape ${fmt(shape)} (rank ${rank})`);
    }
    return a < 0 ? a + rank : a;
  });
  return [...new Set(out)].sort((x, y) => x - y);
}
