// Numeric gradient checking, part of the public API. f runs on the CPU reference backend in float64;
// its output is projected on a fixed random u, L(x) = <u, f(x)>, so the check covers J^T u. Small
// inputs are checked element by element with central differences; large ones along random
// directions v, comparing <∇L, v> with (L(x+εv) - L(x-εv)) / 2ε, which stays cheap at any size.
import { valueAndGrad } from './autodiff.js';
import { CpuBackend } from './cpu/backend.js';
import { fmt } from './dtype.js';
import { findBackend, makeTensor, tidy, withBackend } from './engine.js';
import { mul } from './ops/elementwise.js';
import { sum } from './ops/reduce.js';
import { normalValues } from './rng.js';
import type { Tensor } from './tensor.js';

export interface GradCheckOptions {
  /** Finite-difference step (default 1e-5). */
  eps?: number;
  /** Passes when |analytic - numeric| <= atol + rtol * max(|analytic|, |numeric|). */
  rtol?: number;
  atol?: number;
  /** Inputs with at most this many elements in all are checked element by element (default 256). */
  maxElements?: number;
  /** Random directions for larger inputs (default 6). */
  directions?: number;
  seed?: number;
}

export interface GradCheckResult {
  mode: 'elementwise' | 'directional';
  checks: number;
  maxError: number;
}

/**
 * Checks autodiff's gradient of f against central differences, in float64 on the CPU backend.
 * Resolves with the worst error seen; rejects naming the input and element that fail.
 */
export async function checkGradients(
  f: (...xs: Tensor[]) => Tensor,
  inputs: readonly Tensor[],
  options: GradCheckOptions = {},
): Promise<GradCheckResult> {
  const { eps = 1e-5, rtol = 1e-5, atol = 1e-7, maxElements = 256, directions = 6, seed = 7 } = options;
  const cpu = findBackend('cpu');
  if (!(cpu instanceof CpuBackend)) throw new Error('checkGradients: the CPU reference backend is not registered');
  const base = await Promise.all(
    inputs.map(async (t) => Float64Array.from(await t.backend.read(t.info('checkGradients')))),
  );

  return withBackend(cpu, () =>
    tidy(() => {
      const make = (values: Float64Array, i: number) =>
        makeTensor(cpu.write(values, inputs[i].shape, 'float32'), inputs[i].shape, 'float32', cpu);
      const probe = f(...base.map(make));
      const u = makeTensor(
        cpu.write(normalValues(probe.size, seed + 1), probe.shape, 'float32'),
        probe.shape,
        'float32',
        cpu,
      );
      const loss = (...xs: Tensor[]) => sum(mul(f(...xs), u));
      const lossAt = (values: Float64Array[]) => tidy(() => (loss(...values.map(make)).ref.storage as Float64Array)[0]);
      const { grads } = valueAndGrad(loss)(...base.map(make));
      const analytic = grads.map((g) => g.ref.storage as Float64Array);

      let maxError = 0,
        checks = 0;
      const compare = (a: number, n: number, where: string) => {
        const error = Math.abs(a - n);
        const allowed = atol + rtol * Math.max(Math.abs(a), Math.abs(n));
        maxError = Math.max(maxError, error / Math.max(1, Math.abs(a), Math.abs(n)));
        checks++;
        if (!(error <= allowed)) {
          throw new Error(
            `checkGradients: ${where}: autodiff gives ${a}, central differences ${n} ` +
              `(|difference| ${error.toExponential(2)} > allowed ${allowed.toExponential(2)})`,
          );
        }
      };

      const total = base.reduce((n, v) => n + v.length, 0);
      if (total <= maxElements) {
        base.forEach((values, i) => {
          for (let j = 0; j < values.length; j++) {
            const shifted = (delta: number) =>
              base.map((v, k) => (k === i ? v.map((x, e) => (e === j ? x + delta : x)) : v));
            const numeric = (lossAt(shifted(eps)) - lossAt(shifted(-eps))) / (2 * eps);
            compare(analytic[i][j], numeric, `input ${i} (shape ${fmt(inputs[i].shape)}), element ${j}`);
          }
        });
        return { mode: 'elementwise' as const, checks, maxError };
      }
      for (let d = 0; d < directions; d++) {
        const v = base.map((values, i) => normalValues(values.length, seed + 100 + d, 0, 1, i));
        const along = (s: number) => base.map((values, i) => values.map((x, e) => x + s * v[i][e]));
        const numeric = (lossAt(along(eps)) - lossAt(along(-eps))) / (2 * eps);
        const dot = analytic.reduce((acc, g, i) => g.reduce((a, gi, e) => a + gi * v[i][e], acc), 0);
        compare(dot, numeric, `random direction ${d} over all inputs`);
      }
      return { mode: 'directional' as const, checks, maxError };
    }),
  );
}
