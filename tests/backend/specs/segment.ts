// The segment family's part of the spec table: segment sum/mean/max/min/softmax over unsorted ids with
// an empty segment (ids span [0, 5), numSegments 6), segments of hundreds and of ~10,000 rows, scatterAdd,
// gatherNd, scatterNd (repeated indices) and the CSR sparse × dense matmul (an empty row, a column
// used twice).
import {
  gatherNd,
  scatterAdd,
  scatterNd,
  segmentMax,
  segmentMean,
  segmentMin,
  segmentSoftmax,
  segmentSum,
  sparseMatmul,
  tensor,
  withBackend,
  type Shape,
  type Tensor,
} from '@webgrad/core';
import type { Spec, SpecPart } from '../../kernel-spec.js';

const SEGMENTS = 6;
const IDS_BOUND = 5; // segment 5 stays empty
const segmentCases: Shape[][] = [
  [[7, 3], [7]],
  [[1, 2], [1]],
  [[300, 5], [300]],
];

type SegmentOp = (x: Tensor, ids: Tensor, n: number) => Tensor;
const segmentSpecPair = (name: string, op: SegmentOp): Spec[] => [
  {
    name: `${name} (unsorted ids, an empty segment)`,
    fn: (x, ids) => op(x, ids, SEGMENTS),
    cases: segmentCases,
    domains: ['any', 'any'],
    integerInputs: { 1: IDS_BOUND },
    large: [[[20011, 3], [20011]]],
  },
  {
    name: `${name} (two segments of about 10,000 rows and an empty one)`,
    fn: (x, ids) => op(x, ids, 3),
    cases: [[[5, 2], [5]]],
    domains: ['any', 'any'],
    integerInputs: { 1: 2 },
    large: [[[20003, 2], [20003]]],
  },
];

/** A fixed CSR matrix [4, 5] on the backend of `like`: rows 0..3 hold 2, 0, 3 and 1 entries. */
const csrOn = (like: Tensor, values: Tensor) =>
  withBackend(like.backend, () => ({
    rowPtr: tensor([0, 2, 2, 5, 6], [5], 'int32'),
    colIdx: tensor([0, 4, 1, 1, 3, 2], [6], 'int32'),
    values,
  }));

export const segmentSpecs = {
  segmentSum: segmentSpecPair('segmentSum', segmentSum),
  segmentMean: segmentSpecPair('segmentMean', segmentMean),
  segmentMax: segmentSpecPair('segmentMax', segmentMax),
  segmentMin: segmentSpecPair('segmentMin', segmentMin),
  segmentSoftmax: segmentSpecPair('segmentSoftmax', segmentSoftmax),
  scatterAdd: [
    {
      name: 'scatterAdd (repeated indices)',
      fn: (target, indices, updates) => scatterAdd(target, indices, updates),
      cases: [
        [[5, 3], [4], [4, 3]],
        [
          [3, 2],
          [2, 3],
          [2, 3, 2],
        ],
        [[50, 7], [600], [600, 7]],
      ],
      domains: ['any', 'any', 'any'],
      integerInputs: { 1: (shapes) => shapes[0][0] },
    },
  ],
  gatherNd: [
    {
      name: 'gatherNd (pairs into [4,3,2])',
      fn: (x, indices) => gatherNd(x, indices),
      cases: [
        [
          [4, 3, 2],
          [5, 2],
        ],
        [
          [3, 3],
          [2, 3, 2],
        ],
      ],
      domains: ['any', 'any'],
      integerInputs: { 1: 3 },
    },
  ],
  scatterNd: [
    {
      name: 'scatterNd (pairs into [4,3,2], repeats add)',
      fn: (indices, updates) => scatterNd(indices, updates, [4, 3, 2]),
      cases: [
        [
          [5, 2],
          [5, 2],
        ],
        [
          [40, 2],
          [40, 2],
        ],
      ],
      domains: ['any', 'any'],
      integerInputs: { 0: 3 },
    },
  ],
  sparseMatmul: [
    {
      name: 'sparseMatmul (CSR [4,5] with an empty row) × dense',
      fn: (values, dense) => sparseMatmul(csrOn(dense, values), dense),
      cases: [
        [[6], [5, 3]],
        [[6], [5, 1]],
        [[6], [5, 67]],
      ],
      domains: ['any', 'any'],
    },
  ],
} satisfies SpecPart;
