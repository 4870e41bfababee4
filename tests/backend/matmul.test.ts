// The matmul family: matmul and fusedMatmul on the GPU against the CPU reference, gradients checked
// numerically, every flag combination of fusedMatmul's gradient rule included (specs/matmul.ts).
import { describeSpecPart } from '../kernel-spec.js';
import { matmulSpecs } from './specs/matmul.js';

describeSpecPart('matmul: GPU against the CPU reference, gradients checked numerically', matmulSpecs);
