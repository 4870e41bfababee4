// The convolution family's part of the spec table: conv2d (and conv1d, a conv2d of height 1),
// conv2dTranspose, pool2d (max and average) and translate, over strides 1/2, both paddings, dilation
// 1/2, batch 1 and > 1 and channels 1/3/non-multiples of 4. Windows are asymmetric on purpose — KH ≠ KW,
// strideH ≠ strideW, padTop ≠ padLeft, H ≠ W — so a height/width swap in a kernel changes the result;
// max pooling also runs on tied data, where the first maximum of a window wins the gradient.
import { avgPool2d, cast, conv1d, conv2d, conv2dTranspose, maxPool2d, sub, translate, type Shape } from '@webgrad/core';
import type { SpecPart } from '../../kernel-spec.js';

const convCase = (x: Shape, f: Shape): Shape[] => [x, f, [f[3]]];
// a transposed convolution's filter is [KH, KW, out, in]: its bias has f[2] channels
const transposeCase = (x: Shape, f: Shape): Shape[] => [x, f, [f[2]]];
const tolerance = { rtol: 1e-4, atol: 1e-4 };

export const convSpecs = {
  conv2d: [
    {
      name: 'conv2d 3×3 valid',
      fn: (x, f) => conv2d(x, f),
      domains: ['any', 'any'],
      tolerance,
      cases: [
        [
          [1, 5, 5, 1],
          [3, 3, 1, 2],
        ],
        [
          [2, 7, 9, 3],
          [3, 3, 3, 5],
        ],
        [
          [1, 6, 10, 10],
          [3, 3, 10, 13],
        ],
      ],
    },
    {
      name: 'conv2d same, stride 2',
      fn: (x, f) => conv2d(x, f, { strides: 2, padding: 'same' }),
      domains: ['any', 'any'],
      tolerance,
      cases: [
        [
          [1, 5, 5, 1],
          [3, 3, 1, 2],
        ],
        [
          [2, 7, 9, 3],
          [3, 3, 3, 5],
        ],
        [
          [1, 8, 8, 4],
          [2, 2, 4, 3],
        ],
      ],
    },
    {
      name: 'conv2d dilation 2, same',
      fn: (x, f) => conv2d(x, f, { dilations: 2, padding: 'same' }),
      domains: ['any', 'any'],
      tolerance,
      cases: [
        [
          [1, 5, 5, 1],
          [3, 3, 1, 1],
        ],
        [
          [2, 9, 7, 3],
          [3, 3, 3, 5],
        ],
      ],
    },
    {
      name: 'conv2d stride [2,1], dilation [1,2], valid',
      fn: (x, f) => conv2d(x, f, { strides: [2, 1], dilations: [1, 2] }),
      domains: ['any', 'any'],
      tolerance,
      cases: [
        [
          [1, 7, 7, 2],
          [3, 2, 2, 3],
        ],
        [
          [3, 11, 9, 5],
          [3, 3, 5, 7],
        ],
      ],
    },
    // 4×3 kernel, stride [1,2], same on 7×10: padTop 1, padLeft 0
    {
      name: 'conv2d 4×3 stride [1,2] same (padTop 1, padLeft 0)',
      fn: (x, f) => conv2d(x, f, { strides: [1, 2], padding: 'same' }),
      domains: ['any', 'any'],
      tolerance,
      cases: [
        [
          [2, 7, 10, 3],
          [4, 3, 3, 2],
        ],
      ],
    },
    // 2×5 kernel, stride [2,1], dilation [2,1], same on 9×6: padTop 1, padLeft 2
    {
      name: 'conv2d 2×5 stride [2,1] dilation [2,1] same (padTop 1, padLeft 2)',
      fn: (x, f) => conv2d(x, f, { strides: [2, 1], dilations: [2, 1], padding: 'same' }),
      domains: ['any', 'any'],
      tolerance,
      cases: [
        [
          [1, 9, 6, 2],
          [2, 5, 2, 3],
        ],
      ],
    },
    {
      name: 'conv2d + bias + relu (fused)',
      fn: (x, f, b) => conv2d(x, f, { bias: b, activation: 'relu', padding: 'same' }),
      domains: ['any', 'any', 'nonzero'],
      tolerance,
      cases: [convCase([1, 5, 5, 1], [3, 3, 1, 2]), convCase([2, 7, 9, 3], [3, 3, 3, 5])],
      large: [convCase([16, 28, 28, 1], [3, 3, 1, 32]), convCase([8, 13, 13, 32], [3, 3, 32, 64])],
    },
    {
      name: 'conv2d + bias + tanh, stride 2',
      fn: (x, f, b) => conv2d(x, f, { bias: b, activation: 'tanh', strides: 2 }),
      domains: ['any', 'any', 'any'],
      tolerance,
      cases: [convCase([2, 7, 7, 3], [3, 3, 3, 4])],
    },
    {
      name: 'conv2d 3×2 + bias + sigmoid, stride [2,1] same (padTop 1, padLeft 0)',
      fn: (x, f, b) => conv2d(x, f, { bias: b, activation: 'sigmoid', strides: [2, 1], padding: 'same' }),
      domains: ['any', 'any', 'any'],
      tolerance,
      cases: [convCase([2, 7, 5, 3], [3, 2, 3, 4])],
    },
    {
      name: 'conv1d valid',
      fn: (x, f) => conv1d(x, f),
      domains: ['any', 'any'],
      tolerance,
      cases: [
        [
          [1, 7, 1],
          [3, 1, 2],
        ],
        [
          [2, 11, 3],
          [3, 3, 9],
        ],
      ],
    },
    {
      name: 'conv1d + bias + relu, stride 2, dilation 2, same',
      fn: (x, f, b) => conv1d(x, f, { stride: 2, dilation: 2, padding: 'same', bias: b, activation: 'relu' }),
      domains: ['any', 'any', 'nonzero'],
      tolerance,
      cases: [[[2, 9, 3], [3, 3, 5], [5]]],
    },
  ],
  // Output sizes (Keras's rule): 'valid' H·s + max(K − s, 0), 'same' H·s with conv2d's padding of that
  // output, padTotal = max(K − s, 0), padTop = floor(padTotal / 2).
  conv2dTranspose: [
    {
      name: 'conv2dTranspose 3×3 valid, stride 1',
      fn: (x, f) => conv2dTranspose(x, f),
      domains: ['any', 'any'],
      tolerance,
      cases: [
        [
          [1, 3, 5, 1],
          [3, 3, 2, 1],
        ],
        [
          [2, 5, 3, 3],
          [3, 2, 3, 3],
        ],
      ],
    },
    {
      name: 'conv2dTranspose 3×3 same, stride 1',
      fn: (x, f) => conv2dTranspose(x, f, { padding: 'same' }),
      domains: ['any', 'any'],
      tolerance,
      cases: [
        [
          [1, 5, 3, 1],
          [3, 3, 1, 1],
        ],
        [
          [2, 3, 5, 3],
          [3, 3, 3, 3],
        ],
      ],
    },
    {
      name: 'conv2dTranspose same, stride 2',
      fn: (x, f) => conv2dTranspose(x, f, { strides: 2, padding: 'same' }),
      domains: ['any', 'any'],
      tolerance,
      cases: [
        [
          [1, 3, 5, 1],
          [3, 3, 1, 1],
        ],
        [
          [2, 5, 3, 3],
          [3, 3, 1, 3],
        ],
        // padTotal 2 and 1: padTop 1, padLeft 0
        [
          [2, 3, 5, 3],
          [4, 3, 2, 3],
        ],
        // a DCGAN's 4×4 layer: 11 output channels (a full and a partial block of the wide kernel), 12
        // columns (two blocks of each phase), a third block for W 22 in the narrow kernel's one channel
        [
          [2, 4, 6, 5],
          [4, 4, 11, 5],
        ],
        [
          [1, 3, 11, 4],
          [4, 4, 1, 4],
        ],
      ],
    },
    {
      name: 'conv2dTranspose valid, stride 2',
      fn: (x, f) => conv2dTranspose(x, f, { strides: 2 }),
      domains: ['any', 'any'],
      tolerance,
      cases: [
        [
          [1, 3, 5, 1],
          [3, 3, 1, 1],
        ],
        [
          [2, 5, 3, 3],
          [3, 2, 3, 3],
        ],
      ],
    },
    // KH < strideH: 'valid' gives H·s rows, the last of each stride's run reached by no tap
    {
      name: 'conv2dTranspose 2×3 valid, stride [3,1] (kernel shorter than the stride)',
      fn: (x, f) => conv2dTranspose(x, f, { strides: [3, 1] }),
      domains: ['any', 'any'],
      tolerance,
      cases: [
        [
          [2, 3, 4, 3],
          [2, 3, 2, 3],
        ],
      ],
    },
    {
      name: 'conv2dTranspose + bias + relu (fused), stride 2 same',
      fn: (x, f, b) => conv2dTranspose(x, f, { bias: b, activation: 'relu', strides: 2, padding: 'same' }),
      domains: ['any', 'any', 'nonzero'],
      tolerance,
      cases: [transposeCase([1, 3, 5, 1], [3, 3, 2, 1]), transposeCase([2, 5, 3, 3], [3, 3, 3, 3])],
      large: [transposeCase([16, 7, 7, 32], [3, 3, 16, 32]), transposeCase([8, 14, 14, 16], [3, 3, 1, 16])],
    },
    {
      name: 'conv2dTranspose + bias + sigmoid, valid',
      fn: (x, f, b) => conv2dTranspose(x, f, { bias: b, activation: 'sigmoid' }),
      domains: ['any', 'any', 'any'],
      tolerance,
      cases: [transposeCase([2, 3, 5, 3], [2, 3, 5, 3])],
    },
    // 4×3 kernel, stride [1,2], same: padTotal 3 and 1, padTop 1, padLeft 0
    {
      name: 'conv2dTranspose 4×3 + bias + tanh, stride [1,2] same (padTop 1, padLeft 0)',
      fn: (x, f, b) => conv2dTranspose(x, f, { bias: b, activation: 'tanh', strides: [1, 2], padding: 'same' }),
      domains: ['any', 'any', 'any'],
      tolerance,
      cases: [transposeCase([2, 5, 3, 3], [4, 3, 1, 3])],
    },
  ],
  pool2d: [
    {
      name: 'maxPool2d 2×2',
      fn: (x) => maxPool2d(x),
      domains: ['any'],
      cases: [[[1, 4, 4, 1]], [[2, 7, 9, 3]]],
      large: [[[64, 26, 26, 32]]],
    },
    {
      name: 'maxPool2d 3×3 stride 2 same',
      fn: (x) => maxPool2d(x, 3, 2, 'same'),
      domains: ['any'],
      cases: [[[1, 5, 5, 1]], [[2, 7, 9, 5]]],
    },
    {
      name: 'maxPool2d 2×2 same (windows tile x)',
      fn: (x) => maxPool2d(x, 2, 2, 'same'),
      domains: ['any'],
      cases: [[[2, 7, 9, 3]]],
    },
    {
      name: 'maxPool2d 2×2 stride 3 (gaps between windows)',
      fn: (x) => maxPool2d(x, 2, 3),
      domains: ['any'],
      cases: [[[2, 8, 7, 3]]],
    },
    // 7×6 with a 3×2 window, stride [2,1], same: padTop 1, padLeft 0
    {
      name: 'maxPool2d 3×2 stride [2,1] same (padTop 1, padLeft 0)',
      fn: (x) => maxPool2d(x, [3, 2], [2, 1], 'same'),
      domains: ['any'],
      cases: [[[2, 7, 6, 3]], [[1, 9, 4, 2]]],
    },
    // 7×9 with a 2×4 window, stride [2,1], same: padTop 0, padLeft 1
    {
      name: 'maxPool2d 2×4 stride [2,1] same (padTop 0, padLeft 1)',
      fn: (x) => maxPool2d(x, [2, 4], [2, 1], 'same'),
      domains: ['any'],
      cases: [[[1, 7, 9, 2]]],
    },
    {
      name: 'maxPool2d 3×2 stride [1,2] valid',
      fn: (x) => maxPool2d(x, [3, 2], [1, 2]),
      domains: ['any'],
      cases: [[[2, 8, 7, 3]]],
    },
    {
      name: 'maxPool2d on tied inputs',
      fn: (x) => maxPool2d(x, [3, 2], [2, 1], 'same'),
      domains: ['tied'],
      cases: [[[2, 7, 6, 3]], [[1, 9, 8, 5]]],
      tieRule: 'the first maximum of a window in scan order (row, then column) takes its gradient',
    },
    {
      name: 'maxPool2d 2×2 on tied inputs',
      fn: (x) => maxPool2d(x),
      domains: ['tied'],
      cases: [[[2, 8, 6, 3]]],
      large: [[[16, 26, 24, 8]]],
      tieRule: 'the first maximum in scan order wins',
    },
    { name: 'avgPool2d 2×2', fn: (x) => avgPool2d(x), domains: ['any'], cases: [[[1, 4, 4, 1]], [[2, 7, 9, 3]]] },
    {
      name: 'avgPool2d 2×2 same, stride [2,3]',
      fn: (x) => avgPool2d(x, 2, [2, 3], 'same'),
      domains: ['any'],
      cases: [[[2, 7, 9, 3]]],
    },
    {
      name: 'avgPool2d 3×3 stride 2 same',
      fn: (x) => avgPool2d(x, 3, 2, 'same'),
      domains: ['any'],
      cases: [[[1, 5, 5, 1]], [[2, 7, 9, 5]]],
    },
    {
      name: 'avgPool2d 3×2 stride [2,1] same (padTop 1, padLeft 0)',
      fn: (x) => avgPool2d(x, [3, 2], [2, 1], 'same'),
      domains: ['any'],
      cases: [[[2, 7, 6, 3]]],
    },
    {
      name: 'avgPool2d 2×4 stride [2,1] same (padTop 0, padLeft 1)',
      fn: (x) => avgPool2d(x, [2, 4], [2, 1], 'same'),
      domains: ['any'],
      cases: [[[1, 7, 9, 2]]],
    },
    {
      name: 'avgPool2d 2×3 stride [3,1] valid',
      fn: (x) => avgPool2d(x, [2, 3], [3, 1]),
      domains: ['any'],
      cases: [[[2, 9, 5, 1]]],
    },
  ],
  translate: [
    {
      name: 'translate by shifts in [0, 3)',
      fn: (x, s) => translate(x, s),
      domains: ['any', 'any'],
      integerInputs: { 1: 3 },
      cases: [
        [
          [3, 5, 6, 2],
          [3, 2],
        ],
      ],
      large: [
        [
          [64, 28, 28, 1],
          [64, 2],
        ],
      ],
    },
    {
      name: 'translate by shifts in [−2, 2]',
      fn: (x, s) => translate(x, cast(sub(cast(s, 'float32'), 2), 'int32')),
      domains: ['any', 'any'],
      integerInputs: { 1: 5 },
      cases: [
        [
          [4, 5, 4, 3],
          [4, 2],
        ],
      ],
    },
  ],
} satisfies SpecPart;
