// The raw Dawn dispatch floor: a trivial WGSL kernel (y = x + 1 over 1,024 floats, four workgroups
// of 256) recorded and submitted with the bare WebGPU API — no framework, pipeline and bind groups
// made once. Two patterns, each a chain in which every dispatch reads the previous one's output:
// one submit per dispatch, and all dispatches in one pass and one submit. The lower of the two is the
// floor a framework's small op is compared with. Imports only the `webgpu` package.
import { create, globals } from 'webgpu';

const SIZE = 1024;
const SHADER = /* wgsl */ `
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  if (id.x < arrayLength(&y)) { y[id.x] = x[id.x] + 1.0; }
}`;

/** A device and a `dispatch` chain runner; `runs` of `chain` dispatches each, µs per dispatch. */
export async function dawnFloor({ chain = 200, runs = 7 } = {}) {
  Object.assign(globalThis, globals);
  const gpu = create([]);
  const adapter = await gpu.requestAdapter();
  const device = await adapter.requestDevice();
  const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
  const buffers = [0, 1].map(() => device.createBuffer({ size: SIZE * 4, usage }));
  const pipeline = device.createComputePipeline({ layout: 'auto', compute: { module: device.createShaderModule({ code: SHADER }), entryPoint: 'main' } });
  const groups = [0, 1].map((i) => device.createBindGroup({
    layout: pipeline.getBindGroupLayout(0),
    entries: [{ binding: 0, resource: { buffer: buffers[i] } }, { binding: 1, resource: { buffer: buffers[1 - i] } }],
  }));
  const record = (pass, i) => { pass.setPipeline(pipeline); pass.setBindGroup(0, groups[i % 2]); pass.dispatchWorkgroups(SIZE / 256); };

  const patterns = {
    submitEach() {
      for (let i = 0; i < chain; i++) {
        const encoder = device.createCommandEncoder(), pass = encoder.beginComputePass();
        record(pass, i);
        pass.end();
        device.queue.submit([encoder.finish()]);
      }
    },
    onePass() {
      const encoder = device.createCommandEncoder(), pass = encoder.beginComputePass();
      for (let i = 0; i < chain; i++) record(pass, i);
      pass.end();
      device.queue.submit([encoder.finish()]);
    },
  };
  const result = {};
  for (const [name, record] of Object.entries(patterns)) {
    const samples = [];
    for (let r = 0; r <= runs; r++) {
      const started = performance.now();
      record();
      await device.queue.onSubmittedWorkDone();
      if (r > 0) samples.push(((performance.now() - started) * 1000) / chain); // run 0 warms up
    }
    result[name] = samples;
  }
  device.destroy();
  return { ...result, adapter: [adapter.info.vendor, adapter.info.architecture, adapter.info.device, adapter.info.description].filter(Boolean).join(' ') };
}
