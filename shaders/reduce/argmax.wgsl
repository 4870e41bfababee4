// argmax: out[o] = the index along the reduced axis of the largest x in slice o (the first on ties),
// as int32. x is viewed as [outer, axis, inner]; slice o = (outer, inner) runs with stride `inner`.
//
// Bindings: 0 x (read), 1 out (read_write, int32 [outer·inner]), 2 params (uniform).
// Mapping: one workgroup of 64 invocations per output (grid wrapped into y); each keeps the best
// (value, index) of its strided share, then a tree in workgroup memory keeps the larger value, or
// the smaller index on ties.

struct Params {
  out_size: u32,
  axis_size: u32,
  inner: u32,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<i32>;
@group(0) @binding(2) var<uniform> params: Params;

const WG: u32 = 64u;
var<workgroup> best_value: array<f32, WG>;
var<workgroup> best_index: array<u32, WG>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) t: u32) {
  let o = flat_workgroup(wid, nwg);
  if (o >= params.out_size) { return; }
  let base = (o / params.inner) * params.axis_size * params.inner + o % params.inner;
  var value = -F32_MAX;
  var index = 0xffffffffu;
  for (var k = t; k < params.axis_size; k += WG) {
    let v = x[base + k * params.inner];
    if (v > value || index == 0xffffffffu) { value = v; index = k; }
  }
  best_value[t] = value;
  best_index[t] = index;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride /= 2u) {
    if (t < stride) {
      let v = best_value[t + stride];
      let i = best_index[t + stride];
      if (v > best_value[t] || (v == best_value[t] && i < best_index[t])) { best_value[t] = v; best_index[t] = i; }
    }
    workgroupBarrier();
  }
  if (t == 0u) { out[o] = i32(best_index[0]); }
}
