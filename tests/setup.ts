// Mocha root hooks: initialise the WebGPU backend once, poisoning every kernel output so unwritten
// elements fail, and name the adapter once. A missing adapter fails the run: GPU tests never skip.
import { setBackend } from '@webgrad/core';
import { WebGPUBackend } from '@webgrad/webgpu';

export const mochaHooks = {
  async beforeAll(this: Mocha.Context) {
    this.timeout(120_000);
    const gpu = await setBackend('webgpu');
    if (!(gpu instanceof WebGPUBackend)) throw new Error('webgpu backend did not initialise');
    gpu.poisonOutputs = true;
    console.log(`  GPU kernel tests run on: ${gpu.describe()}\n`);
    await setBackend('cpu');
  },
};
