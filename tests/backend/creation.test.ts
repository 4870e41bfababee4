// The creation family: fill on the GPU against the CPU reference (outputs poisoned first).
import { creationSpecs } from './specs/creation.js';
import { describeSpecPart } from '../kernel-spec.js';

describeSpecPart('creation: GPU against the CPU reference', creationSpecs);
