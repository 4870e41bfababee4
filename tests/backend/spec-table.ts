// The suite's spec table: every op of @webgrad/core's opTable by name, each with its specs (from the
// family parts in specs/, run by tests/backend/<family>.test.ts) or the test that covers it elsewhere.
// Typed by OpName, so an op added to core without a spec here does not compile.
import type { SpecTable } from '../kernel-spec.js';
import { convSpecs } from './specs/conv.js';
import { creationSpecs } from './specs/creation.js';
import { elementwiseSpecs } from './specs/elementwise.js';
import { lossSpecs } from './specs/loss.js';
import { matmulSpecs } from './specs/matmul.js';
import { movementSpecs } from './specs/movement.js';
import { recurrentSpecs } from './specs/recurrent.js';
import { reduceSpecs } from './specs/reduce.js';
import { segmentSpecs } from './specs/segment.js';

/** Random ops are checked bit for bit against rng.ts and by their moments, not by a value-and-gradient spec. */
const randomCoverage = { coveredBy: 'tests/backend/random.test.ts > random on the device (Philox4x32-10)' };

export const specTable: SpecTable = {
  ...creationSpecs,
  ...elementwiseSpecs,
  ...reduceSpecs,
  ...matmulSpecs,
  ...movementSpecs,
  ...lossSpecs,
  ...convSpecs,
  ...segmentSpecs,
  ...recurrentSpecs,
  randomUniform: randomCoverage,
  randomNormal: randomCoverage,
  bernoulli: randomCoverage,
  multinomial: {
    coveredBy: 'tests/backend/multinomial.test.ts > multinomial: categorical draws from logits on the device',
  },
};
