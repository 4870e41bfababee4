// argmax: out[o] = the index along the reduced axis of the largest x in slice o (the first on ties),
// as int32. x is viewed as [outer, axis, inner]; slice o = (outer, inner) runs with stride `inner`.
//
// Bindings: 0 x (read), 1 out (read_write, int32 [outer·inner]), 2 params (uniform).
// Mapping: LANES invocations per output (override, a power of two ≤ 64), so one workgroup of 64
// takes 64 / LANES outputs (grid wrapped into y); each lane keeps the best (value, index) of its
// strided share, then a tree over the output's lanes in workgroup memory keeps the larger value, or
// the smaller index on ties. Short axes get few lanes (ten classes: one lane, 64 rows a workgroup).

struct Params {
  out_size: u32,
  axis_size: u32,
  inner: u32,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<i32>;
@group(0) @binding(2) var<uniform> params: Params;

override LANES: u32 = 64u;

const WG: u32 = 64u;
var<workgroup> best_value: array<f32, WG>;
var<workgroup> best_index: array<u32, WG>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) t: u32) {
  let o = flat_workgroup(wid, nwg) * (WG / LANES) + t / LANES;
  let lane = t % LANES;
  // past the last output a lane still joins every barrier, and writes nothing
  let in_range = o < params.out_size;
  let axis_size = select(0u, params.axis_size, in_range);
  let base = (o / params.inner) * params.axis_size * params.inner + o % params.inner;
  var value = -F32_MAX;
  var index = 0xffffffffu;
  for (var k = lane; k < axis_size; k += LANES) {
    let v = x[base + k * params.inner];
    if (v > value || index == 0xffffffffu) { value = v; index = k; }
  }
  best_value[t] = value;
  best_index[t] = index;
  workgroupBarrier();
  for (var stride = LANES / 2u; stride > 0u; stride /= 2u) {
    if (lane < stride) {
      let v = best_value[t + stride];
      let i = best_index[t + stride];
      if (v > best_value[t] || (v == best_value[t] && i < best_index[t])) { best_value[t] = v; best_index[t] = i; }
    }
    workgroupBarrier();
  }
  if (in_range && lane == 0u) { out[o] = i32(best_index[t]); }
}
