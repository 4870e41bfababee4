// gather_grad: the gradient of gather, dx[o, r, i] = Σ_{j : indices[j] = r} dy[o, j, i]. Each
// invocation owns one element of dx and loops over the indices, so the sum is deterministic
// (no float atomics, which WGSL lacks); it costs O(|dx|·num_indices).
//
// Bindings: 0 dy (read), 1 indices (read, int32), 2 dx (read_write), 3 params (uniform).
// Mapping: one invocation per element of dx ([outer, axis_size, inner]), 256 per workgroup.

struct Params {
  size: u32,
  axis_size: u32,
  num_indices: u32,
  inner: u32,
}

@group(0) @binding(0) var<storage, read> dy: array<f32>;
@group(0) @binding(1) var<storage, read> indices: array<i32>;
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_index(gid, nwg, 256u);
  if (i >= params.size) { return; }
  let inner = i % params.inner;
  let r = (i / params.inner) % params.axis_size;
  let outer = i / (params.inner * params.axis_size);
  var acc = 0.0;
  for (var j = 0u; j < params.num_indices; j++) {
    if (indices[j] == i32(r)) { acc += dy[(outer * params.num_indices + j) * params.inner + inner]; }
  }
  dx[i] = acc;
}
