// The reduction family's part of the spec table: sum, mean, max, min over any axes with keepDims, and
// argmax. Tolerances are relative to the values reduced: a mean's absolute tolerance is its sum's
// divided by the count, so a mean near zero is not compared against a bound larger than itself.
// max, min and argmax also run on tied data, where the tie rules (split the gradient, first index) decide.
// summaryStats compares its sums, extremes, threshold counts and bin counts all at once: the bin
// counts are exact integers on both sides (a count off by one fails the relative tolerance).
import { argmax, globalNorm, max, mean, min, sum, summaryStats, type Shape } from '@webgrad/core';
import type { SpecPart } from '../../kernel-spec.js';

const sumTolerance = { rtol: 1e-5, atol: 1e-5 };

export const reduceSpecs = {
  sum: [
    {
      name: 'sum (all axes)',
      fn: (x) => sum(x),
      cases: [[[7]], [[3, 5, 7]], [[1]]],
      domains: ['any'],
      large: [[[1024, 1031]]],
      tolerance: { rtol: 1e-4, atol: 1e-2 },
    },
    {
      name: 'sum axis 1',
      fn: (x) => sum(x, 1),
      cases: [[[3, 5, 7]], [[2, 1031]]],
      domains: ['any'],
      large: [[[67, 16411]]],
      tolerance: { rtol: 1e-4, atol: 1e-3 },
    },
    {
      name: 'sum axes [0, 2] keepDims',
      fn: (x) => sum(x, [0, 2], true),
      cases: [[[3, 5, 7]], [[1, 1, 1]]],
      domains: ['any'],
      tolerance: sumTolerance,
    },
    {
      name: 'globalNorm of two tensors (a sum of squares)',
      fn: (a, b) => globalNorm([a, b]),
      cases: [
        [[3, 5], [7]],
        [[1031], [1]],
      ],
      domains: ['any', 'any'],
    },
  ],
  mean: [
    // the means of 131 and 1031 normal values are near 0.1 and 0.03: an atol of 1e-7 keeps the check relative
    {
      name: 'mean axis 0',
      fn: (x) => mean(x, 0),
      cases: [[[5, 3]], [[131, 7]]],
      domains: ['any'],
      large: [[[1031, 1024]]],
      tolerance: { rtol: 1e-4, atol: 1e-7 },
    },
    {
      name: 'mean axis -1',
      fn: (x) => mean(x, -1),
      cases: [[[3, 5]], [[2, 3, 257]]],
      domains: ['any'],
      tolerance: { rtol: 1e-5, atol: 1e-7 },
    },
    {
      name: 'mean (all axes) of positive values',
      fn: (x) => mean(x),
      cases: [[[7]], [[3, 5, 7]]],
      domains: ['positive'],
      large: [[[1024, 1031]]],
      tolerance: { rtol: 1e-5, atol: 0 },
    },
  ],
  max: [
    {
      name: 'max (all axes)',
      fn: (x) => max(x),
      cases: [[[7]], [[3, 5, 7]]],
      domains: ['any'],
      large: [[[1024, 1031]]],
    },
    { name: 'max axis 1 keepDims', fn: (x) => max(x, 1, true), cases: [[[3, 5]], [[2, 1031]]], domains: ['any'] },
    {
      name: 'max axis 1 on tied inputs',
      fn: (x) => max(x, 1),
      cases: [[[3, 5]], [[4, 7]], [[2, 1031]]],
      domains: ['tied'],
      tieRule: 'the gradient is split equally among the tied maxima',
    },
    {
      name: 'max (all axes) on tied inputs',
      fn: (x) => max(x),
      cases: [[[3, 5, 7]]],
      domains: ['tied'],
      large: [[[1024, 1031]]],
      tieRule: 'split equally among the ties',
    },
  ],
  min: [
    { name: 'min axes [0, 2]', fn: (x) => min(x, [0, 2]), cases: [[[3, 5, 7]], [[1, 1, 1]]], domains: ['any'] },
    {
      name: 'min axes [0, 2] on tied inputs',
      fn: (x) => min(x, [0, 2]),
      cases: [[[3, 5, 7]], [[4, 3, 130]]],
      domains: ['tied'],
      tieRule: 'split equally among the ties',
    },
  ],
  argmax: [
    {
      name: 'argmax axis -1',
      fn: (x) => argmax(x),
      cases: [[[3, 7]], [[5, 1031]], [[1, 1]], [[67, 40]], [[130, 10]]],
      domains: ['any'],
      nonDifferentiable: true,
      large: [[[1024, 1031]]],
    },
    {
      name: 'argmax axis 0',
      fn: (x) => argmax(x, 0),
      cases: [[[7, 3]], [[131, 5]]],
      domains: ['any'],
      nonDifferentiable: true,
    },
    {
      name: 'argmax axis -1 on tied inputs (the first index wins)',
      fn: (x) => argmax(x),
      domains: ['tied'],
      nonDifferentiable: true,
      cases: [[[3, 7]], [[130, 10]], [[67, 40]], [[5, 1031]]] satisfies Shape[][],
      large: [[[1024, 1031]]],
    },
    {
      name: 'argmax axis 0 on tied inputs (the first index wins)',
      fn: (x) => argmax(x, 0),
      cases: [[[7, 3]], [[131, 5]], [[40, 67]]],
      domains: ['tied'],
      nonDifferentiable: true,
    },
  ],
  summaryStats: [
    {
      name: 'summaryStats, 20 bins, counts below -0.5 and above 1',
      fn: (x) => summaryStats(x, { bins: 20, below: -0.5, above: 1 }),
      // one element, fewer than a workgroup, a partial last stride, several strides
      cases: [[[1]], [[7, 3]], [[300]], [[64, 128]]],
      domains: ['any'],
      nonDifferentiable: true,
      large: [[[784, 128]]],
      tolerance: { rtol: 1e-5, atol: 1e-3 },
    },
    {
      name: 'summaryStats on tied inputs, 3 bins (values on the edges, and a max = min case)',
      fn: (x) => summaryStats(x, { bins: 3 }),
      cases: [[[5, 9]], [[1, 1]], [[257]]],
      domains: ['tied'],
      nonDifferentiable: true,
    },
    {
      name: 'summaryStats of segments: 1 element, a chunk and 5 more, the rest (bins and thresholds of their own)',
      fn: (x) =>
        summaryStats(x, [
          { size: 1, bins: 1 },
          { size: 4101, bins: 20, below: -1, above: 0.5 },
          { size: x.size - 4102, bins: 7 },
        ]),
      cases: [[[64, 128]], [[4103]]],
      domains: ['any'],
      nonDifferentiable: true,
      large: [[[784, 129]]],
      tolerance: { rtol: 1e-5, atol: 1e-3 },
    },
    {
      name: 'summaryStats of three inputs read in place: two runs of the first, the others whole',
      fn: (a, b, c) =>
        summaryStats(
          [a, b, c],
          [
            { size: 100, bins: 5, above: 0 },
            { size: a.size - 100, bins: 20, below: -2 },
            { input: 1, size: b.size, bins: 1 },
            { input: 2, size: c.size, bins: 3 },
          ],
        ),
      cases: [
        [[64, 65], [4097], [3]],
        [[101], [1], [9000]],
      ],
      domains: ['any', 'any', 'any'],
      nonDifferentiable: true,
      tolerance: { rtol: 1e-5, atol: 1e-3 },
    },
    {
      name: 'summaryStats of a difference: runs of the first input less the third, then the inputs themselves (some without spread)',
      fn: (a, b, c) =>
        summaryStats(
          [a, b, c],
          [
            { size: 5000, bins: 20, below: -0.5, above: 0.5, minus: 2 },
            { size: a.size - 5000, bins: 1, minus: 2, spread: false },
            { size: a.size, bins: 7, spread: false },
            { input: 1, size: b.size, bins: 3 },
          ],
        ),
      cases: [
        [[64, 129], [7], [64, 129]],
        [[5001], [4097], [5001]],
      ],
      domains: ['any', 'any', 'any'],
      nonDifferentiable: true,
      large: [[[784, 128], [128], [784, 128]]],
      tolerance: { rtol: 1e-5, atol: 1e-3 },
    },
    {
      name: 'summaryStats of a difference with no spread: an input less itself is all zeros, every element in the last bin',
      fn: (a, b) =>
        summaryStats(
          [a, b, a],
          [
            { size: a.size, bins: 4, minus: 2 },
            { input: 1, size: b.size, bins: 1 },
          ],
        ),
      cases: [[[3, 5], [2]]],
      domains: ['any', 'any'],
      nonDifferentiable: true,
    },
    {
      name: 'summaryStats, 256 bins (the most)',
      fn: (x) => summaryStats(x, { bins: 256 }),
      cases: [[[33, 31]]],
      domains: ['positive'],
      nonDifferentiable: true,
    },
  ],
} satisfies SpecPart;
