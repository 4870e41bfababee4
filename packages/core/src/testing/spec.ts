// The kernel harness: a Spec names an op (any function of tensors: a built-in op, a composition, a
// custom kernel's op), its input shapes per case and its inputs' domains. `compareBackends` runs one
// case on a device backend and on the CPU reference (float64): the forward, and the gradients of
// L = <u, f(x)> for a fixed random u, within the spec's tolerance. `checkSpec` runs every case, adds
// the numeric gradient check (checkGradients) on the small cases, then the large ones. Outputs are
// poisoned by the device backend where it can (WebGPUBackend.poisonOutputs), so an element a kernel
// does not write reads NaN and fails, named by its index.
import { grad } from '../autodiff.js';
import type { Backend } from '../backend.js';
import type { Shape } from '../dtype.js';
import { findBackend, withBackend } from '../engine.js';
import { checkGradients } from '../gradcheck.js';
import { tensor } from '../ops/creation.js';
import { mul } from '../ops/elementwise.js';
import type { Tensor } from '../tensor.js';
import { assertClose, randomValues, type Domain } from './values.js';

/** An int32 input's values are drawn from [0, bound); the bound may depend on the case's shapes (a class count, an axis). */
export type IntegerBound = number | ((shapes: readonly Shape[]) => number);

export interface Spec {
  name: string;
  fn: (...xs: Tensor[]) => Tensor;
  /** Input shapes per case; the first case is small enough for element-by-element gradient checks. */
  cases: Shape[][];
  /** Each input's domain ('any' where missing). */
  domains: Domain[];
  /** Large cases: forward and backward against the CPU only. */
  large?: Shape[][];
  /** Default { rtol: 2e-5, atol: 1e-6 }; gradients get ten times as much (they sum over broadcast axes). */
  tolerance?: { rtol: number; atol: number };
  /** Skip the numeric gradient check (ops without a gradient). */
  nonDifferentiable?: boolean;
  /**
   * Inputs that are int32 (index → bound): constants, not differentiated. Their values span the range:
   * the first is bound − 1, the second 0, the rest drawn from [0, bound).
   */
  integerInputs?: Readonly<Record<number, IntegerBound>>;
  /**
   * The inputs tie on purpose (the 'tied' domain), where the op has a kink: the numeric gradient check
   * does not apply there, so the device's gradients are compared with the CPU reference's only.
   */
  tieRule?: string;
}

/** The CPU reference backend ('cpu', registered by importing @webgrad/core). */
export function cpuReference(): Backend {
  const cpu = findBackend('cpu');
  if (!cpu) throw new Error('the CPU reference backend is not registered: import @webgrad/core first');
  return cpu;
}

/** A float32 tensor of `values` on `backend`. */
export const tensorOn = (backend: Backend, values: ArrayLike<number>, shape: Shape): Tensor =>
  withBackend(backend, () => tensor(Float32Array.from(values), shape));

const inputs = (shapes: Shape[], domains: Domain[], seed: number) =>
  shapes.map((shape, i) =>
    randomValues(
      shape.reduce((n, d) => n * d, 1),
      domains[i] ?? 'any',
      seed + i,
    ),
  );

const isInteger = (spec: Spec, i: number) => spec.integerInputs?.[i] !== undefined;

/** Input i's tensor on a backend: int32 for integer inputs (values scaled into [0, bound)). */
function inputOn(spec: Spec, backend: Backend, values: Float64Array, shapes: Shape[], i: number): Tensor {
  const integer = spec.integerInputs?.[i];
  if (integer === undefined) return tensorOn(backend, values, shapes[i]);
  const bound = typeof integer === 'function' ? integer(shapes) : integer;
  const ints = Int32Array.from(values, (v) => Math.min(bound - 1, Math.floor(Math.abs(v * 7919)) % bound));
  if (ints.length > 0) ints[0] = bound - 1;
  if (ints.length > 1) ints[1] = 0;
  return withBackend(backend, () => tensor(ints, shapes[i], 'int32'));
}

/** f over the differentiable inputs, with the integer inputs fixed. */
function differentiable(spec: Spec, all: Tensor[]): { f: (...xs: Tensor[]) => Tensor; xs: Tensor[] } {
  const xs = all.filter((_, i) => !isInteger(spec, i));
  const f = (...args: Tensor[]) => {
    let next = 0;
    return spec.fn(...all.map((t, i) => (isInteger(spec, i) ? t : args[next++])));
  };
  return { f, xs };
}

/** Forward and dL/dx for L = <u, f(x)> with a fixed random u, on one backend. */
async function forwardAndBackward(spec: Spec, values: Float64Array[], shapes: Shape[], backend: Backend) {
  const all = values.map((v, i) => inputOn(spec, backend, v, shapes, i));
  const out = withBackend(backend, () => spec.fn(...all));
  const u = tensorOn(backend, randomValues(out.size, 'any', 99), out.shape);
  const { f, xs } = differentiable(spec, all);
  const differentiated = out.dtype === 'float32' && xs.length > 0;
  const grads = differentiated ? grad((...args: Tensor[]) => mul(f(...args), u))(...xs) : [];
  const result = { out: await out.data(), grads: await Promise.all(grads.map((g) => g.data())), shape: out.shape };
  [...all, out, u, ...grads].forEach((t) => t.dispose());
  return result;
}

const label = (shapes: readonly Shape[]) => shapes.map((s) => `[${s.join(',')}]`).join(' ');

/**
 * One case of `spec` on `device` against the CPU reference: the output's shape and values, then each
 * input's gradient. Throws naming the spec, the shapes, the output or gradient and the element.
 */
export async function compareBackends(
  spec: Spec,
  shapes: Shape[],
  seed: number,
  device: Backend,
  reference: Backend = cpuReference(),
): Promise<void> {
  const values = inputs(shapes, spec.domains, seed);
  const expected = await forwardAndBackward(spec, values, shapes, reference);
  const actual = await forwardAndBackward(spec, values, shapes, device);
  const tolerance = spec.tolerance ?? { rtol: 2e-5, atol: 1e-6 };
  const where = `${spec.name} on ${label(shapes)} (${device.name} against ${reference.name})`;
  if (label([actual.shape]) !== label([expected.shape])) {
    throw new Error(`${where}: output shape ${label([actual.shape])}, expected ${label([expected.shape])}`);
  }
  assertClose(actual.out, expected.out, tolerance, `${where} forward`);
  // Gradients sum over broadcast axes, so allow for float32 accumulation as in a reduction.
  const gradTolerance = { rtol: tolerance.rtol * 10, atol: tolerance.atol * 10 };
  expected.grads.forEach((g, i) => assertClose(actual.grads[i], g, gradTolerance, `${where} d/dx${i}`));
}

/** The numeric gradient check of one case, on the CPU in float64 (checkGradients). */
export async function checkSpecGradients(spec: Spec, shapes: Shape[], seed: number): Promise<void> {
  const cpu = cpuReference();
  const all = inputs(shapes, spec.domains, seed).map((v, i) => inputOn(spec, cpu, v, shapes, i));
  const { f, xs } = differentiable(spec, all);
  try {
    await checkGradients(f, xs, { rtol: 1e-5, atol: 1e-6 });
  } catch (error) {
    throw new Error(`${spec.name} on ${label(shapes)}: ${(error as Error).message}`, { cause: error });
  } finally {
    all.forEach((t) => t.dispose());
  }
}

/**
 * Every case of `spec` on `device` against the CPU reference (compareBackends), the numeric gradient
 * check on the small cases unless the spec is nonDifferentiable or ties on purpose, then the large
 * cases. Resolves when all pass; throws at the first failure.
 */
export async function checkSpec(spec: Spec, device: Backend): Promise<void> {
  for (const [c, shapes] of spec.cases.entries()) {
    await compareBackends(spec, shapes, 1000 + c, device);
    if (!spec.nonDifferentiable && !spec.tieRule) await checkSpecGradients(spec, shapes, 2000 + c);
  }
  for (const shapes of spec.large ?? []) await compareBackends(spec, shapes, 3000, device);
}
