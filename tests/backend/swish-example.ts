import { add, mul, sigmoid, sub } from '@webgrad/core';
import { customOp } from '@webgrad/webgpu';
import { checkKernel } from '@webgrad/webgpu/testing';

// swish(x) = x·σ(x), one invocation per element (flat_index, from the prelude, spans large grids)
export const swish = await customOp({
  name: 'swish',
  forward: /* wgsl */ `
    struct Params { size: u32 }
    @group(0) @binding(0) var<storage, read> x: array<f32>;
    @group(0) @binding(1) var<storage, read_write> out: array<f32>;
    @group(0) @binding(2) var<uniform> params: Params;
    @compute @workgroup_size(256)
    fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
      let i = flat_index(gid, nwg, 256u);
      if (i < params.size) { out[i] = x[i] / (1.0 + exp(-x[i])); }
    }`,
  reference: (x) => mul(x, sigmoid(x)), // what other backends run, and the float64 oracle
  grad: (dy, [x]) => [mul(dy, add(sigmoid(x), mul(mul(x, sigmoid(x)), sub(1, sigmoid(x)))))],
});

// GPU against the CPU in float64, outputs poisoned, awkward shapes, gradients checked numerically
await checkKernel({ name: 'swish', fn: swish, cases: [[[1]], [[7, 13]], [[1031]], [[70000]]], domains: ['any'] });
console.log('swish passes checkKernel');
