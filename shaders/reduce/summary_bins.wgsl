// summary_bins: pass 2 of summaryStats, over the chunks of the segments with more than one bin (the
// table's list after its chunks; a segment of one bin needs no pass 2: its one bin holds every
// element). Each workgroup first combines the pass-1 bounds of its segment's chunks, then counts its
// own chunk's bins: element v (less the minus input's, as in pass 1) goes to bin ⌊(v − min) · scale⌋,
// scale = bins / (max − min), clamped to [0, bins − 1], or to the last bin when max = min; and sums
// (v − the chunk's mean)². It writes [that sum, counts…] to binned[w · (1 + max_bins) ..].
//
// Bindings: 0–3 x0–x3 (read), 4 table (read, u32, as in summary_partials.wgsl), 5 partials (read,
// float32 [chunks · 7]), 6 binned (read_write, float32 [workgroups · (1 + max_bins)]), 7 params.
// Mapping: one workgroup of 64 invocations per listed chunk (grid wrapped into y). The bin counts
// are integers, exact, so the result never varies. Up to ROW_BINS bins each invocation counts its
// elements in registers, four bins a word, a byte each (an invocation takes at most 64 elements of a
// 4096-element chunk): each element adds 1 << 8·(bin mod 4) to word ⌊bin / 4⌋, chosen by comparisons
// (no scattered writes, which a CPU adapter runs several times slower, and a few operations an
// element where one comparison a bin took many). It writes its counts to a row of its own in
// workgroup memory, and bin b is the rows' sum; more bins count into one row of atomics.

struct Params {
  segments: u32,
  chunks: u32,
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
const SEGMENT_WORDS: u32 = 11u;
const NO_INPUT: u32 = 0xffffffffu;
// core's SUMMARY_MAX_BINS
const MAX_BINS: u32 = 256u;

var<workgroup> part_lo: array<f32, WG>;
var<workgroup> part_centred: array<f32, WG>;
var<workgroup> part_hi: array<f32, WG>;
var<workgroup> counts: array<atomic<u32>, MAX_BINS>;
const ROW_BINS: u32 = 32u;
var<workgroup> rows: array<u32, 2048>; // WG rows of ROW_BINS

// one invocation's counts of up to ROW_BINS bins, a byte each, four bins a word
var<private> w0: u32 = 0u;
var<private> w1: u32 = 0u;
var<private> w2: u32 = 0u;
var<private> w3: u32 = 0u;
var<private> w4: u32 = 0u;
var<private> w5: u32 = 0u;
var<private> w6: u32 = 0u;
var<private> w7: u32 = 0u;
var<private> centred: f32 = 0.0;

fn count_bin(v: f32, mean: f32, lo_all: f32, scale: f32, spread: bool, bins: u32, in_rows: bool) {
  centred += (v - mean) * (v - mean);
  // where v falls on the bins' scale; every element is in the last bin when max = min
  let at = select(f32(bins), (v - lo_all) * scale, spread);
  let bin = u32(clamp(floor(at), 0.0, f32(bins - 1u)));
  if (in_rows) {
    let word = bin >> 2u;
    let one = 1u << ((bin & 3u) * 8u);
    w0 += select(0u, one, word == 0u);
    w1 += select(0u, one, word == 1u);
    w2 += select(0u, one, word == 2u);
    w3 += select(0u, one, word == 3u);
    w4 += select(0u, one, word == 4u);
    w5 += select(0u, one, word == 5u);
    w6 += select(0u, one, word == 6u);
    w7 += select(0u, one, word == 7u);
  } else {
    atomicAdd(&counts[bin], 1u);
  }
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) t: u32) {
  let w = flat_workgroup(wid, nwg);
  let in_range = w < params.workgroups;
  let chunk = table[params.segments * SEGMENT_WORDS + params.chunks * 3u + min(w, params.workgroups - 1u)];
  let entry = params.segments * SEGMENT_WORDS + chunk * 3u;
  let segment = table[entry] * SEGMENT_WORDS;
  let input = table[segment];
  let minus = table[segment + 8u];
  let first = table[entry + 1u];
  let count = select(0u, table[entry + 2u], in_range);
  let bins = table[segment + 2u];
  let first_chunk = table[segment + 6u];
  let chunks = table[segment + 7u];
  var lo = F32_MAX;
  var hi = -F32_MAX;
  for (var k = t; k < chunks; k += WG) {
    let p = (first_chunk + k) * 7u;
    lo = min(lo, partials[p + 2u]);
    hi = max(hi, partials[p + 3u]);
  }
  part_lo[t] = lo;
  part_hi[t] = hi;
  for (var b = t; b < MAX_BINS; b += WG) { atomicStore(&counts[b], 0u); }
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride /= 2u) {
    if (t < stride) {
      part_lo[t] = min(part_lo[t], part_lo[t + stride]);
      part_hi[t] = max(part_hi[t], part_hi[t + stride]);
    }
    workgroupBarrier();
  }
  let lo_all = part_lo[0];
  let hi_all = part_hi[0];
  let spread = hi_all > lo_all;
  let scale = select(0.0, f32(bins) / (hi_all - lo_all), spread);
  let in_rows = bins <= ROW_BINS;
  let mean = partials[chunk * 7u] / f32(max(count, 1u));
  let has_minus = minus != NO_INPUT;
  if (has_minus) {
    for (var i = t; i < count; i += WG) {
      count_bin(load(input, first + i) - load(minus, first + i), mean, lo_all, scale, spread, bins, in_rows);
    }
  } else {
    for (var i = t; i < count; i += WG) { count_bin(load(input, first + i), mean, lo_all, scale, spread, bins, in_rows); }
  }
  var words: array<u32, 8>; // ROW_BINS / 4
  words = array<u32, 8>(w0, w1, w2, w3, w4, w5, w6, w7);
  for (var k = 0u; k < ROW_BINS; k++) { rows[t * ROW_BINS + k] = (words[k >> 2u] >> ((k & 3u) * 8u)) & 0xffu; }
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
      for (var row = 0u; row < WG; row++) { n += rows[row * ROW_BINS + b]; }
    }
    if (in_range) { binned[out + 1u + b] = f32(n); }
  }
}
