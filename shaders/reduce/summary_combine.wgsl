// summary_combine: pass 3 of summaryStats. One workgroup per segment adds up its chunks' partials
// (pass 1's sums, bounds and threshold counts, the centred sums of pass 1 for a segment of one bin and
// of pass 2 for the others, pass 2's bin counts) and writes the
// segment's [Σx, Σx², Σ(x − x̄)², min, max, #(x < below), #(x > above), counts…] at its out offset.
// The spread joins the chunks' centred sums as Chan et al. do: Σ(x − x̄)² = Σ_c [Σ(x − x̄_c)² +
// n_c (x̄_c − x̄)²], each term a sum of squares (no cancellation when the spread is small against the
// mean). A segment of one bin has it hold every element; the others' counts are pass 2's.
//
// Bindings: 0 table (read, u32, as in summary_partials.wgsl), 1 partials (read, float32
// [chunks · 7]), 2 binned (read, float32 [pass-2 workgroups · (1 + max_bins)]), 3 out (read_write),
// 4 params (uniform).
// Mapping: one workgroup of 64 invocations per segment (grid wrapped into y): each invocation takes a
// strided share of the chunks, a tree combines them; then each invocation adds up some bins over
// every chunk, in chunk order.

struct Params {
  segments: u32,
  max_bins: u32,
}

@group(0) @binding(0) var<storage, read> table: array<u32>;
@group(0) @binding(1) var<storage, read> partials: array<f32>;
@group(0) @binding(2) var<storage, read> binned: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;

const WG: u32 = 64u;
const SEGMENT_WORDS: u32 = 11u;

var<workgroup> part_sum: array<f32, WG>;
var<workgroup> part_squares: array<f32, WG>;
var<workgroup> part_centred: array<f32, WG>;
var<workgroup> part_lo: array<f32, WG>;
var<workgroup> part_hi: array<f32, WG>;
var<workgroup> part_below: array<f32, WG>;
var<workgroup> part_above: array<f32, WG>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) t: u32) {
  let s = flat_workgroup(wid, nwg);
  let in_range = s < params.segments;
  let segment = min(s, params.segments - 1u) * SEGMENT_WORDS;
  let size = table[segment + 1u];
  let bins = table[segment + 2u];
  let at = table[segment + 3u];
  let first_chunk = table[segment + 6u];
  let chunks = select(0u, table[segment + 7u], in_range);
  let first_binned = table[segment + 9u];
  var total = 0.0;
  var squares = 0.0;
  var lo = F32_MAX;
  var hi = -F32_MAX;
  var below = 0.0;
  var above = 0.0;
  for (var k = t; k < chunks; k += WG) {
    let p = (first_chunk + k) * 7u;
    total += partials[p];
    squares += partials[p + 1u];
    lo = min(lo, partials[p + 2u]);
    hi = max(hi, partials[p + 3u]);
    below += partials[p + 4u];
    above += partials[p + 5u];
  }
  part_sum[t] = total;
  part_squares[t] = squares;
  part_lo[t] = lo;
  part_hi[t] = hi;
  part_below[t] = below;
  part_above[t] = above;
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
  let mean = part_sum[0] / f32(size);
  var centred = 0.0;
  for (var k = t; k < chunks; k += WG) {
    let p = (first_chunk + k) * 7u;
    let n = f32(table[params.segments * SEGMENT_WORDS + (first_chunk + k) * 3u + 2u]);
    let d = partials[p] / n - mean;
    let own = select(partials[p + 6u], binned[(first_binned + k) * (1u + params.max_bins)], bins > 1u);
    centred += own + n * d * d;
  }
  part_centred[t] = centred;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride /= 2u) {
    if (t < stride) { part_centred[t] += part_centred[t + stride]; }
    workgroupBarrier();
  }
  if (!in_range) { return; }
  if (t == 0u) {
    out[at] = part_sum[0];
    out[at + 1u] = part_squares[0];
    out[at + 2u] = select(0.0, part_centred[0], table[segment + 10u] == 1u);
    out[at + 3u] = part_lo[0];
    out[at + 4u] = part_hi[0];
    out[at + 5u] = part_below[0];
    out[at + 6u] = part_above[0];
  }
  if (bins == 1u) {
    if (t == 0u) { out[at + 7u] = f32(size); }
    return;
  }
  for (var b = t; b < bins; b += WG) {
    var count = 0.0;
    for (var k = 0u; k < chunks; k++) { count += binned[(first_binned + k) * (1u + params.max_bins) + 1u + b]; }
    out[at + 7u + b] = count;
  }
}
