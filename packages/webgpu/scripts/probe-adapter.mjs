// Prints the WebGPU adapter Dawn finds in Node ("vendor architecture (description)") and exits 0,
// or exits 1 when there is none. Used by setup.mjs (which gives it a timeout); imports only `webgpu`.
import { create, globals } from 'webgpu';

Object.assign(globalThis, globals);
// the instance stays referenced (module scope): Dawn can abort the process from one of its threads
// when the instance object is collected while its adapter lives (bench/dawn-floor.mjs)
const gpu = create([]);
const adapter = await gpu.requestAdapter();
if (adapter) {
  const info = adapter.info ?? {};
  console.log(
    [info.vendor, info.architecture, info.description && `(${info.description})`].filter(Boolean).join(' ') ||
      'unknown adapter',
  );
}
process.exitCode = adapter ? 0 : 1;
