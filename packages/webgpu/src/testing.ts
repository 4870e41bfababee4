// @webgrad/webgpu/testing: the kernel harness of @webgrad/core/testing run on the WebGPU backend, for
// checking a kernel (a custom op's, see custom-kernel.ts, or any op) against the float64 CPU
// reference: every output poisoned with NaN before its kernel runs, so an element left unwritten
// fails by its index; awkward shapes are the spec's cases; gradients checked numerically.
import { getBackend, setBackend } from '@webgrad/core';
import { checkSpec, type Spec } from '@webgrad/core/testing';
// through the package's entry, which registers the 'webgpu' backend
import { WebGPUBackend } from './index.js';

export * from '@webgrad/core/testing';

/** The 'webgpu' backend, initialised if it is not yet, without changing the current backend. */
export async function webgpuBackend(): Promise<WebGPUBackend> {
  const previous = getBackend();
  const backend = await setBackend('webgpu');
  await setBackend(previous);
  if (!(backend instanceof WebGPUBackend)) throw new Error("the backend 'webgpu' is not a WebGPUBackend");
  return backend;
}

/**
 * Runs every case of `spec` on the WebGPU backend against the CPU reference, outputs poisoned, then
 * the numeric gradient check (see checkSpec). Resolves when all pass; throws naming the op, the
 * shapes, the output or gradient and the element at the first failure.
 */
export async function checkKernel(spec: Spec, backend?: WebGPUBackend): Promise<void> {
  const gpu = backend ?? (await webgpuBackend());
  const poisoned = gpu.poisonOutputs;
  gpu.poisonOutputs = true;
  try {
    await checkSpec(spec, gpu);
  } finally {
    gpu.poisonOutputs = poisoned;
  }
}
