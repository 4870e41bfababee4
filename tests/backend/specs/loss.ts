// The softmax and loss family's part of the spec table: softmax, logSoftmax, softmaxCrossEntropy
// (class indices across the whole class range, with 1 to 1031 classes, so the one-lane and the
// multi-lane rows above 16 and 64 classes see real labels; probabilities; soft labels differentiated)
// and sigmoidBinaryCrossEntropy. The Keras regression losses are composites of other ops, run here too.
import {
  huber,
  logSoftmax,
  meanAbsoluteError,
  meanSquaredError,
  sigmoid,
  sigmoidBinaryCrossEntropy,
  softmax,
  softmaxCrossEntropy,
  tensor,
  withBackend,
  type Shape,
  type Tensor,
} from '@webgrad/core';
import { randomValues } from '../../helpers.js';
import type { Spec, SpecPart } from '../../kernel-spec.js';

const rows: Shape[][] = [[[1, 1]], [[3, 7]], [[5, 10]], [[4, 17]], [[3, 67]], [[2, 1031]]];
/** Fixed probability rows (a softmax of seeded normals), made on the logits' backend: data, not a parameter. */
const probabilitiesLike = (z: Tensor) => {
  const [n, c] = z.shape,
    values = randomValues(n * c, 'any', 5);
  const p = Array.from(values, (_, i) => Math.exp(values[i]));
  for (let r = 0; r < n; r++) {
    const total = p.slice(r * c, (r + 1) * c).reduce((a, b) => a + b, 0);
    for (let k = 0; k < c; k++) p[r * c + k] /= total;
  }
  return withBackend(z.backend, () => tensor(p, [n, c]));
};
/** Sparse labels span the classes of the logits (input 0). */
const classCount = (shapes: readonly Shape[]) => shapes[0][1];

export const lossSpecs = {
  softmax: [{ name: 'softmax', fn: softmax, cases: rows, domains: ['any'], large: [[[1024, 1031]]] }],
  logSoftmax: [{ name: 'logSoftmax', fn: logSoftmax, cases: [...rows, [[2, 3, 5]]], domains: ['any'] }],
  softmaxCrossEntropy: [
    {
      name: 'softmaxCrossEntropy (int32 labels across the classes)',
      fn: softmaxCrossEntropy,
      domains: ['any', 'any'],
      integerInputs: { 1: classCount },
      cases: [
        [[3, 7], [3]],
        [[6, 10], [6]],
        [[5, 17], [5]],
        [[8, 40], [8]],
        [[4, 67], [4]],
        [[6, 100], [6]],
        [[2, 1031], [2]],
        [[4, 1], [4]],
        [[67, 10], [67]],
        [[130, 10], [130]],
      ],
      large: [
        [[1024, 10], [1024]],
        [[256, 130], [256]],
      ],
    },
    {
      name: 'softmaxCrossEntropy (probabilities)',
      fn: (z) => softmaxCrossEntropy(z, probabilitiesLike(z)),
      cases: rows,
      domains: ['any'],
    },
    {
      name: 'softmaxCrossEntropy (soft labels, differentiated)',
      fn: (z, q) => softmaxCrossEntropy(z, softmax(q)),
      domains: ['any', 'any'],
      cases: [
        [
          [3, 7],
          [3, 7],
        ],
        [
          [2, 10],
          [2, 10],
        ],
        [
          [37, 100],
          [37, 100],
        ],
      ],
    },
  ],
  sigmoidBinaryCrossEntropy: [
    {
      name: 'sigmoidBinaryCrossEntropy',
      fn: (x, z) => sigmoidBinaryCrossEntropy(x, sigmoid(z)),
      cases: [
        [[1], [1]],
        [
          [7, 13],
          [7, 13],
        ],
        [[1031], [1031]],
      ],
      domains: ['any', 'any'],
    },
  ],
} satisfies SpecPart;

/** Keras's regression losses: composites of elementwise ops and mean, not ops of their own. */
export const compositeLossSpecs: Spec[] = [
  {
    name: 'meanSquaredError',
    fn: meanSquaredError,
    cases: [
      [
        [3, 5],
        [3, 5],
      ],
      [
        [1, 1],
        [1, 1],
      ],
      [[7], [7]],
    ],
    domains: ['any', 'any'],
  },
  {
    name: 'meanAbsoluteError',
    fn: meanAbsoluteError,
    cases: [
      [
        [3, 5],
        [3, 5],
      ],
      [[7], [7]],
    ],
    domains: ['any', 'any'],
  },
  {
    name: 'huber (δ = 1)',
    fn: (a, b) => huber(a, b),
    cases: [
      [
        [3, 5],
        [3, 5],
      ],
      [
        [2, 131],
        [2, 131],
      ],
    ],
    domains: ['any', 'any'],
  },
];
