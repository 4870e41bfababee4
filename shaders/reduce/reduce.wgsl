// reduce: out[o] = the sum, mean, max or min (OP override) of x over the reduced axes, for each output o.
//
// Bindings: 0 x (read), 1 out (read_write), 2 params (uniform).
// Mapping: LANES invocations per output element (override, a power of two ≤ 64), so one workgroup
// of 64 takes 64 / LANES outputs (grid wrapped into y). Output o is decomposed over
// kept_shape/kept_strides to the base offset of its slice of x; its lane l sums elements l,
// l+LANES, ... of the slice (decomposed over red_shape/red_strides), then the output's lanes combine
// their partial results as a tree in workgroup memory (pairwise, which also keeps float32 rounding
// error low for long sums). Short slices get few lanes: a bias gradient's column sums over a batch
// of 64 take 4 lanes each, 16 columns a workgroup.

const OP_SUM: u32 = 0u;
const OP_MEAN: u32 = 1u;
const OP_MAX: u32 = 2u;
const OP_MIN: u32 = 3u;

override OP: u32;

struct Params {
  out_size: u32,
  reduce_size: u32,
  kept_rank: u32,
  red_rank: u32,
  kept_shape: Dims,
  kept_strides: Dims,
  red_shape: Dims,
  red_strides: Dims,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

override LANES: u32 = 64u;

const WG: u32 = 64u;
var<workgroup> partial: array<f32, WG>;

fn identity() -> f32 {
  if (OP == OP_MAX) { return -F32_MAX; }
  if (OP == OP_MIN) { return F32_MAX; }
  if (OP == OP_SUM || OP == OP_MEAN) { return 0.0; }
  return poison();
}

fn combine(a: f32, b: f32) -> f32 {
  if (OP == OP_MAX) { return max(a, b); }
  if (OP == OP_MIN) { return min(a, b); }
  if (OP == OP_SUM || OP == OP_MEAN) { return a + b; }
  return poison();
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) t: u32) {
  let o = flat_workgroup(wid, nwg) * (WG / LANES) + t / LANES;
  let lane = t % LANES;
  // past the last output a lane still joins every barrier, and writes nothing
  let in_range = o < params.out_size;
  let reduce_size = select(0u, params.reduce_size, in_range);
  let base = strided_offset(o, params.kept_rank, params.kept_shape, params.kept_strides);
  var acc = identity();
  if (params.red_rank == 1u) {
    // one reduced axis (the host merges what it can, as a batch norm's N, H, W): offsets step by its
    // stride, with no division per element
    let stride = dim_at(params.red_strides, 0u);
    var offset = base + lane * stride;
    for (var r = lane; r < reduce_size; r += LANES) {
      acc = combine(acc, x[offset]);
      offset += LANES * stride;
    }
  } else {
    for (var r = lane; r < reduce_size; r += LANES) {
      acc = combine(acc, x[base + strided_offset(r, params.red_rank, params.red_shape, params.red_strides)]);
    }
  }
  partial[t] = acc;
  workgroupBarrier();
  for (var stride = LANES / 2u; stride > 0u; stride /= 2u) {
    if (lane < stride) { partial[t] = combine(partial[t], partial[t + stride]); }
    workgroupBarrier();
  }
  if (in_range && lane == 0u) {
    var total = partial[t];
    if (OP == OP_MEAN) { total /= f32(params.reduce_size); }
    out[o] = total;
  }
}
