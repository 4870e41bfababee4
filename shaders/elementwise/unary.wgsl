// unary: out[i] = f(x[offset(i)]) for f chosen by the OP override; OP_COPY with broadcast strides
// implements broadcastTo.
//
// Bindings: 0 x (read), 1 out (read_write), 2 params (uniform).
// Mapping: one invocation per output element, 256 per workgroup, grid wrapped into y (flat_index).
// x is read contiguously unless params.x_broadcast is set, then through params.x_strides over
// params.out_shape (rank params.rank).

const OP_NEG: u32 = 0u;
const OP_EXP: u32 = 1u;
const OP_LOG: u32 = 2u;
const OP_RELU: u32 = 3u;
const OP_SIGMOID: u32 = 4u;
const OP_TANH: u32 = 5u;
const OP_COPY: u32 = 6u;

override OP: u32;

struct Params {
  size: u32,
  rank: u32,
  x_broadcast: u32,
  out_shape: Dims,
  x_strides: Dims,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

fn apply(v: f32) -> f32 {
  if (OP == OP_NEG) { return -v; }
  if (OP == OP_EXP) { return exp(v); }
  if (OP == OP_LOG) { return log(v); }
  if (OP == OP_RELU) { return max(v, 0.0); }
  // 1 / (1 + e^-v) overflows gracefully: e^-v = inf gives 0.
  if (OP == OP_SIGMOID) { return 1.0 / (1.0 + exp(-v)); }
  // tanh from e^{-2|v|} <= 1, so large |v| gives ±1 instead of inf/inf = NaN.
  if (OP == OP_TANH) { let e = exp(-2.0 * abs(v)); return sign(v) * (1.0 - e) / (1.0 + e); }
  return v;
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_index(gid, nwg, 256u);
  if (i >= params.size) { return; }
  var xi = i;
  if (params.x_broadcast != 0u) { xi = strided_offset(i, params.rank, params.out_shape, params.x_strides); }
  out[i] = apply(x[xi]);
}
