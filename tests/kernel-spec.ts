// The kernel spec-table harness shared by every tests/backend suite, as mocha tests: for each op,
// forward on the GPU against the CPU reference (outputs poisoned first, see setup.ts), backward by
// checkGradients on the CPU in float64, and GPU backward against CPU backward for L = <u, f(x)> with a
// fixed random u; the checks themselves are the published harness, @webgrad/core/testing. The suite's
// specs form one table keyed by OpName (tests/backend/spec-table.ts), so an op without a spec does not
// compile.
import type { OpName, Shape } from '@webgrad/core';
import { checkSpecGradients, compareBackends as compareOnDevice, type Spec } from '@webgrad/core/testing';
import { gpu } from './helpers.js';

export type { IntegerBound, Spec } from '@webgrad/core/testing';

/** An op covered elsewhere than by a spec: `coveredBy` names the test file and its describe title. */
export interface CoveredBy {
  readonly coveredBy: string;
}
/** The suite's specs, one entry per op: a missing op is a compile error. */
export type SpecTable = { readonly [K in OpName]: readonly Spec[] | CoveredBy };
/** One op family's part of the table, checked for unknown op names. */
export type SpecPart = Partial<SpecTable>;

export const isCoveredBy = (entry: readonly Spec[] | CoveredBy): entry is CoveredBy => 'coveredBy' in entry;

/** One case of `spec` on the WebGPU backend against the CPU reference (@webgrad/core/testing). */
export const compareBackends = (spec: Spec, shapes: Shape[], seed: number): Promise<void> =>
  compareOnDevice(spec, shapes, seed, gpu());

/** Mocha tests for one spec: each case forward + backward on both backends, then the large cases. */
function describeSpec(spec: Spec): void {
  describe(spec.name, () => {
    spec.cases.forEach((shapes, c) => {
      const label = shapes.map((s) => `[${s.join(',')}]`).join(' ');
      it(`forward and backward on ${label}`, async () => {
        await compareBackends(spec, shapes, 1000 + c);
        if (spec.nonDifferentiable || spec.tieRule) return;
        await checkSpecGradients(spec, shapes, 2000 + c);
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
