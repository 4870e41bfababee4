// Device acquisition: navigator.gpu in browsers, Dawn's `webgpu` npm package in Node. Errors say what
// to install. Imports dawn-pacing.ts; `webgpu` is loaded only in Node, by dynamic import.
import { enableDawnPacing } from './dawn-pacing.js';

export interface AcquiredDevice { device: GPUDevice; adapterName: string }

/** Whether this is a browser with WebGPU (Node has no navigator.gpu, with or without Dawn loaded). */
export const inBrowser = (): boolean => typeof navigator !== 'undefined' && 'gpu' in navigator;

// Dawn's GPU object must outlive the device, or Node may collect the instance under it.
let dawnGpu: GPU | undefined;

async function nodeGpu(): Promise<GPU> {
  if (!dawnGpu) {
    const moduleName = 'webgpu'; // a variable, so browser bundlers leave the Node-only package out
    let dawn: { create(flags: string[]): GPU; globals: object };
    try {
      dawn = await import(/* @vite-ignore */ moduleName);
    } catch (cause) {
      throw new Error("webgpu backend: the 'webgpu' npm package (Dawn for Node) is not installed; run `npm test` or `pnpm install` at the repository root", { cause });
    }
    Object.assign(globalThis, dawn.globals);
    dawnGpu = dawn.create([]);
    enableDawnPacing();
  }
  return dawnGpu;
}

export function describeAdapter(info: GPUAdapterInfo | undefined): string {
  if (!info) return 'unknown adapter';
  const parts = [info.vendor, info.architecture, info.device].filter((p) => p);
  return `${parts.join(' ')}${info.description ? ` (${info.description})` : ''}` || 'unknown adapter';
}

export async function acquireDevice(): Promise<AcquiredDevice> {
  const browser = inBrowser();
  const isNode = !!(globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node;
  if (!browser && !isNode) {
    throw new Error('webgpu backend: this browser has no WebGPU (navigator.gpu). Use Chrome/Edge 113+, or Chromium with --enable-unsafe-webgpu.');
  }
  const gpu = browser ? navigator.gpu : await nodeGpu();
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) {
    throw new Error('webgpu backend: no WebGPU adapter found. ' + (isNode
      ? 'Dawn needs a Vulkan driver: a GPU driver, or Mesa lavapipe >= 24 for the CPU (Debian: apt-get install ' +
        'mesa-vulkan-drivers, from bookworm-backports on bookworm). `npm test` at the repository root installs it on Debian as root.'
      : 'Enable WebGPU in this browser (chrome://flags/#enable-unsafe-webgpu) or use a browser that supports it.'));
  }
  const { limits } = adapter;
  // Subgroup operations let the GEMM share values across lanes without workgroup memory (gemm.ts
  // reads the subgroup sizes from device.adapterInfo); timestamp queries time each kernel for
  // backend.profile() (profiler.ts).
  const features = (['subgroups', 'timestamp-query'] as const).filter((f) => adapter.features.has(f));
  const device = await adapter.requestDevice({
    requiredFeatures: features,
    requiredLimits: {
      maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
      maxBufferSize: limits.maxBufferSize,
      maxComputeWorkgroupStorageSize: limits.maxComputeWorkgroupStorageSize,
      maxComputeInvocationsPerWorkgroup: limits.maxComputeInvocationsPerWorkgroup,
      // the texture GEMM packs a matmul's b into a texture batch·K texels tall (gemm.ts)
      maxTextureDimension2D: limits.maxTextureDimension2D,
    },
  });
  return { device, adapterName: describeAdapter(adapter.info) };
}
