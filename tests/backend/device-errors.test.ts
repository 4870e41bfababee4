// What a user is told when WebGPU is not there (packages/webgpu/src/device.ts), each case provoked
// for real in a child process: Dawn's package missing or broken (a resolve hook refuses 'webgpu', or
// answers with a module that throws), Dawn without a Vulkan driver (the Vulkan loader pointed at no
// driver), a browser without navigator.gpu, and a browser whose navigator.gpu offers no adapter.
// Each message names what to install or switch on.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const DIST = new URL('../../packages/webgpu/dist/', import.meta.url).href;

/** Starts a backend in a child Node after running `preamble` (ESM), and returns the message it threw. */
function startupError(preamble: string, { env = {}, nodeArgs = [] as string[] } = {}): string {
  const child = `
    ${preamble}
    const { createWebGPUBackend } = await import('${DIST}index.js');
    try {
      await createWebGPUBackend({ autotune: false, tuningCache: false });
      console.log(JSON.stringify({ message: null }));
    } catch (error) {
      console.log(JSON.stringify({ message: error.message }));
    }
    process.exit(0);
  `;
  const run = spawnSync(process.execPath, [...nodeArgs, '--input-type=module', '-e', child], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 60_000,
  });
  const last = run.stdout.trim().split('\n').at(-1) ?? '';
  if (!last.startsWith('{')) throw new Error(`the child printed no result; stderr: ${run.stderr}`);
  const { message } = JSON.parse(last) as { message: string | null };
  if (message === null) throw new Error('the backend started: the failure was not provoked');
  return message;
}

/** Node arguments that load a resolve hook whose answer for 'webgpu' is `resolveDawn` (a function body). */
function dawnHook(resolveDawn: string): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'webgrad-dawn-hook-'));
  writeFileSync(
    join(dir, 'hooks.mjs'),
    `export async function resolve(specifier, context, next) {
      if (specifier !== 'webgpu') return next(specifier, context);
      ${resolveDawn}
    }`,
  );
  writeFileSync(
    join(dir, 'register.mjs'),
    `import { register } from 'node:module'; register('./hooks.mjs', import.meta.url);`,
  );
  return ['--import', pathToFileURL(join(dir, 'register.mjs')).href];
}

describe('device errors name what to install', () => {
  it("Dawn's package missing: npm install webgpu", function () {
    this.timeout(60_000);
    const missing = dawnHook(`
      const error = new Error("Cannot find package 'webgpu' imported from " + context.parentURL);
      error.code = 'ERR_MODULE_NOT_FOUND';
      throw error;`);
    const message = startupError('', { nodeArgs: missing });
    expect(message).to.contain("the optional 'webgpu' npm package, which is not installed");
    expect(message).to.contain('npm install webgpu');
    expect(message).to.contain("setBackend('cpu')");
    expect(message).to.not.match(/repository|npm test|pnpm install/);
  });

  it("Dawn's package present but failing to load: its own error, and how to reinstall", function () {
    this.timeout(60_000);
    const broken = dawnHook(`
      const source = "throw new Error('libvulkan.so.1: cannot open shared object file');";
      return { url: 'data:text/javascript,' + encodeURIComponent(source), shortCircuit: true };`);
    const message = startupError('', { nodeArgs: broken });
    expect(message).to.contain("Dawn (the 'webgpu' npm package) is installed but failed to load");
    expect(message).to.contain('libvulkan.so.1: cannot open shared object file');
    expect(message).to.contain('npm install webgpu');
  });

  it('Dawn without an adapter (no Vulkan driver): the Linux packages to install', function () {
    this.timeout(60_000);
    const nowhere = '/nonexistent/webgrad-no-driver.json';
    const message = startupError('', { env: { VK_ICD_FILENAMES: nowhere, VK_DRIVER_FILES: nowhere } });
    expect(message).to.contain('Dawn found no WebGPU adapter');
    expect(message).to.contain('apt-get install mesa-vulkan-drivers');
    expect(message).to.contain('dnf install mesa-vulkan-drivers');
    expect(message).to.contain('lavapipe');
    expect(message).to.not.match(/repository|npm test/);
  });

  it('a browser without navigator.gpu: the browsers and flags that have WebGPU', function () {
    this.timeout(60_000);
    const message = startupError(
      "Object.defineProperty(process.versions, 'node', { value: undefined }); globalThis.navigator = {};",
    );
    expect(message).to.contain('this browser has no WebGPU (navigator.gpu is missing)');
    expect(message).to.contain('chrome://flags/#enable-unsafe-webgpu');
    expect(message).to.contain('--enable-unsafe-webgpu');
    expect(message).to.contain('Chrome and Edge 113+');
  });

  it('a browser whose navigator.gpu offers no adapter: the same hints, and chrome://gpu', function () {
    this.timeout(60_000);
    const message = startupError('globalThis.navigator = { gpu: { requestAdapter: async () => null } };');
    expect(message).to.contain('no WebGPU adapter: this browser has WebGPU (navigator.gpu) but offered none');
    expect(message).to.contain('chrome://gpu');
    expect(message).to.contain('chrome://flags/#enable-unsafe-webgpu');
  });
});
