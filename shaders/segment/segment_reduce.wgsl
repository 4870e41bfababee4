// segment_reduce: out[o, s, c] = the sum, mean, max or min (OP override) of data[o, r, c] over the rows
// r of segment s, data viewed as [outer, rows, inner]. The rows of segment s are perm[offsets[s]] ..
// perm[offsets[s + 1] − 1], in ascending row order (segment_keys and the radix sort built them), and
// one invocation folds them in that order: no atomics, so every run gives the same bits. An empty
// segment gives 0.
//
// Bindings: 0 data (read), 1 perm (read), 2 offsets (read, num_segments + 1), 3 out (read_write),
// 4 params (uniform).
// Mapping: one invocation per output element, 256 per workgroup, grid wrapped into y; neighbouring
// invocations take neighbouring columns c, so their loads of each row are contiguous.

const OP_SUM: u32 = 0u;
const OP_MEAN: u32 = 1u;
const OP_MAX: u32 = 2u;
const OP_MIN: u32 = 3u;

override OP: u32;

struct Params {
  size: u32,
  rows: u32,
  num_segments: u32,
  inner: u32,
}

@group(0) @binding(0) var<storage, read> data: array<f32>;
@group(0) @binding(1) var<storage, read> perm: array<u32>;
@group(0) @binding(2) var<storage, read> offsets: array<u32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;

fn combine(a: f32, b: f32) -> f32 {
  if (OP == OP_SUM || OP == OP_MEAN) { return a + b; }
  if (OP == OP_MAX) { return max(a, b); }
  if (OP == OP_MIN) { return min(a, b); }
  return poison();
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_index(gid, nwg, 256u);
  if (i >= params.size) { return; }
  let c = i % params.inner;
  let s = (i / params.inner) % params.num_segments;
  let o = i / (params.inner * params.num_segments);
  let begin = offsets[s];
  let end = offsets[s + 1u];
  let base = o * params.rows;
  if (begin >= end) {
    out[i] = combine(0.0, 0.0);
    return;
  }
  var acc = data[(base + perm[begin]) * params.inner + c];
  for (var p = begin + 1u; p < end; p++) {
    acc = combine(acc, data[(base + perm[p]) * params.inner + c]);
  }
  if (OP == OP_MEAN) { acc /= f32(end - begin); }
  out[i] = acc;
}
