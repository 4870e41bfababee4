// Creating tensors: from JS values (`tensor`), constants (`fill`, `zeros`, `ones`, `scalar`). Creation
// runs on the current backend.
import { currentBackend, makeTensor, notATensor, runOp, withBackend, type OpDef } from '../engine.js';
import { checkShape, fmt, sizeOf, type DType, type Shape } from '../dtype.js';
import { Tensor, type NestedArray } from '../tensor.js';

const INT32_MIN = -(2 ** 31),
  INT32_MAX = 2 ** 31 - 1;

export type TensorLike = number | NestedArray | Float32Array | Int32Array | Float64Array | readonly number[];

function inferShape(values: TensorLike): number[] {
  const shape: number[] = [];
  let v: unknown = values;
  while (Array.isArray(v)) {
    shape.push(v.length);
    v = v[0];
  }
  if (ArrayBuffer.isView(values)) return [(values as Float32Array).length];
  return shape;
}

function flatten(values: TensorLike, shape: number[], axis = 0, out: number[] = []): number[] {
  if (axis === shape.length) {
    if (typeof values !== 'number') {
      throw new Error(`tensor: ragged nesting: expected a number at depth ${axis} for shape ${fmt(shape)}`);
    }
    out.push(values);
    return out;
  }
  if (!Array.isArray(values) || values.length !== shape[axis]) {
    throw new Error(`tensor: ragged nesting: expected ${shape[axis]} entries at depth ${axis} for shape ${fmt(shape)}`);
  }
  for (const v of values) flatten(v, shape, axis + 1, out);
  return out;
}

/**
 * A tensor from JS values: a number, nested arrays, or a flat array/typed array with a shape.
 * dtype defaults to int32 for an Int32Array, else float32.
 */
export function tensor(values: TensorLike, shape?: Shape, dtype?: DType): Tensor {
  const type: DType = dtype ?? (values instanceof Int32Array ? 'int32' : 'float32');
  if (type !== 'float32' && type !== 'int32') {
    throw new Error(`tensor: unknown dtype '${type as string}'; expected 'float32' or 'int32'`);
  }
  const nestedShape = inferShape(values);
  const flat: ArrayLike<number> = ArrayBuffer.isView(values)
    ? (values as Float32Array)
    : nestedShape.length > 1
      ? flatten(values, nestedShape)
      : typeof values === 'number'
        ? [values]
        : (values as number[]);
  const outShape = shape ?? nestedShape;
  checkShape('tensor', outShape);
  if (sizeOf(outShape) !== flat.length) {
    throw new Error(`tensor: ${flat.length} values cannot fill shape ${fmt(outShape)} (${sizeOf(outShape)} elements)`);
  }
  for (let i = 0; i < flat.length; i++) {
    const v = flat[i];
    if (typeof v !== 'number') throw new Error(`tensor: value ${i} is ${typeof v}, expected a number`);
    if (type === 'int32' && !Number.isInteger(v)) {
      throw new Error(`tensor: int32 value ${i} is ${v}, expected an integer`);
    }
    if (type === 'int32' && (v < INT32_MIN || v > INT32_MAX)) {
      // refused rather than wrapped (as Int32Array would): a label of 2^32 + 1 must not become 1
      throw new Error(`tensor: int32 value ${i} is ${v}, outside int32's range [${INT32_MIN}, ${INT32_MAX}]`);
    }
  }
  const backend = currentBackend();
  return makeTensor(backend.write(flat, outShape, type), [...outShape], type, backend);
}

export const scalar = (value: number, dtype: DType = 'float32'): Tensor => tensor(value, [], dtype);

export interface FillAttrs {
  readonly shape: Shape;
  readonly value: number;
  readonly dtype: DType;
}
const fillOp: OpDef<FillAttrs> = {
  name: 'fill',
  infer: (_, { shape, value, dtype }) => {
    checkShape('fill', shape);
    if (dtype === 'int32' && !(Number.isInteger(value) && value >= INT32_MIN && value <= INT32_MAX)) {
      throw new Error(`fill: int32 value ${value} is not an integer in [${INT32_MIN}, ${INT32_MAX}]`);
    }
    return { shape, dtype };
  },
  kernel: (backend, _, { shape, value, dtype }) => backend.fill(shape, value, dtype),
  grad: 'nonDifferentiable',
};

export const creationOps = { fill: fillOp };

export const fill = (shape: Shape, value: number, dtype: DType = 'float32'): Tensor =>
  runOp(fillOp, [], { shape: [...shape], value, dtype });
export const zeros = (shape: Shape, dtype: DType = 'float32'): Tensor => fill(shape, 0, dtype);
export const ones = (shape: Shape, dtype: DType = 'float32'): Tensor => fill(shape, 1, dtype);
/** Zeros of x's shape and dtype, on x's backend. */
export const zerosLike = (x: Tensor): Tensor => withBackend(x.backend, () => fill(x.shape, 0, x.dtype));
/** Ones of x's shape and dtype, on x's backend. */
export const onesLike = (x: Tensor): Tensor => withBackend(x.backend, () => fill(x.shape, 1, x.dtype));

/** A number becomes a scalar on the same backend as `like`; a Tensor passes through. */
export function asTensor(value: Tensor | number, like: Tensor): Tensor {
  if (value instanceof Tensor) return value;
  if (typeof value !== 'number') throw new Error(notATensor('asTensor', 'an operand', value));
  return makeTensor(like.backend.write([value], [], like.dtype), [], like.dtype, like.backend);
}
