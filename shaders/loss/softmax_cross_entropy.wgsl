// softmax_cross_entropy: per row r of logits z [rows, classes], the loss −Σ_c p_c log softmax(z)_c
// = Σ_c p_c ((m − z_c) + log s), with m the row's max and s = Σ_c e^{z_c − m} ∈ [1, classes], so logits
// of any size stay finite and m − z_c is formed before adding the small log s (no 1e4 + 0.69 rounding).
// Labels are int32 class indices [rows] (OP_SPARSE: loss = (m − z_label) + log s) or probabilities /
// one-hot rows [rows, classes] (OP_DENSE); a zero probability contributes 0, never 0·log 0. With
// params.backward the same pass writes the gradient instead: dz = (e^{z − m}/s − p)·dy_r (a param,
// not an override: forward and backward share one pipeline).
// A sparse label outside [0, classes) gives a NaN loss and is recorded in `errors` — [count of bad
// labels, first bad row, classes, 0] — which the backend reads with the next readback and reports.
//
// Bindings: 0 logits (read), 1 labels (read, raw words: i32 or f32 by OP), 2 dy (read, [rows]; only
// with backward), 3 out (read_write: loss [rows], or dz [rows, classes] with backward), 4 errors
// (read_write, 4 atomic words), 5 params (uniform).
// Mapping: LANES invocations per row (override, a power of two ≤ 64), so one workgroup of 64 takes
// 64 / LANES rows (grid wrapped into y): strided passes over the row for the max and the sum of
// exponentials, each combined by a tree over the row's lanes in workgroup memory. Few classes get
// few lanes: ten classes on one lane make one workgroup of 64 rows instead of 64 mostly idle ones.

const OP_SPARSE: u32 = 0u;
const OP_DENSE: u32 = 1u;

override OP: u32;
override LANES: u32 = 64u;

struct Params {
  rows: u32,
  classes: u32,
  backward: u32,
}

@group(0) @binding(0) var<storage, read> logits: array<f32>;
@group(0) @binding(1) var<storage, read> labels: array<u32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@group(0) @binding(4) var<storage, read_write> errors: array<atomic<u32>, 4>;
@group(0) @binding(5) var<uniform> params: Params;

const WG: u32 = 64u;
var<workgroup> partial: array<f32, WG>;

// The max or sum of partial[] over the LANES lanes of t's row.
fn combine(t: u32, take_max: bool) -> f32 {
  for (var stride = LANES / 2u; stride > 0u; stride /= 2u) {
    workgroupBarrier();
    if (t % LANES < stride) {
      if (take_max) { partial[t] = max(partial[t], partial[t + stride]); }
      else { partial[t] += partial[t + stride]; }
    }
  }
  workgroupBarrier();
  let result = partial[t - t % LANES];
  workgroupBarrier();
  return result;
}

fn probability(base: u32, row: u32, c: u32) -> f32 {
  if (OP == OP_SPARSE) { return select(0.0, 1.0, bitcast<i32>(labels[row]) == i32(c)); }
  if (OP == OP_DENSE) { return bitcast<f32>(labels[base + c]); }
  return poison();
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) t: u32) {
  let row = flat_workgroup(wid, nwg) * (WG / LANES) + t / LANES;
  let lane = t % LANES;
  // past the last row a lane still joins every barrier, and writes nothing
  let in_range = row < params.rows;
  let classes = select(0u, params.classes, in_range);
  let base = row * params.classes;
  var m = -F32_MAX;
  for (var c = lane; c < classes; c += LANES) { m = max(m, logits[base + c]); }
  partial[t] = m;
  m = combine(t, true);
  var s = 0.0;
  for (var c = lane; c < classes; c += LANES) { s += exp(logits[base + c] - m); }
  partial[t] = s;
  s = combine(t, false);
  let log_s = log(s);

  if (params.backward != 0u) {
    if (in_range) {
      let g = dy[row];
      for (var c = lane; c < classes; c += LANES) {
        out[base + c] = (exp(logits[base + c] - m) / s - probability(base, row, c)) * g;
      }
    }
    return;
  }
  if (OP == OP_SPARSE) {
    if (in_range && lane == 0u) {
      let label = bitcast<i32>(labels[row]);
      if (label < 0 || u32(label) >= params.classes) {
        atomicAdd(&errors[0], 1u);
        atomicMin(&errors[1], row);
        atomicMax(&errors[2], params.classes);
        // a NaN built at run time (a constant NaN is not valid WGSL)
        out[row] = bitcast<f32>(0x7fc00000u | (labels[row] & 0u));
      } else {
        out[row] = (m - logits[base + u32(label)]) + log_s;
      }
    }
    return;
  }
  var weighted = 0.0;
  for (var c = lane; c < classes; c += LANES) {
    let p = bitcast<f32>(labels[base + c]);
    if (p != 0.0) { weighted += p * ((m - logits[base + c]) + log_s); }
  }
  if (OP != OP_DENSE) { weighted = poison(); }
  partial[t] = weighted;
  let loss = combine(t, false);
  if (in_range && lane == 0u) { out[row] = loss; }
}
