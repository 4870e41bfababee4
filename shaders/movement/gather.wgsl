// gather: out[o, j, i] = x[o, indices[j], i], viewing x as [outer, axis_size, inner] and out as
// [outer, num_indices, inner]. An index out of [0, axis_size) reads as 0 and is recorded in `errors`
// (words 4..7: count of bad indices, first position, axis size; see packages/webgpu/src/data-errors.ts),
// which the next readback reports as an error naming gather.
//
// Bindings: 0 x (read), 1 indices (read, int32), 2 out (read_write), 3 errors (read_write, atomics),
// 4 params (uniform).
// Mapping: one invocation per output element, 256 per workgroup, grid wrapped into y.

struct Params {
  size: u32,
  axis_size: u32,
  num_indices: u32,
  inner: u32,
}

@group(0) @binding(0) var<storage, read> x: array<u32>;
@group(0) @binding(1) var<storage, read> indices: array<i32>;
@group(0) @binding(2) var<storage, read_write> out: array<u32>;
@group(0) @binding(3) var<storage, read_write> errors: array<atomic<u32>, 8>;
@group(0) @binding(4) var<uniform> params: Params;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_index(gid, nwg, 256u);
  if (i >= params.size) { return; }
  let inner = i % params.inner;
  let j = (i / params.inner) % params.num_indices;
  let outer = i / (params.inner * params.num_indices);
  let index = indices[j];
  if (index < 0 || u32(index) >= params.axis_size) {
    if (outer == 0u && inner == 0u) { // once per bad index, not once per element it would copy
      atomicAdd(&errors[4], 1u);
      atomicMin(&errors[5], j);
      atomicMax(&errors[6], params.axis_size);
    }
    out[i] = 0u;
    return;
  }
  out[i] = x[(outer * params.axis_size + u32(index)) * params.inner + inner];
}
