// The kernel spec-table harness shared by every tests/backend suite: for each op, forward on the GPU
// against the CPU reference (outputs poisoned first, see setup.ts), backward by checkGradients on the
// CPU in float64, and GPU backward against CPU backward for L = <u, f(x)> with a fixed random u. The
// suite's specs form one table keyed by OpName (tests/backend/spec-table.ts), so an op without a spec
// does not compile.
import { expect } from 'chai';
import { checkGradients, grad, mul, tensor, withBackend, type OpName, type Shape, type Tensor } from '@webgrad/core';
import { cpu, expectClose, gpu, randomValues, tensorOn, type Domain } from './helpers.js';

/** An int32 input's values are drawn from [0, bound); the bound may depend on the case's shapes (a class count, an axis). */
export type IntegerBound = number | ((shapes: readonly Shape[]) => number);

export interface Spec {
  name: string;
  fn: (...xs: Tensor[]) => Tensor;
  /** Input shapes per case; the first case is small enough for element-by-element gradient checks. */
  cases: Shape[][];
  domains: Domain[];
  /** Large cases: forward and backward GPU vs CPU only. */
  large?: Shape[][];
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
   * does not apply there, so GPU gradients are compared with the CPU reference's, whose rule this
   * states (and a test by hand checks).
   */
  tieRule?: string;
}

/** An op covered elsewhere than by a spec: `coveredBy` names the test file and its describe title. */
export interface CoveredBy {
  readonly coveredBy: string;
}
/** The suite's specs, one entry per op: a missing op is a compile error. */
export type SpecTable = { readonly [K in OpName]: readonly Spec[] | CoveredBy };
/** One op family's part of the table, checked for unknown op names. */
export type SpecPart = Partial<SpecTable>;

export const isCoveredBy = (entry: readonly Spec[] | CoveredBy): entry is CoveredBy => 'coveredBy' in entry;

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
function inputOn(
  spec: Spec,
  backend: ReturnType<typeof cpu>,
  values: Float64Array,
  shapes: Shape[],
  i: number,
): Tensor {
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
async function forwardAndBackward(spec: Spec, values: Float64Array[], shapes: Shape[], backend = cpu()) {
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

export async function compareBackends(spec: Spec, shapes: Shape[], seed: number) {
  const values = inputs(shapes, spec.domains, seed);
  const reference = await forwardAndBackward(spec, values, shapes, cpu());
  const device = await forwardAndBackward(spec, values, shapes, gpu());
  const tolerance = spec.tolerance ?? { rtol: 2e-5, atol: 1e-6 };
  expect(device.shape).to.deep.equal(reference.shape);
  expectClose(device.out, reference.out, tolerance, `${spec.name} forward`);
  // Gradients sum over broadcast axes, so allow for float32 accumulation as in a reduction.
  reference.grads.forEach((g, i) =>
    expectClose(device.grads[i], g, { rtol: tolerance.rtol * 10, atol: tolerance.atol * 10 }, `${spec.name} d/dx${i}`),
  );
}

/** Mocha tests for one spec: each case forward + backward on both backends, then the large cases. */
function describeSpec(spec: Spec): void {
  describe(spec.name, () => {
    spec.cases.forEach((shapes, c) => {
      const label = shapes.map((s) => `[${s.join(',')}]`).join(' ');
      it(`forward and backward on ${label}`, async () => {
        await compareBackends(spec, shapes, 1000 + c);
        if (spec.nonDifferentiable || spec.tieRule) return;
        const all = inputs(shapes, spec.domains, 2000 + c).map((v, i) => inputOn(spec, cpu(), v, shapes, i));
        const { f, xs } = differentiable(spec, all);
        await checkGradients(f, xs, { rtol: 1e-5, atol: 1e-6 });
      });
    });
    for (const shapes of spec.large ?? []) {
      it(`large: ${shapes.map((s) => `[${s.join(',')}]`).join(' ')}`, async () => compareBackends(spec, shapes, 3000));
    }
  });
}

/** One mocha describe per spec. */
export function describeSpecs(title: string, specs: readonly Spec[]): void {
  describe(title, () => specs.forEach(describeSpec));
}

/** One op family's part of the spec table: a describe per op holding its specs (ops covered elsewhere are skipped here). */
export function describeSpecPart(title: string, part: SpecPart): void {
  describe(title, () => {
    for (const [op, entry] of Object.entries(part) as [OpName, readonly Spec[] | CoveredBy][]) {
      if (isCoveredBy(entry)) continue;
      describe(op, () => entry.forEach(describeSpec));
    }
  });
}
