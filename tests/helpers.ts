// Test helpers: the backends under test, seeded random inputs by domain, and closeness checks whose
// failures say where and by how much.
import { expect } from 'chai';
import {
  findBackend,
  getBackend,
  normalValues,
  setBackend,
  tensor,
  uniformValues,
  withBackend,
  type Backend,
  type Shape,
  type Tensor,
} from '@webgrad/core';
import '@webgrad/webgpu';

export const cpu = (): Backend => findBackend('cpu')!;
export const gpu = (): Backend => {
  const b = findBackend('webgpu');
  if (!b) throw new Error('the webgpu backend was not initialised (tests/setup.ts)');
  return b;
};
/** The backends every table-driven suite runs on; looked up when a test runs (setup.ts makes them). */
export const BACKENDS = ['cpu', 'webgpu'] as const;
export const backendOf = (name: (typeof BACKENDS)[number]): Backend => (name === 'cpu' ? cpu() : gpu());

export type Domain = 'any' | 'positive' | 'nonzero' | 'tied';

/**
 * Seeded values for a domain: 'positive' in [0.5, 2], 'nonzero' ±[0.5, 2], 'any' normal, 'tied' the
 * normal values rounded into {−1, 0, 1}, so maxima, windows and pairs tie and the tie rules are exercised.
 */
export function randomValues(n: number, domain: Domain, seed: number): Float64Array {
  if (domain === 'any') return normalValues(n, seed);
  if (domain === 'tied') return normalValues(n, seed).map((v) => Math.max(-1, Math.min(1, Math.round(v))));
  const magnitudes = uniformValues(n, seed, 0.5, 2);
  if (domain === 'positive') return magnitudes;
  const signs = uniformValues(n, seed, 0, 1, 1);
  return magnitudes.map((m, i) => (signs[i] < 0.5 ? -m : m));
}

export const on = <T>(backend: Backend, fn: () => T): T => withBackend(backend, fn);

export const tensorOn = (backend: Backend, values: ArrayLike<number>, shape: Shape): Tensor =>
  withBackend(backend, () => tensor(Float32Array.from(values), shape));

/** |actual - expected| <= atol + rtol·|expected| everywhere; NaN anywhere fails. */
export function expectClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  { rtol = 1e-5, atol = 1e-6 } = {},
  what = '',
): void {
  expect(actual.length, `${what}: length`).to.equal(expected.length);
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
    expect.fail(
      `${what}: element ${worst} is ${actual[worst]}, expected ${expected[worst]} (rtol ${rtol}, atol ${atol})`,
    );
  }
}

/** Runs a describe block's tests with `name` as the current backend (async code included). */
export function useBackend(name: (typeof BACKENDS)[number]): void {
  let previous = 'cpu';
  before(async () => {
    previous = getBackend();
    await setBackend(name);
  });
  after(async () => {
    await setBackend(previous);
  });
}
