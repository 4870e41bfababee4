// multinomial: out[r·num_samples + s] = the class drawn for sample s of row r of logits [rows, classes]
// from softmax(logits[r] · inv_temperature): with weights w_k = exp((l_k − max_k l)·inv_temperature)
// and u = to_unit(word 0 of Philox block (r·num_samples + s, stream, 0, 0)), the first class k whose
// running sum of weights exceeds u·Σw, the threshold (the last class of positive weight if rounding leaves none).
// The same float32 steps in the same order as rng.ts categoricalValues, so CPU and GPU draw the same
// class unless u·Σw lands within exp's last-bit differences of a boundary.
//
// Bindings: 0 logits (read), 1 out (read_write, int32 [rows·num_samples]), 2 params (uniform).
// Mapping: one invocation per draw, 64 per workgroup (grid wrapped into y); each reads its row three
// times (max, total, the walk), which for a vocabulary-sized row is cheaper than a reduction's barriers.

struct Params {
  rows: u32,
  classes: u32,
  num_samples: u32,
  stream: u32,
  seed_lo: u32,
  seed_hi: u32,
  inv_temperature: f32,
}

@group(0) @binding(0) var<storage, read> logits: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<i32>;
@group(0) @binding(2) var<uniform> params: Params;

fn weight(at: u32, top: f32) -> f32 {
  return exp((logits[at] - top) * params.inv_temperature);
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_index(gid, nwg, 64u);
  if (i >= params.rows * params.num_samples) { return; }
  let base = (i / params.num_samples) * params.classes;
  var top = logits[base];
  for (var k = 1u; k < params.classes; k++) { top = max(top, logits[base + k]); }
  var total = 0.0;
  var last_positive = params.classes - 1u;
  for (var k = 0u; k < params.classes; k++) {
    let w = weight(base + k, top);
    total += w;
    if (w > 0.0) { last_positive = k; }
  }
  let words = philox4x32(vec4<u32>(i, params.stream, 0u, 0u), vec2<u32>(params.seed_lo, params.seed_hi));
  let threshold = to_unit(words.x) * total;
  var running = 0.0;
  var pick = last_positive;
  for (var k = 0u; k < params.classes; k++) {
    running += weight(base + k, top);
    if (threshold < running) {
      pick = k;
      break;
    }
  }
  out[i] = i32(pick);
}
