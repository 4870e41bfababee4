// The examples' one import: webgrad's core ops with the WebGPU backend registered.
import '@webgrad/webgpu';
export * from '@webgrad/core';
import { mul } from '@webgrad/core';
export const square = (t) => mul(t, t);
