// softmax: out[r, c] = e^{x[r,c] − m_r} / Σ_c' e^{x[r,c'] − m_r} with m_r the row's max (so no exp
// overflows); LOG_SOFTMAX gives x[r,c] − m_r − log Σ_c' e^{x[r,c'] − m_r} (OP override).
//
// Bindings: 0 x (read, [rows, cols]), 1 out (read_write, [rows, cols]), 2 params (uniform).
// Mapping: one workgroup of 64 invocations per row (grid wrapped into y); each strides over the row,
// then a tree in workgroup memory combines the max, then the sum.

const OP_SOFTMAX: u32 = 0u;
const OP_LOG_SOFTMAX: u32 = 1u;

override OP: u32;

struct Params {
  rows: u32,
  cols: u32,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

const WG: u32 = 64u;
var<workgroup> partial: array<f32, WG>;

fn tree_max(t: u32) -> f32 {
  for (var stride = WG / 2u; stride > 0u; stride /= 2u) {
    workgroupBarrier();
    if (t < stride) { partial[t] = max(partial[t], partial[t + stride]); }
  }
  workgroupBarrier();
  return partial[0];
}

fn tree_sum(t: u32) -> f32 {
  for (var stride = WG / 2u; stride > 0u; stride /= 2u) {
    workgroupBarrier();
    if (t < stride) { partial[t] += partial[t + stride]; }
  }
  workgroupBarrier();
  return partial[0];
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) t: u32) {
  let row = flat_workgroup(wid, nwg);
  if (row >= params.rows) { return; }
  let base = row * params.cols;
  var m = -F32_MAX;
  for (var c = t; c < params.cols; c += WG) { m = max(m, x[base + c]); }
  partial[t] = m;
  m = tree_max(t);
  workgroupBarrier();
  var s = 0.0;
  for (var c = t; c < params.cols; c += WG) { s += exp(x[base + c] - m); }
  partial[t] = s;
  s = tree_sum(t);
  let log_s = log(s);
  for (var c = t; c < params.cols; c += WG) {
    let z = x[base + c] - m;
    if (OP == OP_SOFTMAX) {
      out[base + c] = exp(z) / s;
    } else if (OP == OP_LOG_SOFTMAX) {
      out[base + c] = z - log_s;
    } else {
      out[base + c] = poison();
    }
  }
}
