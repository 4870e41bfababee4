// one_hot: out[n, c] = indices[n] == c ? on_value : off_value, for float32 out of shape [..., depth].
// An index outside [0, depth) gives a row of off_value, as in TF.js.
//
// Bindings: 0 indices (read, int32), 1 out (read_write), 2 params (uniform).
// Mapping: one invocation per output element, 256 per workgroup, grid wrapped into y.

struct Params {
  size: u32,
  depth: u32,
  on_value: f32,
  off_value: f32,
}

@group(0) @binding(0) var<storage, read> indices: array<i32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_index(gid, nwg, 256u);
  if (i >= params.size) { return; }
  out[i] = select(params.off_value, params.on_value, indices[i / params.depth] == i32(i % params.depth));
}
