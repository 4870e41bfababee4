// reduce: out[o] = sum (or mean, OP override) of x over the reduced axes, for each output o.
//
// Bindings: 0 x (read), 1 out (read_write), 2 params (uniform).
// Mapping: one workgroup of 64 invocations per output element (grid wrapped into y). Output o is
// decomposed over kept_shape/kept_strides to the base offset of its slice of x; invocation t sums
// elements t, t+64, ... of the slice (decomposed over red_shape/red_strides), then the workgroup
// adds its 64 partial sums as a tree in workgroup memory (pairwise, which also keeps float32
// rounding error low for long reductions).

const OP_SUM: u32 = 0u;
const OP_MEAN: u32 = 1u;

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

const WG: u32 = 64u;
var<workgroup> partial: array<f32, WG>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) t: u32) {
  let o = flat_workgroup(wid, nwg);
  if (o >= params.out_size) { return; }
  let base = strided_offset(o, params.kept_rank, params.kept_shape, params.kept_strides);
  var acc = 0.0;
  for (var r = t; r < params.reduce_size; r += WG) {
    acc += x[base + strided_offset(r, params.red_rank, params.red_shape, params.red_strides)];
  }
  partial[t] = acc;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride /= 2u) {
    if (t < stride) { partial[t] += partial[t + stride]; }
    workgroupBarrier();
  }
  if (t == 0u) {
    var total = partial[0];
    if (OP == OP_MEAN) { total /= f32(params.reduce_size); }
    out[o] = total;
  }
}
