// The creation family's part of the spec table: fill, of float32 and int32, at awkward sizes.
import { fill } from '@webgrad/core';
import type { SpecPart } from '../../kernel-spec.js';

export const creationSpecs = {
  fill: [
    {
      name: 'fill float32 [7,13] with 2.5',
      fn: () => fill([7, 13], 2.5),
      cases: [[]],
      domains: [],
      nonDifferentiable: true,
    },
    {
      name: 'fill float32 [1031] with −3e-7',
      fn: () => fill([1031], -3e-7),
      cases: [[]],
      domains: [],
      nonDifferentiable: true,
    },
    {
      name: 'fill int32 [3,5] with −7',
      fn: () => fill([3, 5], -7, 'int32'),
      cases: [[]],
      domains: [],
      nonDifferentiable: true,
    },
  ],
} satisfies SpecPart;
