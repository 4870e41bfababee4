// @webgrad/core/testing: the kernel harness, for anyone's kernels and ops: random inputs by domain,
// a closeness check naming the failing element, and specs run against the float64 CPU reference with
// gradients checked numerically. @webgrad/webgpu/testing runs it on a WebGPU backend with poisoned outputs.
export { assertClose, randomValues, type Domain, type Tolerance } from './values.js';
export {
  checkSpec,
  checkSpecGradients,
  compareBackends,
  cpuReference,
  tensorOn,
  type IntegerBound,
  type Spec,
} from './spec.js';
