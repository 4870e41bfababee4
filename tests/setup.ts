// Mocha root hooks: initialise the WebGPU backend once, poisoning every kernel output so unwritten
// elements fail, and name the adapter once; the GEMM autotune caches into a fresh directory. A
// missing adapter fails the run: GPU tests never skip.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setBackend } from '@webgrad/core';
import { WebGPUBackend } from '@webgrad/webgpu';

export const mochaHooks = {
  async beforeAll(this: Mocha.Context) {
    this.timeout(120_000);
    // a fresh GEMM tuning cache: every run tunes at start (the tuning code stays tested) and leaves ~/.cache alone
    process.env.WEBGRAD_CACHE_DIR = mkdtempSync(join(tmpdir(), 'webgrad-test-cache-'));
    const gpu = await setBackend('webgpu');
    if (!(gpu instanceof WebGPUBackend)) throw new Error('webgpu backend did not initialise');
    gpu.poisonOutputs = true;
    console.log(`  GPU kernel tests run on: ${gpu.describe()}\n`);
    await setBackend('cpu');
  },
};
