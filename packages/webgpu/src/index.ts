// @webgrad/webgpu: the WebGPU backend. Importing it registers the backend 'webgpu' with core;
// `await setBackend('webgpu')` acquires the device (navigator.gpu, or Dawn in Node).
import { registerBackend } from '@webgrad/core';
import { createWebGPUBackend } from './backend.js';

registerBackend('webgpu', () => createWebGPUBackend());

export { createWebGPUBackend, WebGPUBackend, type GpuStorage, type WebGPUBackendOptions } from './backend.js';
export { acquireDevice, describeAdapter, limitNoticesHidden, type DeviceOptions } from './device.js';
export { DeviceLostError, DeviceLossWatch, type LostInfo } from './device-loss.js';
export { bucketSize, BufferPool } from './buffer-pool.js';
export { KernelRegistry, withPrelude, type ParamValues } from './kernels.js';
export { customOp, reflectKernelLayout, type CustomOpDefinition } from './custom-kernel.js';
export {
  layoutFromReflection,
  type BindingKind,
  type KernelLayout,
  type ParamMember,
  type ParamScalar,
  type ReflectedShader,
} from './kernel-layout.js';
export type { KernelTime } from './profiler.js';
export { GEMM_KERNELS, GpuContext, type ConvAlgorithm, type GemmChoice, type GemmKernel } from './context.js';
export { describeChoice, gemmChoicesFor } from './ops/matmul.js';
export {
  autotuneGemm,
  autotuneKey,
  chooseGemm,
  defaultGemmChoice,
  isSoftwareAdapter,
  tuneAndKeep,
  type AutotuneMode,
  type AutotuneOptions,
  type AutotuneProgress,
  type AutotuneTarget,
  type GemmChoiceSource,
} from './gemm-autotune.js';
export type { KernelName, KernelOp, KernelOverrides, KernelParams } from './generated/kernels.js';
export {
  defaultTuningCache,
  fileTuningCache,
  localStorageTuningCache,
  type KeyValueStorage,
  type TuningCache,
} from './tuning-cache.js';
