// fill: out[i] = params.value for every element, as a 32-bit pattern, so one kernel fills float32
// and int32 tensors (and poisons fresh buffers with a NaN pattern in tests).
//
// Bindings: 0 out (read_write), 1 params (uniform).
// Mapping: one invocation per element, 256 per workgroup, grid wrapped into y (flat_index).

struct Params {
  size: u32,
  value: u32,
}

@group(0) @binding(0) var<storage, read_write> out: array<u32>;
@group(0) @binding(1) var<uniform> params: Params;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_index(gid, nwg, 256u);
  if (i >= params.size) { return; }
  out[i] = params.value;
}
