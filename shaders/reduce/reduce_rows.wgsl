// reduce_rows: one pass of a reduction along contiguous rows: x is [rows, cols] (the reduced axes are
// the trailing ones, or all of them with rows = 1), cut into chunks of params.chunk elements along
// each row, and out[row·chunks + c] = the sum, max or min (OP override) of chunk c of that row,
// times params.scale: a mean runs as a sum, so it needs no pipeline of its own. reduce.ts runs it twice for long rows: pass 1 over x leaves one
// partial per chunk, pass 2 over those partials (one chunk a row) gives the result, with scale
// 1/cols for a mean. Rows of one chunk take one pass.
//
// Bindings: 0 x (read), 1 out (read_write), 2 params (uniform).
// Mapping: one workgroup of WG invocations per (row, chunk), grid wrapped into y (flat_workgroup).
// Invocation t combines elements t, t + WG, ... of its chunk (neighbouring lanes read neighbouring
// elements), keeping four accumulators so consecutive loads do not wait on each other; then the
// workgroup combines its WG results as a tree in workgroup memory. Sums are thus pairwise over the
// chunk's WG·4 interleaved partials and again over the chunks, which keeps float32 error low.

const OP_SUM: u32 = 0u;
const OP_MAX: u32 = 2u;
const OP_MIN: u32 = 3u;

override OP: u32;

struct Params {
  rows: u32,
  cols: u32,
  chunk: u32,
  chunks: u32,
  scale: f32,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

const WG: u32 = 64u;
var<workgroup> partial: array<f32, WG>;

fn identity() -> f32 {
  if (OP == OP_MAX) { return -F32_MAX; }
  if (OP == OP_MIN) { return F32_MAX; }
  if (OP == OP_SUM) { return 0.0; }
  return poison();
}

fn combine(a: f32, b: f32) -> f32 {
  if (OP == OP_MAX) { return max(a, b); }
  if (OP == OP_MIN) { return min(a, b); }
  if (OP == OP_SUM) { return a + b; }
  return poison();
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) t: u32) {
  let w = flat_workgroup(wid, nwg);
  // A workgroup past the last (the wrapped grid's tail) still reaches the barriers, writing nothing.
  let in_grid = w < params.rows * params.chunks;
  let row = w / params.chunks;
  let c = w % params.chunks;
  let begin = c * params.chunk;
  let end = min(begin + params.chunk, params.cols);
  let base = row * params.cols;

  var acc0 = identity();
  var acc1 = identity();
  var acc2 = identity();
  var acc3 = identity();
  if (in_grid) {
    var i = begin + t;
    for (; i + 3u * WG < end; i += 4u * WG) {
      acc0 = combine(acc0, x[base + i]);
      acc1 = combine(acc1, x[base + i + WG]);
      acc2 = combine(acc2, x[base + i + 2u * WG]);
      acc3 = combine(acc3, x[base + i + 3u * WG]);
    }
    for (; i < end; i += WG) { acc0 = combine(acc0, x[base + i]); }
  }
  partial[t] = combine(combine(acc0, acc1), combine(acc2, acc3));
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride /= 2u) {
    if (t < stride) { partial[t] = combine(partial[t], partial[t + stride]); }
    workgroupBarrier();
  }
  if (in_grid && t == 0u) { out[w] = partial[0] * params.scale; }
}
