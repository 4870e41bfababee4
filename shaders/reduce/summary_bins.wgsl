// summary_bins: pass 2 of summaryStats. Each workgroup first combines the pass-1 partials of its
// segment's chunks (its mean, min and max), then over its own chunk sums the squared distances to the
// mean and counts the bins: element v goes to bin ⌊(v − min) · scale⌋, scale = bins / (max − min),
// clamped to [0, bins − 1], or to the last bin when max = min. It writes [Σ(v − mean)², counts…] to
// binned[w · (1 + max_bins) ..].
//
// Bindings: 0–3 x0–x3 (read), 4 table (read, u32, as in summary_partials.wgsl), 5 partials (read,
// float32 [workgroups · 6]), 6 binned (read_write, float32 [workgroups · (1 + max_bins)]), 7 params.
// Mapping: one workgroup of 64 invocations per chunk, as pass 1 (grid wrapped into y). The bin counts
// are integers, exact, so the result never varies. Up to ROW_BINS bins each invocation counts, in
// registers, how many of its elements reach each bin's lower edge (⌊t⌋ ≥ k ⇔ t ≥ k: comparisons, no
// scattered writes, which a CPU adapter runs several times slower), writes the counts to a row of its
// own in workgroup memory, and bin b is the rows' sum of "reach b" less "reach b + 1"; more bins count
// into one row of atomics. A segment of one bin counts no element: its one bin holds them all.

struct Params {
  segments: u32,
  workgroups: u32,
  max_bins: u32,
}

@group(0) @binding(0) var<storage, read> x0: array<f32>;
@group(0) @binding(1) var<storage, read> x1: array<f32>;
@group(0) @binding(2) var<storage, read> x2: array<f32>;
@group(0) @binding(3) var<storage, read> x3: array<f32>;
@group(0) @binding(4) var<storage, read> table: array<u32>;
@group(0) @binding(5) var<storage, read> partials: array<f32>;
@group(0) @binding(6) var<storage, read_write> binned: array<f32>;
@group(0) @binding(7) var<uniform> params: Params;

// the element at i of input `input`: each chunk reads one input, so the branch is the same across a workgroup
fn load(input: u32, i: u32) -> f32 {
  switch input {
    case 0u: { return x0[i]; }
    case 1u: { return x1[i]; }
    case 2u: { return x2[i]; }
    default: { return x3[i]; }
  }
}

const WG: u32 = 64u;
// core's SUMMARY_MAX_BINS
const MAX_BINS: u32 = 256u;

var<workgroup> part_sum: array<f32, WG>;
var<workgroup> part_lo: array<f32, WG>;
var<workgroup> part_hi: array<f32, WG>;
var<workgroup> part_centred: array<f32, WG>;
var<workgroup> counts: array<atomic<u32>, MAX_BINS>;
const ROW_BINS: u32 = 32u;
var<workgroup> rows: array<u32, 2048>; // WG rows of ROW_BINS

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) t: u32) {
  let w = flat_workgroup(wid, nwg);
  let in_range = w < params.workgroups;
  let entry = params.segments * 8u + min(w, params.workgroups - 1u) * 3u;
  let segment = table[entry] * 8u;
  let input = table[segment];
  let first = table[entry + 1u];
  let count = select(0u, table[entry + 2u], in_range);
  let size = table[segment + 1u];
  let bins = table[segment + 2u];
  let first_chunk = table[segment + 6u];
  let chunks = table[segment + 7u];
  var total = 0.0;
  var lo = F32_MAX;
  var hi = -F32_MAX;
  for (var k = t; k < chunks; k += WG) {
    let p = (first_chunk + k) * 6u;
    total += partials[p];
    lo = min(lo, partials[p + 2u]);
    hi = max(hi, partials[p + 3u]);
  }
  part_sum[t] = total;
  part_lo[t] = lo;
  part_hi[t] = hi;
  for (var b = t; b < MAX_BINS; b += WG) { atomicStore(&counts[b], 0u); }
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride /= 2u) {
    if (t < stride) {
      part_sum[t] += part_sum[t + stride];
      part_lo[t] = min(part_lo[t], part_lo[t + stride]);
      part_hi[t] = max(part_hi[t], part_hi[t + stride]);
    }
    workgroupBarrier();
  }
  let mean = part_sum[0] / f32(size);
  let lo_all = part_lo[0];
  let hi_all = part_hi[0];
  let last = bins - 1u;
  let spread = hi_all > lo_all;
  let scale = select(0.0, f32(bins) / (hi_all - lo_all), spread);
  let in_rows = bins <= ROW_BINS;
  var centred = 0.0;
  var mine = 0u;
  var reach: array<u32, ROW_BINS>;
  for (var i = t; i < count; i += WG) {
    let v = load(input, first + i);
    centred += (v - mean) * (v - mean);
    mine++;
    // where v falls on the bins' scale; every element is in the last bin when max = min
    let at = select(f32(bins), (v - lo_all) * scale, spread);
    if (bins > 1u && in_rows) {
      for (var k = 1u; k < ROW_BINS; k++) { reach[k] += select(0u, 1u, at >= f32(k)); }
    } else if (bins > 1u) {
      atomicAdd(&counts[u32(clamp(floor(at), 0.0, f32(last)))], 1u);
    }
  }
  reach[0] = mine;
  for (var k = 0u; k < ROW_BINS; k++) { rows[t * ROW_BINS + k] = reach[k]; }
  part_centred[t] = centred;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride /= 2u) {
    if (t < stride) { part_centred[t] += part_centred[t + stride]; }
    workgroupBarrier();
  }
  let out = w * (1u + params.max_bins);
  if (in_range && t == 0u) { binned[out] = part_centred[0]; }
  for (var b = t; b < bins; b += WG) {
    var n = atomicLoad(&counts[b]);
    if (in_rows) {
      for (var row = 0u; row < WG; row++) {
        n += rows[row * ROW_BINS + b] - select(0u, rows[row * ROW_BINS + b + 1u], b < last);
      }
    }
    if (in_range) { binned[out + 1u + b] = select(f32(n), f32(count), bins == 1u); }
  }
}
