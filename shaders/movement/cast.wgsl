// cast: out[i] = x[i] converted between float32 and int32 (OP override). float32 → int32 truncates
// toward zero, as TF.js does; values beyond the int32 range saturate (WGSL's conversion rule).
//
// Bindings: 0 x (read), 1 out (read_write), 2 params (uniform).
// Mapping: one invocation per element, 256 per workgroup, grid wrapped into y. Words are read and
// written raw (u32) and reinterpreted with bitcast.

const OP_TO_INT32: u32 = 0u;
const OP_TO_FLOAT32: u32 = 1u;

override OP: u32;

struct Params {
  size: u32,
}

@group(0) @binding(0) var<storage, read> x: array<u32>;
@group(0) @binding(1) var<storage, read_write> out: array<u32>;
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_index(gid, nwg, 256u);
  if (i >= params.size) { return; }
  if (OP == OP_TO_INT32) {
    out[i] = bitcast<u32>(i32(bitcast<f32>(x[i])));
  } else if (OP == OP_TO_FLOAT32) {
    out[i] = bitcast<u32>(f32(bitcast<i32>(x[i])));
  } else {
    out[i] = bitcast<u32>(poison());
  }
}
