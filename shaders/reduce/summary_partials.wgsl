// summary_partials: pass 1 of summaryStats (summary_bins.wgsl, then summary_combine.wgsl). Up to four
// inputs, read flat, are cut into segments, and each segment into chunks of at most 4096 elements, one
// workgroup each; a workgroup writes its chunk's Σx, Σx², min, max, #(x < below), #(x > above) and,
// for a segment of one bin, Σ(x − its chunk's mean)² to partials[w · 7 ..] (pass 2 takes the centred
// sums of the segments with more bins, as it reads them anyway; pass 3 combines the chunks' centred
// sums, so a segment of one bin needs no pass 2). A segment with a minus input reads x − minus at
// each position.
//
// Bindings: 0–3 x0–x3 (read; the host repeats x0 for inputs not given), 4 table (read, u32),
// 5 partials (read_write, float32 [workgroups · 7]), 6 params (uniform).
// The table: 11 words a segment [input, size, bins, out offset, below (f32 bits), above (f32 bits),
// first chunk, chunks, minus input (0xffffffff: none), first pass-2 workgroup, 1 if its spread is
// wanted else 0], then 3 words a chunk
// [segment, first element in its input, elements], then one word a pass-2 workgroup (its chunk).
// Mapping: one workgroup of 64 invocations per chunk (grid wrapped into y); each invocation takes a
// strided share of the chunk, a tree in workgroup memory combines them; a segment of one bin takes a
// second look at the chunk (16 KiB, still in cache) for its centred sum once the chunk's mean is known.

struct Params {
  segments: u32,
  workgroups: u32,
}

@group(0) @binding(0) var<storage, read> x0: array<f32>;
@group(0) @binding(1) var<storage, read> x1: array<f32>;
@group(0) @binding(2) var<storage, read> x2: array<f32>;
@group(0) @binding(3) var<storage, read> x3: array<f32>;
@group(0) @binding(4) var<storage, read> table: array<u32>;
@group(0) @binding(5) var<storage, read_write> partials: array<f32>;
@group(0) @binding(6) var<uniform> params: Params;

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

var<workgroup> part_sum: array<f32, WG>;
var<workgroup> part_squares: array<f32, WG>;
var<workgroup> part_lo: array<f32, WG>;
var<workgroup> part_hi: array<f32, WG>;
var<workgroup> part_below: array<u32, WG>;
var<workgroup> part_above: array<u32, WG>;
var<workgroup> part_centred: array<f32, WG>;

// one invocation's running sums of pass 1 (take adds an element; centre adds its squared distance)
var<private> total: f32 = 0.0;
var<private> squares: f32 = 0.0;
var<private> lo: f32 = F32_MAX;
var<private> hi: f32 = -F32_MAX;
var<private> below: u32 = 0u;
var<private> above: u32 = 0u;
var<private> centred: f32 = 0.0;

fn take(v: f32, below_edge: f32, above_edge: f32) {
  total += v;
  squares += v * v;
  lo = min(lo, v);
  hi = max(hi, v);
  below += select(0u, 1u, v < below_edge);
  above += select(0u, 1u, v > above_edge);
}

fn centre(d: f32) {
  centred += d * d;
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) t: u32) {
  let w = flat_workgroup(wid, nwg);
  // past the last chunk a workgroup still joins every barrier, and writes nothing
  let in_range = w < params.workgroups;
  let entry = params.segments * SEGMENT_WORDS + min(w, params.workgroups - 1u) * 3u;
  let segment = table[entry] * SEGMENT_WORDS;
  let input = table[segment];
  let minus = table[segment + 8u];
  let first = table[entry + 1u];
  let count = select(0u, table[entry + 2u], in_range);
  let below_edge = bitcast<f32>(table[segment + 4u]);
  let above_edge = bitcast<f32>(table[segment + 5u]);
  // the branch on the minus input is taken once, outside the loops, the same way across the workgroup
  let has_minus = minus != NO_INPUT;
  if (has_minus) {
    for (var i = t; i < count; i += WG) { take(load(input, first + i) - load(minus, first + i), below_edge, above_edge); }
  } else {
    for (var i = t; i < count; i += WG) { take(load(input, first + i), below_edge, above_edge); }
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
  let mean = part_sum[0] / f32(max(count, 1u));
  // a segment of one bin whose spread is not wanted (a norm's) reads its elements once
  let one_bin = table[segment + 2u] == 1u && table[segment + 10u] == 1u;
  if (one_bin && has_minus) {
    for (var i = t; i < count; i += WG) { centre(load(input, first + i) - load(minus, first + i) - mean); }
  } else if (one_bin) {
    for (var i = t; i < count; i += WG) { centre(load(input, first + i) - mean); }
  }
  part_centred[t] = centred;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride /= 2u) {
    if (t < stride) { part_centred[t] += part_centred[t + stride]; }
    workgroupBarrier();
  }
  if (in_range && t == 0u) {
    partials[w * 7u] = part_sum[0];
    partials[w * 7u + 1u] = part_squares[0];
    partials[w * 7u + 2u] = part_lo[0];
    partials[w * 7u + 3u] = part_hi[0];
    partials[w * 7u + 4u] = f32(part_below[0]);
    partials[w * 7u + 5u] = f32(part_above[0]);
    partials[w * 7u + 6u] = part_centred[0];
  }
}
