// The raw Dawn dispatch floor: a trivial WGSL kernel (y = x + 1 over 1,024 floats, four workgroups
// of 256) recorded and submitted with the bare WebGPU API — no framework, pipeline and bind groups
// made once. Two patterns, each a chain in which every dispatch reads the previous one's output:
// one submit per dispatch, and all dispatches in one pass and one submit. The lower of the two is the
// floor a framework's small op is compared with; case.mjs alternates it with the framework's own
// small-op runs in one process, so both see the same machine load. Imports only the `webgpu` package.
import { create, globals } from 'webgpu';

const SIZE = 1024;
const SHADER = /* wgsl */ `
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  if (id.x < arrayLength(&y)) { y[id.x] = x[id.x] + 1.0; }
}`;

// Dawn's instance, adapter and device stay referenced until the process ends: once the instance
// object is collected while its device lives, Dawn aborts the process from one of its threads
// ("The futex facility returned an unexpected error code", or std::system_error), as half the
// memory-floor runs did before this. webgrad's own device.ts keeps its instance the same way.
const keptAlive = [];

/** A raw Dawn device with the trivial kernel; `measure(pattern)` gives µs per dispatch for one chain. */
export async function openDawnFloor({ chain = 200, device: shared } = {}) {
  // A framework's own device when given (a second Dawn instance in one process can abort on lavapipe).
  let device = shared,
    info = { description: "the framework's device" };
  if (!device) {
    Object.assign(globalThis, globals);
    const gpu = create([]);
    const adapter = await gpu.requestAdapter();
    device = await adapter.requestDevice();
    keptAlive.push(gpu, adapter, device);
    info = adapter.info;
  }
  const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
  const buffers = [0, 1].map(() => device.createBuffer({ size: SIZE * 4, usage }));
  const pipeline = device.createComputePipeline({
    layout: 'auto',
    compute: { module: device.createShaderModule({ code: SHADER }), entryPoint: 'main' },
  });
  const groups = [0, 1].map((i) =>
    device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: [
        { binding: 0, resource: { buffer: buffers[i] } },
        { binding: 1, resource: { buffer: buffers[1 - i] } },
      ],
    }),
  );
  const record = (pass, i) => {
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, groups[i % 2]);
    pass.dispatchWorkgroups(SIZE / 256);
  };
  const patterns = {
    submitEach() {
      for (let i = 0; i < chain; i++) {
        const encoder = device.createCommandEncoder(),
          pass = encoder.beginComputePass();
        record(pass, i);
        pass.end();
        device.queue.submit([encoder.finish()]);
      }
    },
    onePass() {
      const encoder = device.createCommandEncoder(),
        pass = encoder.beginComputePass();
      for (let i = 0; i < chain; i++) record(pass, i);
      pass.end();
      device.queue.submit([encoder.finish()]);
    },
  };
  return {
    adapter: [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' '),
    async measure(pattern) {
      const started = performance.now();
      patterns[pattern]();
      await device.queue.onSubmittedWorkDone();
      return ((performance.now() - started) * 1000) / chain;
    },
    destroy: () => {
      buffers.forEach((b) => b.destroy());
      if (!shared) device.destroy();
    },
  };
}

/** `runs` timed chains of each pattern (after one warm-up each): µs per dispatch. */
export async function dawnFloor({ chain = 200, runs = 7 } = {}) {
  const floor = await openDawnFloor({ chain });
  const result = { submitEach: [], onePass: [] };
  for (let r = 0; r <= runs; r++) {
    for (const pattern of ['submitEach', 'onePass']) {
      const us = await floor.measure(pattern);
      if (r > 0) result[pattern].push(us);
    }
  }
  floor.destroy();
  return { ...result, adapter: floor.adapter };
}

/**
 * The memory floor of the MLP case: the same digits loaded the same way and uploaded to a bare Dawn
 * device, with no kernel run and no framework. Any WebGPU framework's MLP process holds at least
 * this much at its peak; the case reports its peak RSS.
 */
export async function dawnMemoryFloor(train, test) {
  Object.assign(globalThis, globals);
  const gpu = create([]);
  const adapter = await gpu.requestAdapter();
  const device = await adapter.requestDevice();
  keptAlive.push(gpu, adapter, device);
  for (const values of [train.images, train.labels, test.images, test.labels]) {
    const buffer = device.createBuffer({
      size: values.byteLength,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
    });
    device.queue.writeBuffer(buffer, 0, values);
    keptAlive.push(buffer);
  }
  await device.queue.onSubmittedWorkDone();
  const info = adapter.info;
  return [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' ');
}
