// The elementwise family's part of the spec table: every unary op (activations, math, isFinite), every
// binary op (arithmetic, extrema, comparisons) and where. Shapes are awkward on purpose: 1, primes,
// non-multiples of the 256-wide workgroups, broadcasts, and large sizes; extrema and comparisons also
// run on tied data, where their tie rules decide.
import {
  abs,
  add,
  div,
  elu,
  equal,
  exp,
  gelu,
  greater,
  greaterEqual,
  isFinite,
  leakyRelu,
  less,
  lessEqual,
  log,
  maximum,
  minimum,
  mul,
  neg,
  pow,
  reciprocal,
  relu,
  rsqrt,
  selu,
  sigmoid,
  softplus,
  sqrt,
  square,
  sub,
  tanh,
  where,
  type Shape,
} from '@webgrad/core';
import type { Spec, SpecPart } from '../../kernel-spec.js';

const unaryCases: Shape[][] = [[[1]], [[7, 13]], [[2, 3, 5]], [[1031]]];
const binaryCases: Shape[][] = [
  [[1], [1]],
  [[7, 13], [13]],
  [
    [3, 1, 5],
    [1, 4, 1],
  ],
  [[2, 3], []],
  [[1031], [1031]],
];
const largeUnary: Shape[][] = [[[1024, 1031]]];
const largeBinary: Shape[][] = [[[1024, 1031], [1031]]]; // 1,055,744 elements, b broadcast along axis 0

const unary = (name: string, fn: Spec['fn'], domain: Spec['domains'][number], extra: Partial<Spec> = {}): Spec[] => [
  { name, fn, cases: unaryCases, domains: [domain], ...extra },
];
const comparison = (name: string, fn: Spec['fn']): Spec[] => [
  { name, fn, cases: binaryCases, domains: ['any', 'any'], nonDifferentiable: true },
  { name: `${name} on tied inputs`, fn, cases: binaryCases, domains: ['tied', 'tied'], nonDifferentiable: true },
];

export const elementwiseSpecs = {
  neg: unary('neg', neg, 'any', { large: largeUnary }),
  exp: unary('exp', exp, 'any', { large: largeUnary }),
  log: unary('log', log, 'positive', { large: largeUnary }),
  relu: unary('relu', relu, 'nonzero', { large: largeUnary }),
  sigmoid: unary('sigmoid', sigmoid, 'any', { large: largeUnary }),
  tanh: unary('tanh', tanh, 'any', { large: largeUnary }),
  abs: unary('abs', abs, 'nonzero', { large: largeUnary }),
  sqrt: unary('sqrt', sqrt, 'positive', { large: largeUnary }),
  rsqrt: unary('rsqrt', rsqrt, 'positive'),
  square: unary('square', square, 'any'),
  reciprocal: unary('reciprocal', reciprocal, 'nonzero'),
  leakyRelu: [
    {
      name: 'leakyRelu (α = 0.2)',
      fn: (x) => leakyRelu(x),
      cases: unaryCases,
      domains: ['nonzero'],
      large: largeUnary,
    },
    { name: 'leakyRelu (α = 0.01)', fn: (x) => leakyRelu(x, 0.01), cases: unaryCases, domains: ['nonzero'] },
  ],
  elu: [
    { name: 'elu (α = 1)', fn: (x) => elu(x), cases: unaryCases, domains: ['any'] },
    { name: 'elu (α = 0.5)', fn: (x) => elu(x, 0.5), cases: unaryCases, domains: ['nonzero'] },
  ],
  selu: unary('selu', selu, 'nonzero'),
  softplus: unary('softplus', softplus, 'any', { large: largeUnary }),
  gelu: unary('gelu', gelu, 'any', { large: largeUnary, tolerance: { rtol: 2e-5, atol: 2e-6 } }),
  // log of a negative is NaN and 1/0 is ∞: both masks hold 0s and 1s
  isFinite: [
    {
      name: 'isFinite of log(x)',
      fn: (x) => isFinite(log(x)),
      cases: unaryCases,
      domains: ['any'],
      nonDifferentiable: true,
    },
    {
      name: 'isFinite of 1/x',
      fn: (x) => isFinite(div(1, x)),
      cases: unaryCases,
      domains: ['tied'],
      nonDifferentiable: true,
    },
  ],
  add: [{ name: 'add', fn: add, cases: binaryCases, domains: ['any', 'any'], large: largeBinary }],
  sub: [{ name: 'sub', fn: sub, cases: binaryCases, domains: ['any', 'any'], large: largeBinary }],
  mul: [{ name: 'mul', fn: mul, cases: binaryCases, domains: ['any', 'any'], large: largeBinary }],
  div: [{ name: 'div', fn: div, cases: binaryCases, domains: ['any', 'nonzero'], large: largeBinary }],
  pow: [
    { name: 'pow', fn: pow, cases: binaryCases, domains: ['positive', 'any'], tolerance: { rtol: 1e-4, atol: 1e-5 } },
  ],
  maximum: [
    { name: 'maximum', fn: maximum, cases: binaryCases, domains: ['any', 'any'], large: largeBinary },
    {
      name: 'maximum on tied inputs',
      fn: maximum,
      cases: binaryCases,
      domains: ['tied', 'tied'],
      tieRule: 'a tie sends the gradient to a',
    },
  ],
  minimum: [
    { name: 'minimum', fn: minimum, cases: binaryCases, domains: ['any', 'any'] },
    {
      name: 'minimum on tied inputs',
      fn: minimum,
      cases: binaryCases,
      domains: ['tied', 'tied'],
      tieRule: 'a tie sends the gradient to a',
    },
  ],
  greater: comparison('greater', greater),
  less: comparison('less', less),
  equal: comparison('equal', equal),
  greaterEqual: comparison('greaterEqual', greaterEqual),
  lessEqual: comparison('lessEqual', lessEqual),
  where: [
    {
      name: 'where (broadcast condition)',
      fn: (c, a, b) => where(greater(c, 0), a, b),
      domains: ['any', 'any', 'any'],
      cases: [
        [[7, 1], [7, 13], [13]],
        [[5], [3, 5], [3, 1]],
        [[1031], [1031], [1031]],
      ],
    },
  ],
} satisfies SpecPart;
