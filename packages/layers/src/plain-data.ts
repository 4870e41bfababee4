// Plain data for fit, evaluate and predict, as TF.js takes it: a nested array of numbers or a typed
// array where a tensor goes (one input or output), in a list of inputs, or in an object by name. Each
// becomes a tensor of the model's dtype for that input (int32 targets for a sparse loss), shaped from
// its nesting, or a typed array from the model's sample shape; the caller frees the tensors made here
// once its call is done. A ragged array is refused naming the input, where it breaks, and the shapes.
import { tensor, Tensor, type DType, type Shape } from '@webgrad/core';
import type { ModelData } from './training.js';

type TypedArray = Float32Array | Float64Array | Int32Array | Uint8Array | Int8Array | Uint16Array | Int16Array;
/** Numbers nested to a sample's depth; the innermost lists may be typed arrays. */
export type NestedNumbers = readonly (number | NestedNumbers | TypedArray)[];
/** One input's (or target's) values: a tensor, a nested array of numbers, or a typed array. */
export type PlainTensor = Tensor | NestedNumbers | TypedArray;
/** What fit, evaluate and predict take for x and y: ModelData, or plain data in its place. */
export type ModelInput = ModelData | PlainTensor | readonly PlainTensor[] | Readonly<Record<string, PlainTensor>>;

/** An input or output: its name, the dtype plain data becomes, and its sample shape where known. */
export interface PlainSpec {
  readonly name: string;
  readonly dtype: DType;
  readonly sampleShape?: Shape;
}

const isTyped = (v: unknown): v is TypedArray => ArrayBuffer.isView(v) && !(v instanceof DataView);
const isPlain = (v: unknown): v is NestedNumbers | TypedArray =>
  isTyped(v) || (Array.isArray(v) && (v.length === 0 || !(v[0] instanceof Tensor)));

/** The shape of a nested array, read along its first entries, then checked everywhere. */
function nestedShape(data: NestedNumbers | TypedArray, op: string, what: string): number[] {
  const shape: number[] = [];
  for (let level: unknown = data; Array.isArray(level) || isTyped(level); level = level[0]) shape.push(level.length);
  const at = (path: number[]) => `${what}${path.map((i) => `[${i}]`).join('')}`;
  const check = (v: unknown, path: number[]): void => {
    const depth = path.length;
    if (depth === shape.length) {
      if (typeof v !== 'number') {
        throw new Error(
          `${op}: ${what} is ragged: ${at(path)} is ${Array.isArray(v) ? 'a list' : typeof v}, expected a number ` +
            `(shape [${shape.join(', ')}] from its first entries)`,
        );
      }
      return;
    }
    const length = Array.isArray(v) || isTyped(v) ? v.length : undefined;
    if (length !== shape[depth]) {
      const first = at([...path.slice(0, -1), 0]);
      throw new Error(
        `${op}: ${what} is ragged: ${at(path)} ${length === undefined ? `is ${typeof v}` : `has ${length} entries`}` +
          ` where ${first} has ${shape[depth]}; every sample needs the shape [${shape.slice(1).join(', ')}]`,
      );
    }
    if (isTyped(v)) return;
    (v as unknown[]).forEach((entry, i) => check(entry, [...path, i]));
  };
  check(data, []);
  return shape;
}

/** One plain value as a tensor of `spec`'s dtype; `made` collects it for the caller to free. */
function toTensor(data: NestedNumbers | TypedArray, spec: PlainSpec, op: string, what: string, made: Tensor[]): Tensor {
  let shape: number[];
  let values: ArrayLike<number>;
  if (isTyped(data)) {
    const sample = spec.sampleShape;
    const per = sample?.reduce((n, d) => n * d, 1);
    if (sample === undefined || per === undefined || data.length % per !== 0) {
      throw new Error(
        `${op}: ${what} is a ${data.constructor.name} of ${data.length} values` +
          (sample
            ? `, not a whole number of samples of shape [${sample.join(', ')}]`
            : ", and the model's input shape is not known yet") +
          `; pass a nested array, or tensor(values, [samples, ...shape])`,
      );
    }
    shape = [data.length / per, ...sample];
    values = data;
  } else {
    shape = nestedShape(data, op, what);
    values = (data as unknown[]).flat(Infinity as 1).flatMap((v) => (isTyped(v) ? Array.from(v) : [v as number]));
  }
  const t = tensor(values as number[], shape, spec.dtype);
  made.push(t);
  return t;
}

/**
 * x or y with plain data made tensors, by the specs of the model's inputs (or outputs): a value in
 * place of the one tensor, a list, or an object by name. Anything else is returned as it is, for the
 * model's own checks to judge.
 */
export function tensorsFromPlain(
  data: ModelInput,
  specs: readonly PlainSpec[],
  op: string,
  what: 'x' | 'y',
  made: Tensor[],
): ModelData {
  if (data instanceof Tensor) return data;
  const one = specs.length === 1;
  if (one && isPlain(data)) return toTensor(data, specs[0], op, what, made);
  if (Array.isArray(data)) {
    return data.map((v: PlainTensor, i) =>
      isPlain(v) && specs[i] ? toTensor(v, specs[i], op, `${what}[${i}]`, made) : (v as Tensor),
    );
  }
  if (isTyped(data)) return toTensor(data, specs[0], op, what, made);
  // only a plain object maps names to inputs: a symbolic tensor, a number or undefined is left to the model's checks
  const prototype = typeof data === 'object' && data !== null ? Object.getPrototypeOf(data) : undefined;
  if (prototype !== Object.prototype && prototype !== null) return data as ModelData;
  const byName = data as Readonly<Record<string, PlainTensor>>;
  return Object.fromEntries(
    Object.entries(byName).map(([name, v]) => {
      const spec = specs.find((s) => s.name === name);
      return [name, spec && isPlain(v) ? toTensor(v, spec, op, `${what}.${name}`, made) : (v as Tensor)];
    }),
  );
}
