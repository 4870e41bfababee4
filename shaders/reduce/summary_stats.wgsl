// summary_stats: a whole tensor summarised in one dispatch, what a training monitor reads of a weight,
// a gradient or an activation: out = [Σx, Σx², Σ(x − x̄)², min, max, #(x < below), #(x > above), then
// the counts of `bins` equal bins from min to max]. Element x goes to bin ⌊(x − min) · scale⌋ with
// scale = bins / (max − min), clamped to [0, bins − 1] (so the largest lands in the last bin); every
// element goes to the last bin when max = min. A product, not a division per element, so the CPU
// reference (the same float32 steps) bins an element on an edge alike.
//
// Bindings: 0 x (read), 1 out (read_write, float32 [7 + bins]), 2 params (uniform).
// Mapping: one workgroup of 256 invocations for the whole tensor. Pass 1: each invocation sums,
// squares, bounds and counts its strided share; a tree in workgroup memory combines them. Pass 2, with
// the mean and the bounds known: each invocation sums its share's squared distances to the mean (a
// second tree combines them) and bins its share into integer atomics in workgroup memory (exact counts).

struct Params {
  size: u32,
  bins: u32,
  below: f32,
  above: f32,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

const WG: u32 = 256u;
// core's SUMMARY_MAX_BINS: one counter a bin, one bin an invocation to clear and write
const MAX_BINS: u32 = 256u;

var<workgroup> part_sum: array<f32, WG>;
var<workgroup> part_squares: array<f32, WG>;
var<workgroup> part_lo: array<f32, WG>;
var<workgroup> part_hi: array<f32, WG>;
var<workgroup> part_below: array<u32, WG>;
var<workgroup> part_above: array<u32, WG>;
var<workgroup> part_centred: array<f32, WG>;
var<workgroup> counts: array<atomic<u32>, MAX_BINS>;

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) t: u32) {
  var total = 0.0;
  var squares = 0.0;
  var lo = F32_MAX;
  var hi = -F32_MAX;
  var below = 0u;
  var above = 0u;
  for (var i = t; i < params.size; i += WG) {
    let v = x[i];
    total += v;
    squares += v * v;
    lo = min(lo, v);
    hi = max(hi, v);
    below += select(0u, 1u, v < params.below);
    above += select(0u, 1u, v > params.above);
  }
  part_sum[t] = total;
  part_squares[t] = squares;
  part_lo[t] = lo;
  part_hi[t] = hi;
  part_below[t] = below;
  part_above[t] = above;
  atomicStore(&counts[t], 0u);
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride /= 2u) {
    if (t < stride) {
      part_sum[t] += part_sum[t + stride];
      part_squares[t] += part_squares[t + stride];
      part_lo[t] = min(part_lo[t], part_lo[t + stride]);
      part_hi[t] = max(part_hi[t], part_hi[t + stride]);
      part_below[t] += part_below[t + stride];
      part_above[t] += part_above[t + stride];
    }
    workgroupBarrier();
  }
  let mean = part_sum[0] / f32(params.size);
  let lo_all = part_lo[0];
  let hi_all = part_hi[0];
  let last = params.bins - 1u;
  let spread = hi_all > lo_all;
  let scale = select(0.0, f32(params.bins) / (hi_all - lo_all), spread);
  var centred = 0.0;
  for (var i = t; i < params.size; i += WG) {
    let v = x[i];
    centred += (v - mean) * (v - mean);
    let at = clamp(floor((v - lo_all) * scale), 0.0, f32(last));
    atomicAdd(&counts[select(last, u32(at), spread)], 1u);
  }
  part_centred[t] = centred;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride /= 2u) {
    if (t < stride) { part_centred[t] += part_centred[t + stride]; }
    workgroupBarrier();
  }
  if (t == 0u) {
    out[0] = part_sum[0];
    out[1] = part_squares[0];
    out[2] = part_centred[0];
    out[3] = lo_all;
    out[4] = hi_all;
    out[5] = f32(part_below[0]);
    out[6] = f32(part_above[0]);
  }
  if (t < params.bins) { out[7u + t] = f32(atomicLoad(&counts[t])); }
}
