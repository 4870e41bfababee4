// The movement family's part of the spec table: reshape, broadcastTo, transpose, slice, pad, concat,
// gather (indices across the whole axis, both ends included), oneHot and cast.
import { broadcastTo, cast, concat, gather, oneHot, pad, reshape, slice, transpose, type Shape } from '@webgrad/core';
import type { SpecPart } from '../../kernel-spec.js';

/** gather's indices span the gathered axis of x (input 0). */
const axisLength = (axis: number) => (shapes: readonly Shape[]) => shapes[0][axis];

export const movementSpecs = {
  reshape: [
    {
      name: 'reshape [3,4,5] -> [5,12]',
      fn: (x) => reshape(x, [5, 12]),
      cases: [[[3, 4, 5]], [[60]]],
      domains: ['any'],
    },
  ],
  broadcastTo: [
    {
      name: 'broadcastTo [1,5]->[3,4,5]',
      fn: (x) => broadcastTo(x, [3, 4, 5]),
      cases: [[[1, 5]], [[5]], [[4, 1]]],
      domains: ['any'],
    },
  ],
  transpose: [
    {
      name: 'transpose 2-D',
      fn: (x) => transpose(x),
      cases: [[[3, 5]], [[1, 7]], [[67, 131]]],
      domains: ['any'],
      large: [[[1031, 1024]]],
    },
    {
      name: 'transpose [2,0,1]',
      fn: (x) => transpose(x, [2, 0, 1]),
      cases: [[[2, 3, 5]], [[7, 1, 13]]],
      domains: ['any'],
    },
  ],
  slice: [
    { name: 'slice', fn: (x) => slice(x, [1, 2], [2, -1]), cases: [[[4, 7]], [[3, 131]]], domains: ['any'] },
    {
      name: 'slice 3-D',
      fn: (x) => slice(x, [0, 1, 3], [-1, 2, 4]),
      cases: [[[2, 3, 7]], [[5, 4, 9]]],
      domains: ['any'],
    },
  ],
  pad: [
    {
      name: 'pad',
      fn: (x) =>
        pad(
          x,
          [
            [1, 0],
            [2, 3],
          ],
          0.5,
        ),
      cases: [[[2, 3]], [[1, 1]], [[13, 7]]],
      domains: ['any'],
    },
  ],
  concat: [
    {
      name: 'concat axis 0',
      fn: (a, b) => concat([a, b], 0),
      cases: [
        [
          [2, 3],
          [1, 3],
        ],
        [
          [7, 5],
          [13, 5],
        ],
      ],
      domains: ['any', 'any'],
    },
    {
      name: 'concat axis 1 (three inputs)',
      fn: (a, b, c) => concat([a, b, c], 1),
      cases: [
        [
          [2, 3],
          [2, 1],
          [2, 2],
        ],
        [
          [3, 7],
          [3, 13],
          [3, 1],
        ],
      ],
      domains: ['any', 'any', 'any'],
    },
  ],
  gather: [
    {
      name: 'gather axis 0',
      fn: (x, i) => gather(x, i, 0),
      cases: [
        [[5, 3], [4]],
        [[131, 7], [67]],
        [[300, 2], [97]],
      ],
      domains: ['any', 'any'],
      integerInputs: { 1: axisLength(0) },
    },
    {
      name: 'gather axis 1',
      fn: (x, i) => gather(x, i, 1),
      cases: [
        [
          [2, 5, 3],
          [2, 3],
        ],
        [[3, 7, 2], [11]],
        [
          [2, 257, 3],
          [5, 13],
        ],
      ],
      domains: ['any', 'any'],
      integerInputs: { 1: axisLength(1) },
    },
  ],
  oneHot: [
    {
      name: 'oneHot',
      fn: (i) => oneHot(i, 10),
      cases: [[[7]], [[3, 5]], [[1031]]],
      domains: ['any'],
      integerInputs: { 0: 10 },
      nonDifferentiable: true,
    },
  ],
  cast: [
    {
      name: 'cast float32 → int32',
      fn: (x) => cast(x, 'int32'),
      cases: [[[7]], [[1031]]],
      domains: ['any'],
      nonDifferentiable: true,
    },
    {
      name: 'cast int32 → float32',
      fn: (x) => cast(x, 'float32'),
      cases: [[[7]], [[1031]]],
      domains: ['any'],
      integerInputs: { 0: 1000 },
      nonDifferentiable: true,
    },
  ],
} satisfies SpecPart;
