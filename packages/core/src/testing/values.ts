// The kernel harness's values: seeded random inputs by domain, and a closeness check whose failure
// names the element, its value, the expected one and the tolerance. No test framework is assumed:
// a failure is a thrown Error, which mocha, node:test, vitest or a page's own code all report.
import { normalValues, uniformValues } from '../rng.js';

/**
 * What an input's values are drawn from: 'any' normal, 'positive' [0.5, 2], 'nonzero' ±[0.5, 2],
 * 'tied' the normal values rounded into {−1, 0, 1}, so maxima, windows and pairs tie and tie rules run.
 */
export type Domain = 'any' | 'positive' | 'nonzero' | 'tied';

/** Seeded values for a domain (see Domain). */
export function randomValues(n: number, domain: Domain, seed: number): Float64Array {
  if (domain === 'any') return normalValues(n, seed);
  if (domain === 'tied') return normalValues(n, seed).map((v) => Math.max(-1, Math.min(1, Math.round(v))));
  const magnitudes = uniformValues(n, seed, 0.5, 2);
  if (domain === 'positive') return magnitudes;
  const signs = uniformValues(n, seed, 0, 1, 1);
  return magnitudes.map((m, i) => (signs[i] < 0.5 ? -m : m));
}

export interface Tolerance {
  readonly rtol?: number;
  readonly atol?: number;
}

/**
 * |actual − expected| ≤ atol + rtol·|expected| everywhere, NaN anywhere failing (a poisoned output
 * element the kernel did not write is NaN); throws naming the worst element, prefixed with `what`.
 */
export function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  { rtol = 1e-5, atol = 1e-6 }: Tolerance = {},
  what = '',
): void {
  if (actual.length !== expected.length) {
    throw new Error(`${what}: length ${actual.length}, expected ${expected.length}`);
  }
  let worst = -1,
    worstExcess = 0;
  for (let i = 0; i < actual.length; i++) {
    const excess = Math.abs(actual[i] - expected[i]) - (atol + rtol * Math.abs(expected[i]));
    if (!(excess <= 0) && (worst < 0 || !(excess <= worstExcess))) {
      worst = i;
      worstExcess = excess;
    }
  }
  if (worst >= 0) {
    throw new Error(
      `${what}: element ${worst} is ${actual[worst]}, expected ${expected[worst]} (rtol ${rtol}, atol ${atol})`,
    );
  }
}
