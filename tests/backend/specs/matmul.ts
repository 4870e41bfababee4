// The matmul family's part of the spec table: matmul with every transpose pair, batched and broadcast,
// and fusedMatmul with every combination its gradient rule branches on (transposeA × transposeB × bias ×
// activation), at sizes around the kernels' tiles and with 512-wide large cases.
import { FUSED_ACTIVATIONS, fusedMatmul, matmul, type Shape } from '@webgrad/core';
import type { Spec, SpecPart } from '../../kernel-spec.js';

const tolerance = { rtol: 1e-4, atol: 1e-3 };

/** op(a) is [m, k] and op(b) is [k, n]: the stored shapes for the transpose flags. */
const operands = (m: number, k: number, n: number, transposeA: boolean, transposeB: boolean): [Shape, Shape] => [
  transposeA ? [k, m] : [m, k],
  transposeB ? [n, k] : [k, n],
];

const fusedCombinations: Spec[] = [false, true].flatMap((transposeA) =>
  [false, true].flatMap((transposeB) =>
    [false, true].flatMap((withBias) =>
      FUSED_ACTIVATIONS.map((activation): Spec => {
        const small = operands(3, 4, 5, transposeA, transposeB);
        const batched: Shape[] = [
          [2, ...operands(3, 7, 6, transposeA, transposeB)[0]],
          operands(3, 7, 6, transposeA, transposeB)[1],
        ];
        const withBiasShape = (shapes: Shape[], n: number): Shape[] => (withBias ? [...shapes, [n]] : shapes);
        return {
          name:
            `fusedMatmul${transposeA ? ' transposeA' : ''}${transposeB ? ' transposeB' : ''}` +
            `${withBias ? ' + bias' : ''} + ${activation}`,
          fn: (a, b, bias) => fusedMatmul({ a, b, transposeA, transposeB, bias, activation }),
          domains: ['any', 'any', 'nonzero'],
          cases: [withBiasShape(small, 5), withBiasShape(batched, 6)],
          tolerance,
        };
      }),
    ),
  ),
);

export const matmulSpecs = {
  matmul: [
    {
      name: 'matmul',
      fn: (a, b) => matmul(a, b),
      domains: ['any', 'any'],
      cases: [
        [
          [3, 4],
          [4, 5],
        ],
        [
          [1, 1],
          [1, 1],
        ],
        [
          [67, 131],
          [131, 71],
        ],
        [
          [2, 5, 3],
          [3, 7],
        ],
        [
          [2, 3, 4],
          [2, 4, 5],
        ],
        [
          [3, 1, 2, 3],
          [2, 3, 4],
        ],
      ],
      large: [
        [
          [512, 512],
          [512, 512],
        ],
        [
          [521, 509],
          [509, 523],
        ],
      ],
      tolerance,
    },
    {
      name: 'matmul transposeA',
      fn: (a, b) => matmul(a, b, true, false),
      domains: ['any', 'any'],
      cases: [
        [
          [4, 3],
          [4, 5],
        ],
        [
          [131, 67],
          [131, 71],
        ],
        [
          [2, 3, 5],
          [3, 4],
        ],
      ],
      large: [
        [
          [512, 512],
          [512, 512],
        ],
      ],
      tolerance,
    },
    {
      name: 'matmul transposeB',
      fn: (a, b) => matmul(a, b, false, true),
      domains: ['any', 'any'],
      cases: [
        [
          [3, 4],
          [5, 4],
        ],
        [
          [67, 131],
          [71, 131],
        ],
        [
          [2, 5, 3],
          [2, 7, 3],
        ],
      ],
      large: [
        [
          [512, 512],
          [512, 512],
        ],
      ],
      tolerance,
    },
    {
      name: 'matmul transposeA transposeB',
      fn: (a, b) => matmul(a, b, true, true),
      domains: ['any', 'any'],
      cases: [
        [
          [4, 3],
          [5, 4],
        ],
        [
          [131, 67],
          [71, 131],
        ],
        [
          [2, 4, 3],
          [5, 4],
        ],
      ],
      tolerance,
    },
  ],
  fusedMatmul: [
    ...FUSED_ACTIVATIONS.map((activation): Spec => ({
      name: `fusedMatmul + bias + ${activation} (tile-sized)`,
      fn: (a, b, bias) => fusedMatmul({ a, b, bias, activation }),
      domains: ['any', 'any', 'nonzero'],
      cases: [
        [[3, 4], [4, 5], [5]],
        [[67, 131], [131, 71], [71]],
        [[2, 5, 3], [3, 7], [7]],
      ],
      large: [[[512, 512], [512, 512], [512]]],
      tolerance,
    })),
    {
      name: 'fusedMatmul transposeB, no bias, relu (tile-sized)',
      fn: (a, b) => fusedMatmul({ a, b, transposeB: true, activation: 'relu' }),
      domains: ['any', 'any'],
      cases: [
        [
          [3, 4],
          [5, 4],
        ],
        [
          [67, 131],
          [71, 131],
        ],
      ],
      tolerance,
    },
    ...fusedCombinations,
  ],
} satisfies SpecPart;
