// Random tensors from the counter-based RNG: the same seed gives the same values on every backend.
// Values are generated on the host for now and uploaded. Imports creation and rng.
import type { Shape } from '../dtype.js';
import { checkShape, sizeOf } from '../dtype.js';
import { normalValues, uniformValues } from '../rng.js';
import type { Tensor } from '../tensor.js';
import { tensor } from './creation.js';

export interface RandomOptions { seed: number }

export function randomUniform(shape: Shape, low = 0, high = 1, { seed }: RandomOptions = { seed: 0 }): Tensor {
  checkShape('randomUniform', shape);
  return tensor(uniformValues(sizeOf(shape), seed, low, high), shape);
}

export function randomNormal(shape: Shape, mean = 0, std = 1, { seed }: RandomOptions = { seed: 0 }): Tensor {
  checkShape('randomNormal', shape);
  return tensor(normalValues(sizeOf(shape), seed, mean, std), shape);
}
