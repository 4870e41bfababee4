// softmax_grad: the backward of softmax over rows from its output y: dx = y ⊙ (dy − Σ_c dy⊙y)
// (OP_SOFTMAX), or of logSoftmax from its output y: dx = dy − e^y · Σ_c dy (OP_LOG_SOFTMAX).
//
// Bindings: 0 y (read, [rows, cols]), 1 dy (read), 2 dx (read_write), 3 params (uniform).
// Mapping: one workgroup of 64 invocations per row (grid wrapped into y); a tree in workgroup memory
// forms the row's sum, then every invocation writes its strided share of the row.

const OP_SOFTMAX: u32 = 0u;
const OP_LOG_SOFTMAX: u32 = 1u;

override OP: u32;

struct Params {
  rows: u32,
  cols: u32,
}

@group(0) @binding(0) var<storage, read> y: array<f32>;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

const WG: u32 = 64u;
var<workgroup> partial: array<f32, WG>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) t: u32) {
  let row = flat_workgroup(wid, nwg);
  if (row >= params.rows) { return; }
  let base = row * params.cols;
  var s = 0.0;
  for (var c = t; c < params.cols; c += WG) {
    if (OP == OP_SOFTMAX) {
      s += dy[base + c] * y[base + c];
    } else if (OP == OP_LOG_SOFTMAX) {
      s += dy[base + c];
    } else {
      s = poison();
    }
  }
  partial[t] = s;
  for (var stride = WG / 2u; stride > 0u; stride /= 2u) {
    workgroupBarrier();
    if (t < stride) { partial[t] += partial[t + stride]; }
  }
  workgroupBarrier();
  let total = partial[0];
  for (var c = t; c < params.cols; c += WG) {
    let i = base + c;
    if (OP == OP_SOFTMAX) {
      dx[i] = y[i] * (dy[i] - total);
    } else if (OP == OP_LOG_SOFTMAX) {
      dx[i] = dy[i] - exp(y[i]) * total;
    } else {
      dx[i] = poison();
    }
  }
}
